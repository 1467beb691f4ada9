"""The ``chipdeal`` command line: run a scenario, print a table or JSON (the contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from negotiation.scenario import ScenarioError


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default prints usage, which is fine, but keep it short)."""

    def error(self, message: str) -> None:  # noqa: D102
        self.exit(2, f"chipdeal: error: {message}\n")


def _batch_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options ``sweep`` and ``sensitivity`` share (where to run, where to write, how much)."""
    from negotiation.experiments import DEFAULT_MAX_RUNS

    parser.add_argument("--workers", type=int, default=None, metavar="N", help="local processes (default: all "
                        "cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--out", default=None, metavar="DIR", help=out_help)
    parser.add_argument("--resume", action="store_true", help="finish an interrupted run in DIR (runs only what "
                        "is missing; every part file is checked first)")
    parser.add_argument("--overwrite", action="store_true", help="replace the sweep DIR holds (only chipdeal's "
                        "own files in it are removed)")
    parser.add_argument("--max-runs", type=int, default=DEFAULT_MAX_RUNS, metavar="N",
                        help=f"refuse more than N runs (default {DEFAULT_MAX_RUNS:,})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chipdeal", description="Agent-based game of the 2025 US–Japan chip investment deal.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one scenario and print the negotiation and its outcome")
    run.add_argument("scenario", nargs="?", default=None, help="scenario TOML (default: runs/baseline.toml)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario key by dotted path, e.g. deal.equity_fraction=0.2")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    run.add_argument("--replicates", type=int, default=1, metavar="N",
                     help="run N seeds (seed, seed+1, …) and summarise the split")
    exp = sub.add_parser("explain", help="rerun a scenario with each mechanism switched off in turn")
    exp.add_argument("scenario", nargs="?", default=None, help="scenario TOML (default: runs/baseline.toml)")
    exp.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    exp.add_argument("--replicates", type=int, default=5, metavar="N", help="seeds per row (default 5)")
    exp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    exp.add_argument("--json", action="store_true", help="print the rows as JSON")
    sw = sub.add_parser("sweep", help="run a sweep file (grid, Monte Carlo, replicates) in parallel to Parquet")
    sw.add_argument("sweep_file", metavar="SWEEP.toml", help="sweep file (see runs/sweeps/)")
    _batch_options(sw, "output folder (default: runs/out/<sweep name>)")
    sw.add_argument("--traces", action="store_true", help="also write per-round traces to DIR/traces.parquet")
    sens = sub.add_parser("sensitivity", help="Sobol', Morris or one-at-a-time sensitivity of the split (SALib)")
    sens.add_argument("spec", metavar="SPEC.toml", help="sensitivity spec (see runs/sweeps/sobol.toml)")
    sens.add_argument("--method", choices=["sobol", "morris", "ofat"], default=None,
                      help="override the spec's method")
    _batch_options(sens, "output folder (default: runs/out/<spec>-<method>)")
    rep = sub.add_parser("report", help="plots and a markdown page for a sweep folder")
    rep.add_argument("folder", metavar="DIR", help="a sweep's --out folder (holds runs.parquet)")
    rep.add_argument("--patterns", default=None, metavar="FILE",
                     help="observed patterns to filter the runs by (default: runs/patterns.toml)")
    gen = sub.add_parser("export-genius", help="write the governments' issue space and preferences as GENIUS XML")
    gen.add_argument("scenario", metavar="SCENARIO", help="scenario TOML")
    gen.add_argument("outdir", metavar="OUTDIR", help="folder for the domain and the two profile files")
    gen.add_argument("--resolution", type=int, nargs=2, default=[101, 11], metavar=("SHARES", "RELIEFS"),
                     help="values per issue on [0, 1] (default 101 11); shares stop at what the lenders fund")
    gen.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    neg = sub.add_parser("negmas", help="negotiate the exported scenario with NegMAS's agents (SAO), beside ours")
    neg.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO", help="scenario TOML (default baseline)")
    neg.add_argument("--seed", type=int, default=0, help="seed of our actors' run (default 0)")
    neg.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    neg.add_argument("--json", action="store_true", help="print the rows as JSON")
    app = sub.add_parser("app", help="serve the interactive page (Solara) in the browser")
    app.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine "
                     "only; 0.0.0.0 opens it to other hosts)")
    app.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    assets = sub.add_parser("assets", help="fetch the page's front-end files from the npm registry for offline use")
    assets.add_argument("--dir", default=None, help="cache folder (default ~/.cache/chipdeal/solara-cdn)")
    return parser


def _batch_command(args: argparse.Namespace, body: Any) -> int:
    """Run a batch command with stop signals handled: one line and an exit status, never a traceback."""
    from negotiation.experiments.console import stopping_on_signals, warn

    with stopping_on_signals():
        try:
            if args.max_runs < 1:
                raise ScenarioError("--max-runs must be at least 1")
            if args.workers is not None and args.workers < 1:
                raise ScenarioError("--workers must be at least 1")
            if args.scheduler is None and args.workers != 1:
                from negotiation.experiments.workers import start_worker_server

                start_worker_server()  # its imports overlap ours
            return body(args)
        except KeyboardInterrupt as err:  # before the sweep started (a stop after that is a SweepStopped)
            import signal

            signum = getattr(err, "signum", signal.SIGINT)
            warn(f"chipdeal: interrupted ({signal.Signals(signum).name}) before any run started")
            return 130 if signum == signal.SIGINT else 128 + signum


def _command_sensitivity(args: argparse.Namespace) -> int:
    return _batch_command(args, _sensitivity)


def _sensitivity(args: argparse.Namespace) -> int:
    from pathlib import Path

    from negotiation.experiments.console import emit, warn
    from negotiation.experiments.sensitivity import build, run
    from negotiation.experiments.store import SweepStopped

    study = build(args.spec, args.method, max_runs=args.max_runs)  # checks the spec before any run
    method = study.spec.method
    out = Path(args.out) if args.out else Path("runs/out") / f"{Path(args.spec).stem}-{method}"
    banner = f"chipdeal sensitivity: {method}, {len(study.spec.inputs)} inputs, {study.sweep.n_runs:,} runs → {out}"
    try:
        result = run(study, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                     overwrite=args.overwrite, progress=not args.quiet, notify=warn, banner=banner)
    except SweepStopped as err:
        warn(f"chipdeal: {err}")
        return err.exit_code
    emit(result["summary"])
    return 0


def _command_report(args: argparse.Namespace) -> int:
    from negotiation.experiments.console import emit
    from negotiation.experiments.report import report

    path = report(args.folder, args.patterns)
    emit(f"wrote {path} (and its PNGs)")
    return 0


def _command_export_genius(args: argparse.Namespace) -> int:
    from negotiation.interop.genius import export, files
    from negotiation.model import NegotiationModel
    from negotiation.scenario import load_scenario

    shares, reliefs = args.resolution
    if shares < 2 or reliefs < 2:
        raise ScenarioError("--resolution: at least 2 values per issue")
    model = NegotiationModel(load_scenario(args.scenario, args.overrides), rng=0)
    if model.unit_surplus:
        raise ScenarioError(f"{args.scenario}: a unit-surplus scenario has one issue; export a package scenario")
    try:
        out = export(model, args.outdir, shares, reliefs)
    except ValueError as err:
        raise ScenarioError(f"{args.scenario}: {err}") from None
    for key, name in files(model).items():
        extra = ""
        if key in out["profiles"]:
            p = out["profiles"][key]
            extra = f" (weights share {p.weights[0]:.3f}, relief {p.weights[1]:.3f}; reservation {p.reservation:.3f})"
        print(f"{out['folder'] / name}{extra}")
    return 0


def _command_negmas(args: argparse.Namespace) -> int:
    from negotiation.interop.negmas_bridge import compare, require_negmas
    from negotiation.model import NegotiationModel
    from negotiation.scenario import load_scenario

    model = NegotiationModel(load_scenario(args.scenario, args.overrides), rng=args.seed, collect_data=False)
    if model.unit_surplus:
        raise ScenarioError("a unit-surplus scenario has one issue; use a package scenario")
    try:
        require_negmas()
    except ImportError as err:
        print(f"chipdeal: error: {err}", file=sys.stderr)
        return 1
    rows = compare(model)
    if args.json:
        print(json.dumps(rows, sort_keys=True, default=float))
        return 0
    spe = model.solve().spe
    print(f"Scenario {model.spec.name!r}; our equilibrium (SPE): US share {spe.us_profit_share:.3f}, relief "
          f"${model.relief_usd_bn_per_year(spe):.1f}bn/yr; deadline {model.max_rounds} rounds\n")
    print(f"{'engine':<16} {'strategy':<24} {'agreed':<6} {'rounds':>6} {'US share':>8} {'relief $bn/yr':>13} "
          f"{'|Δ SPE|':>8}")
    for r in rows:
        share = "—" if r.get("us_profit_share") is None else f"{r['us_profit_share']:.3f}"
        relief = r.get("tariff_relief_usd_bn_per_year")
        dist = r.get("distance_to_equilibrium")
        print(f"{r['engine']:<16} {r['strategy']:<24} {str(r['agreed']):<6} {r['rounds']:>6} {share:>8} "
              f"{'—' if relief is None else f'{relief:.1f}':>13} {'—' if dist is None else f'{dist:.3f}':>8}")
    return 0


def _command_assets(args: argparse.Namespace) -> int:
    from pathlib import Path

    from negotiation.assets import cache_dir, ensure_assets

    target = Path(args.dir) if args.dir else cache_dir()
    try:
        ensure_assets(target)
    except OSError as err:
        print(f"chipdeal: error: cannot fetch the page's assets from the npm registry ({err})", file=sys.stderr)
        return 1
    print(f"Solara assets in {target}; `chipdeal app` uses them (SOLARA_ASSETS_PROXY_CACHE_DIR)")
    return 0


def _command_app(args: argparse.Namespace) -> int:
    import os
    import socket

    from negotiation.assets import cache_dir, ensure_assets, missing

    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port {args.port}: expected 1–65535")
    try:
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as err:
        raise ScenarioError(f"--host {args.host} --port {args.port}: cannot listen there ({err.strerror})") from None
    env = dict(os.environ)
    if "SOLARA_ASSETS_PROXY_CACHE_DIR" not in env:
        target = cache_dir()
        if missing(target):
            try:
                ensure_assets(target, log=False)
            except OSError as err:
                print(f"chipdeal: warning: the page's assets are not cached and the npm registry is unreachable "
                      f"({err}); the page will load them from Solara's CDN if it can", file=sys.stderr)
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(target)
    print(f"chipdeal app: http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    argv = [sys.executable, "-m", "solara", "run", "negotiation.app", "--host", args.host, "--port", str(args.port),
            "--production", "--no-open"]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _command_sweep(args: argparse.Namespace) -> int:
    return _batch_command(args, _sweep)


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from negotiation.experiments.console import emit, warn
    from negotiation.experiments.runner import execute
    from negotiation.experiments.store import SweepStopped
    from negotiation.experiments.sweepfile import load_sweep
    from negotiation.scenario import shown_path

    sweep = load_sweep(args.sweep_file, max_runs=args.max_runs)
    out = Path(args.out) if args.out else Path("runs/out") / Path(args.sweep_file).stem
    where = f"Dask scheduler {shown_path(args.scheduler)}" if args.scheduler else \
        f"{args.workers or 'all'} local worker(s)"
    banner = (f"chipdeal sweep: {sweep.n_points:,} point(s) × {sweep.file.replicates:,} replicate(s) = "
              f"{sweep.n_runs:,} runs on {where} → {shown_path(out)}")
    try:
        summary = execute(sweep, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                          overwrite=args.overwrite, traces=args.traces, progress=not args.quiet, banner=banner)
    except SweepStopped as err:
        warn(f"chipdeal: {err}")
        return err.exit_code
    agreed = f"agreement in {summary.agreed / summary.runs:.0%}"
    raised = f"; {summary.errors:,} run(s) raised (see the 'error' column)" if summary.errors else ""
    if summary.already_finished:
        emit(f"{shown_path(out)}: this sweep is already finished ({summary.runs:,} runs in runs.parquet, {agreed}"
             f"{raised}); pass --overwrite to run it again")
    else:
        emit(f"{summary.runs:,} runs → {shown_path(summary.path)}; {agreed}{raised}")
    return 0


def _command_explain(args: argparse.Namespace) -> int:
    from negotiation.experiments.explain import explain, format_table
    from negotiation.scenario import load_scenario

    spec = load_scenario(args.scenario, args.overrides)
    if args.replicates < 1:
        raise ScenarioError("--replicates must be at least 1")
    rows = explain(spec, list(range(args.seed, args.seed + args.replicates)))
    if args.json:
        print(json.dumps(rows, sort_keys=True))
    else:
        print(f"Scenario {spec.name!r}: medians over {args.replicates} seeds from {args.seed}\n")
        print(format_table(rows))
    return 0


def _print_table(model: Any, result: Any, seed: int) -> None:
    from negotiation.result import money_in

    spec = model.spec
    counterpart, principal = model.counterpart, model.principal
    names = result.actor_names
    print(f"chipdeal · scenario {spec.name!r} · seed {seed} · information {spec.protocol.information}")
    print(f"{'round':>5}  {'proposer':<12} {'US share':>8} {'tariff':>7} {'relief $bn/yr':>13} "
          f"{'u_' + counterpart.key:>9} {'u_' + principal.key:>9}  answer")
    for offer, responses in zip(model.offers, model.responses, strict=True):
        p = offer.package
        answer = responses[-1]
        word = "accepted" if answer.accepted else f"rejected ({answer.reason})"
        rate = model.tariff_rate(p)
        print(f"{offer.round:>5}  {offer.proposer:<12} {p.us_profit_share:>8.3f} "
              f"{'—' if rate is None else f'{rate:.1%}':>7} {model.relief_usd_bn_per_year(p):>13.1f} "
              f"{counterpart.utility_of(p, offer.round):>9.2f} {principal.utility_of(p, offer.round):>9.2f}  {word}")
    eq = result.equilibrium
    if result.agreed:
        pkg = result.package
        rate = result.measures.get("agreed_tariff_rate")
        value = result.measures.get("relief_value_to_principal_usd_bn_per_year")
        duty = result.tariff_relief_usd_bn_per_year
        tariff = ("" if rate is None else f", a {rate:.1%} tariff: duty relief ${duty:.1f}bn a year, worth "
                  f"${value:.1f}bn a year to {names[principal.key]}")
        print(f"\nAgreement in round {result.steps}: {names[counterpart.key]} {pkg.us_profit_share:.1%} of "
              f"equity-related profits{' after recoup' if result.us_profit_share_before_recoup is not None else ''}"
              f"{tariff}.")
    else:
        print(f"\nNo agreement after {result.steps} rounds (breakdown).")
    if eq is not None and eq.spe is not None:
        rate = "" if eq.spe_tariff_rate is None else f", tariff {eq.spe_tariff_rate:.1%}"
        print(f"Equilibrium ({eq.concept}): US share {eq.spe.us_profit_share:.3f}{rate}, "
              f"relief ${eq.spe.tariff_relief_usd_bn_per_year:.1f}bn a year, agreed in round {eq.spe_round}.")
    others = (("Nash", eq.nash), ("Kalai–Smorodinsky", eq.kalai_smorodinsky)) if eq is not None else ()
    for label, point in others:
        if point is not None:
            print(f"  {label:<18} US share {point.us_profit_share:.3f}, "
                  f"relief ${point.tariff_relief_usd_bn_per_year:.1f}bn a year")
    print("Gains over no deal, present value in $bn (each actor's utility):  " +
          ", ".join(f"{names[k]} {v:.1f}" for k, v in result.utilities.items()))
    loss = result.concession_loss_usd_bn_per_year
    opening = spec.deal.japan_opening_us_share
    if loss is not None and loss <= 0:
        print(f"{names[principal.key]} conceded nothing beyond its {opening:.0%} opening: it keeps "
              f"${-loss:.2f}bn a year more than at its opening, once recouped.")
    elif loss is not None:
        local = result.concession_loss_local_bn_per_year
        shown = "" if local is None or result.currency == "USD" else f" ≈ {money_in(result.currency, local)}"
        print(f"{names[principal.key]}'s yearly loss from conceding beyond its {opening:.0%} opening, once "
              f"recouped: ${loss:.2f}bn{shown} a year.")


def _command_run(args: argparse.Namespace) -> int:
    from negotiation.model import NegotiationModel
    from negotiation.scenario import load_scenario

    spec = load_scenario(args.scenario, args.overrides)
    if args.replicates < 1:
        raise ScenarioError("--replicates must be at least 1")
    if args.replicates == 1:
        model = NegotiationModel(spec, rng=args.seed)
        result = model.run()
        if args.json:
            print(json.dumps(result.to_json(), sort_keys=True))
        else:
            _print_table(model, result, args.seed)
        return 0
    shares, agreed = [], 0
    for k in range(args.replicates):
        result = NegotiationModel(spec, rng=args.seed + k, collect_data=False).run(solve=False)
        if result.agreed:
            agreed += 1
            shares.append(result.package.us_profit_share)
    summary: dict[str, Any] = {"scenario": spec.name, "seed": args.seed, "replicates": args.replicates,
                               "agreed_fraction": agreed / args.replicates}
    if shares:
        qs = statistics.quantiles(shares, n=40, method="inclusive") if len(shares) > 1 else [shares[0]] * 39
        summary.update(us_profit_share_median=statistics.median(shares), us_profit_share_p2_5=qs[0],
                       us_profit_share_p97_5=qs[-1])
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"{agreed}/{args.replicates} seeds agreed; US share median "
              f"{summary.get('us_profit_share_median', float('nan')):.3f}, 95% interval "
              f"[{summary.get('us_profit_share_p2_5', float('nan')):.3f}, "
              f"{summary.get('us_profit_share_p97_5', float('nan')):.3f}]")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chipdeal`` console script."""
    args = _build_parser().parse_args(argv)
    commands = {"run": _command_run, "explain": _command_explain, "sweep": _command_sweep, "app": _command_app,
                "sensitivity": _command_sensitivity, "report": _command_report,
                "export-genius": _command_export_genius, "negmas": _command_negmas, "assets": _command_assets}
    try:
        return commands[args.command](args)
    except ScenarioError as err:
        print(f"chipdeal: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
