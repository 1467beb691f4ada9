"""The ``chipdeal`` command line: run a scenario, print a table or JSON (the contract in DESIGN.md).

Conventions every command follows: bad input (a scenario, a ``--set``, an option) is a
:class:`~negotiation.inputs.InputError` and exits 2 with one line on stderr, with a suggestion where a
name is misspelt; seeds are integers from 0 to 2**63 − 1; work that grows with an option (replicates, grid
points) is refused above a limit that another option raises; Ctrl-C exits 130 and a closed stdout
(``chipdeal run | head -1``) exits quietly, both without a traceback. Imports are lazy: ``--version`` and
``keys`` never load Mesa, and ``run`` loads nothing the model does not need.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from negotiation.inputs import InputError, ScenarioError

MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns (the sweep's Parquet) and replayed from there
MAX_RUNS = 100_000  # default --max-runs: about 3 minutes at ≈ 2 ms a baseline run
MAX_GRID_POINTS = 1_000_000  # default --max-points of export-genius: outcomes of the domain (NegMAS enumerates them)
SECONDS_PER_RUN = 0.002  # a baseline run on the reference machine (benchmarks/bench_run.py), for estimates
EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 2, 130, 141  # 128 + SIGINT, 128 + SIGPIPE
EXIT_OUTPUT = 1  # stdout refused the output (a full device): the command's work is not what failed


class UsageError(InputError):
    """A malformed command line (argparse's complaint), with a suggestion where a name is close to a real one."""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are :class:`UsageError` (one line, exit 2 from :func:`main`), with suggestions.

    Abbreviated options are refused (``--replicate`` is not ``--replicates``): a typo gets a suggestion,
    not a silent guess.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` with argparse's message and a suggestion, instead of exiting."""
        raise UsageError(_suggest_usage(message, self))

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Parse like argparse, but say which command an unrecognized option was given to.

        Args:
            args: the arguments (default: ``sys.argv[1:]``).
            namespace: where to put the values (default: a new namespace).

        Returns:
            The parsed arguments.

        Raises:
            UsageError: on any malformed command line.

        """
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            message = f"unrecognized arguments: {' '.join(extras)}"
            raise UsageError(_suggest_usage(message, self, getattr(parsed, "command", None)))
        return parsed


def _suggest_usage(message: str, parser: argparse.ArgumentParser, command: str | None = None) -> str:
    """Argparse's message with `` (did you mean …?)`` for a misspelt command, choice or option.

    An option that is spelt right but belongs to other commands (``chipdeal run --workers 2``) is said to be
    theirs, rather than suggested back.

    Args:
        message: argparse's error message.
        parser: the parser that complained (its options, and its subcommands' options, are the candidates).
        command: the subcommand the arguments were given to, where known (its options are preferred).

    Returns:
        The message, with a suggestion where one is close.

    """
    from negotiation.inputs import close

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        near = close(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        return f"{message} (did you mean {near!r}?)" if near else message
    if message.endswith("required: command"):
        return f"{message} (one of {', '.join(_commands(parser))}; chipdeal --help says what each does)"
    unknown = re.match(r"unrecognized arguments: (.*)", message)
    if unknown:
        owners = _option_owners(parser)
        own = {o for o, names in owners.items() if command is None or command in names or not names}
        hints: list[str] = []
        words = [w.split("=", 1)[0] for w in unknown.group(1).split() if w.startswith("--")]
        for word in words:
            if word in owners:  # spelt right, given in the wrong place: never suggested back
                hints.append(f"{word} is an option of {_listed(owners[word])}, not of {command}" if owners[word]
                             else f"{word} goes before the command: chipdeal {word}")
            elif near := close(word, sorted(own)) or close(word, sorted(owners)):
                where = "" if near in own else f", an option of {_listed(owners[near])}"
                hints.append(f"did you mean {near}{where}?" if len(words) == 1
                             else f"{word}: did you mean {near}{where}?")
        return f"{message} ({'; '.join(hints)})" if hints else message
    return message


def _listed(names: Sequence[str]) -> str:
    """``"sweep"``, ``"sweep or calibrate"``, ``"sweep, sensitivity or calibrate"``.

    >>> _listed(["sweep", "sensitivity", "calibrate"])
    'sweep, sensitivity or calibrate'
    """
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _option_owners(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Every long option of ``parser`` and its subcommands → the subcommands that take it (``[]``: the top level).

    An alias (``params``) is not listed beside the command it names (``keys``).
    """
    owners: dict[str, list[str]] = {o: [] for a in parser._actions for o in a.option_strings if o.startswith("--")}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                for option in _option_strings(sub):
                    if owners.get(option) != []:
                        owners.setdefault(option, []).append(name)
    return owners


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    """The subcommands of ``parser``, in the order of its help."""
    return [name for a in parser._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices]


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every long option of ``parser`` and of its subcommands."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _option_strings(sub)
    return found


class _Version(argparse.Action):
    """``--version``: the version and a fingerprint of the code, computed only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and a fingerprint of the code, and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from negotiation.version import version_text

        print(version_text())
        parser.exit(0)


def seed(text: str) -> int:
    """An argparse type: a seed, an integer from 0 to 2**63 − 1.

    >>> seed("7")
    7
    >>> seed("-1")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: -1: a seed is an integer from 0 to 2**63 - 1
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a seed is an integer from 0 to 2**63 - 1") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value}: a seed is an integer from 0 to 2**63 - 1")
    return value


def count(text: str) -> int:
    """An argparse type: a whole number of at least 1.

    >>> count("20")
    20
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 1")
    return value


def _add_set(parser: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable), with the same help on every command that takes it."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a scenario key by dotted path, validated like the file; repeatable, e.g. "
                             "--set deal.equity_fraction=0.2 --set agents.japan.outside_option_share=0.5 "
                             "(chipdeal keys lists every key)")


def _add_seed(parser: argparse.ArgumentParser, what: str = "random seed") -> None:
    """``--seed N``, checked by :func:`seed`."""
    parser.add_argument("--seed", type=seed, default=0, metavar="N", help=f"{what}, 0 to 2**63 - 1 (default 0)")


def _add_max_runs(parser: argparse.ArgumentParser) -> None:
    """``--max-runs N``: the limit :func:`_check_runs` applies."""
    parser.add_argument("--max-runs", type=count, default=MAX_RUNS, metavar="N",
                        help=f"refuse more than N model runs (default {MAX_RUNS:,})")


def _duration(seconds: float) -> str:
    """``"40 s"``, ``"3 min"``, ``"5.6 h"``, ``"12 days"``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def _check_runs(option: str, runs: int, limit: int, what: str = "") -> None:
    """Refuse ``runs`` model runs above ``limit``, saying how much that is and which option raises it."""
    if runs > limit:
        raise ScenarioError(f"{option}: {what}{runs:,} runs (about {_duration(runs * SECONDS_PER_RUN)}) is above "
                            f"the limit of {limit:,}; raise it with --max-runs {runs}")


def _check_seeds(first: int, n: int) -> None:
    """The seeds ``first … first + n − 1`` must all be valid seeds."""
    if first + n - 1 > MAX_SEED:
        raise ScenarioError(f"--seed {first} --replicates {n}: the last seed, {first + n - 1}, is above 2**63 - 1")


def _add_dask_options(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS`` or ``--scheduler-file PATH`` (one of them): run on an existing Dask cluster."""
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    dask.add_argument("--scheduler-file", default=None, metavar="PATH",
                      help="run on the Dask cluster whose scheduler wrote PATH (dask scheduler --scheduler-file, "
                           "dask-jobqueue; see README, Beyond one machine)")


def _batch_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options ``sweep`` and ``sensitivity`` share (where to run, where to write, how much)."""
    from negotiation.experiments import DEFAULT_MAX_RUNS

    parser.add_argument("--workers", type=int, default=None, metavar="N", help="local processes (default: all "
                        "cores)")
    _add_dask_options(parser)
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
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run one scenario and print the negotiation and its outcome")
    run.add_argument("scenario", nargs="?", default=None, help="scenario TOML (default: runs/baseline.toml)")
    _add_seed(run)
    _add_set(run)
    run.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    run.add_argument("--replicates", type=count, default=1, metavar="N",
                     help="run N seeds (seed, seed+1, …) and summarise every outcome: median, 95%% interval, "
                          "both modes where bimodal")
    _add_max_runs(run)
    run.add_argument("--rounds", action="store_true",
                     help="with --json: add every round's offer, utilities and answers (key \"rounds\")")
    exp = sub.add_parser("explain", help="rerun a scenario with each mechanism switched off in turn")
    exp.add_argument("scenario", nargs="?", default=None, help="scenario TOML (default: runs/baseline.toml)")
    _add_seed(exp, "first seed")
    exp.add_argument("--replicates", type=count, default=5, metavar="N", help="seeds per row (default 5)")
    _add_max_runs(exp)
    _add_set(exp)
    exp.add_argument("--json", action="store_true", help="print the rows as JSON")
    keys = sub.add_parser("keys", aliases=["params"],
                          help="every scenario key: type, unit, allowed range, the scenario's value and its source")
    keys.add_argument("scenario", nargs="?", default=None, help="scenario TOML (default: runs/baseline.toml)")
    _add_set(keys)
    keys.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    cmp = sub.add_parser("compare", help="two scenarios side by side: outcomes over the same seeds, and the keys "
                         "that differ")
    cmp.add_argument("scenario_a", metavar="A", help="scenario TOML")
    cmp.add_argument("scenario_b", metavar="B", help="scenario TOML")
    _add_seed(cmp, "first seed (both scenarios run on the same seeds)")
    cmp.add_argument("--replicates", type=count, default=20, metavar="N",
                     help="seeds per scenario (default 20): median, 95%% interval, both modes where bimodal")
    _add_max_runs(cmp)
    cmp.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
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
    _add_calibrate_parsers(sub)
    gen = sub.add_parser("export-genius", help="write the governments' issue space and preferences as GENIUS XML")
    gen.add_argument("scenario", metavar="SCENARIO", help="scenario TOML")
    gen.add_argument("outdir", metavar="OUTDIR", help="folder for the domain and the two profile files")
    gen.add_argument("--resolution", type=count, nargs=2, default=[11, 6], metavar=("SHARES", "RATES"),
                     help="values of each share on [0, 1] (the claims added) and of each bargained rate over its "
                          "range (default 11 6); share values the lenders fund nothing with are left out")
    gen.add_argument("--max-points", type=count, default=MAX_GRID_POINTS, metavar="N",
                     help=f"refuse a domain of more than N outcomes, the product of the issues' values (default "
                          f"{MAX_GRID_POINTS:,})")
    _add_set(gen)
    neg = sub.add_parser("negmas", help="negotiate the exported scenario with NegMAS's agents (SAO), beside ours")
    neg.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO", help="scenario TOML (default baseline)")
    _add_seed(neg, "seed of our actors' run")
    _add_set(neg)
    neg.add_argument("--json", action="store_true", help="print the rows as JSON")
    app = sub.add_parser("app", help="serve the interactive page (Solara) in the browser")
    app.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine "
                     "only; 0.0.0.0 opens it to other hosts)")
    app.add_argument("--port", type=int, default=8765, help="port, 1–65535 (default 8765)")
    assets = sub.add_parser("assets", help="fetch the page's front-end files from the npm registry for offline use")
    assets.add_argument("--dir", default=None, help="cache folder (default ~/.cache/chipdeal/solara-cdn)")
    return parser


def _add_calibrate_parsers(sub: Any) -> None:
    """``calibrate`` (ABC-SMC against the patterns) and ``discover`` (PRIM and CART on a sweep folder)."""
    cal = sub.add_parser("calibrate", help="ABC-SMC (pyabc) of the free parameters against the observed patterns")
    cal.add_argument("spec", metavar="SPEC.toml", help="calibration spec (see runs/calibration/baseline.toml)")
    cal.add_argument("--fit", default=None, metavar="COLUMNS",
                     help="comma-separated pattern columns (or names) to fit; the others are predicted (default: "
                          "the patterns of use calibration or corroboration)")
    cal.add_argument("--out", default=None, metavar="DIR", help="output folder (default runs/out/calibration-<spec>)")
    cal.add_argument("--workers", type=int, default=None, metavar="N",
                     help="local processes (default: all cores; 1 runs in this process); the same seed gives the "
                          "same posterior on any number")
    _add_dask_options(cal)
    cal.add_argument("--population", type=count, default=None, metavar="N", help="override the spec's population")
    cal.add_argument("--generations", type=count, default=None, metavar="N", help="override the spec's generations")
    cal.add_argument("--seed", type=seed, default=None, metavar="N", help="override the spec's master seed")
    cal.add_argument("--overwrite", action="store_true", help="replace a calibration DIR holds")
    cal.add_argument("--quiet", action="store_true", help="no progress bars")
    dis = sub.add_parser("discover", help="scenario discovery on a sweep folder: PRIM boxes and a CART tree")
    dis.add_argument("folder", metavar="DIR", help="a sweep's --out folder (holds runs.parquet)")
    dis.add_argument("--where", required=True, metavar="EXPR",
                     help="the runs of interest, over the row's columns, e.g. \"agreed and agreed_tariff_rate <= "
                          "0.175\" (and, or, not, comparisons, + - * /, numbers; dotted keys in backticks)")
    dis.add_argument("--inputs", default=None, metavar="KEYS",
                     help="comma-separated inputs to bound (default: the sweep's varied keys)")
    dis.add_argument("--prim", choices=["auto", "builtin", "ema"], default="auto",
                     help="PRIM from the EMA Workbench (extra 'discover') or the built-in one (default: EMA's "
                          "where installed)")
    dis.add_argument("--threshold", type=float, default=0.8, metavar="DENSITY",
                     help="choose the box with the most coverage among those at least this dense (default 0.8)")
    dis.add_argument("--out", default=None, metavar="DIR", help="where the page and plot go (default: DIR)")


def _command_calibrate(args: argparse.Namespace) -> int:
    from negotiation.experiments.console import stopping_on_signals, warn

    with stopping_on_signals():
        try:
            if args.workers is not None and args.workers < 1:
                raise ScenarioError("--workers must be at least 1")
            if args.scheduler is None and args.scheduler_file is None and args.workers != 1:
                from negotiation.experiments.workers import start_worker_server

                start_worker_server()  # its imports overlap ours
            from negotiation.experiments.calibrate import CalibrationStopped, calibrate

            fit = [f for f in args.fit.split(",") if f.strip()] if args.fit else None
            try:
                result = calibrate(args.spec, args.out, fit=fit, workers=args.workers, scheduler=args.scheduler,
                                   scheduler_file=args.scheduler_file, overwrite=args.overwrite,
                                   progress=not args.quiet, population=args.population,
                                   generations=args.generations, seed=args.seed)
            except CalibrationStopped as err:
                warn(f"chipdeal: {err}")
                return err.exit_code
        except KeyboardInterrupt:
            warn("chipdeal: interrupted before the calibration started")
            return 130
    from negotiation.experiments.console import emit

    emit(f"{len(result.generations)} generation(s), {result.evaluations:,} runs in {result.seconds:.0f} s → "
         f"{result.out / 'report.md'} (posterior.parquet, corner.png, identification.md)")
    return 0


def _command_discover(args: argparse.Namespace) -> int:
    from negotiation.experiments.console import emit
    from negotiation.experiments.discover import discover

    inputs = [k.strip() for k in args.inputs.split(",") if k.strip()] if args.inputs else None
    result = discover(args.folder, args.where, inputs=inputs, prim=args.prim, threshold=args.threshold,
                      out=args.out)
    emit(result.summary)
    return 0


def _batch_command(args: argparse.Namespace, body: Any) -> int:
    """Run a batch command with stop signals handled: one line and an exit status, never a traceback."""
    from negotiation.experiments.console import stopping_on_signals, warn

    with stopping_on_signals():
        try:
            if args.max_runs < 1:
                raise ScenarioError("--max-runs must be at least 1")
            if args.workers is not None and args.workers < 1:
                raise ScenarioError("--workers must be at least 1")
            if args.scheduler is None and args.scheduler_file is None and args.workers != 1:
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
        result = run(study, out, workers=args.workers, scheduler=args.scheduler,
                     scheduler_file=args.scheduler_file, resume=args.resume,
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
    from negotiation.interop.genius import MAX_VALUES

    shares, rates = args.resolution
    if shares < 2 or rates < 2:
        raise ScenarioError("--resolution: at least 2 values per issue")
    if max(shares, rates) > MAX_VALUES:
        raise ScenarioError(f"--resolution {shares} {rates}: at most {MAX_VALUES:,} values per share or rate (the "
                            "XML writes six decimals)")
    from negotiation.scenario_files import load_scenario_with_sets

    spec = load_scenario_with_sets(args.scenario, args.overrides)
    from negotiation.interop.genius import NotExportable, export, files, issue_sizes
    from negotiation.model import NegotiationModel

    model = NegotiationModel(spec, rng=0, collect_data=False)
    if model.unit_surplus:
        raise ScenarioError(f"{args.scenario}: a unit-surplus scenario has one issue; export a package scenario")
    sizes = issue_sizes(model, shares, rates)
    points = math.prod(sizes)
    if points > args.max_points:
        what = " × ".join(f"{n:,}" for n in sizes)
        raise ScenarioError(f"--resolution {shares} {rates}: {points:,} outcomes ({what}, the issues' values) is above "
                            f"the limit of {args.max_points:,}; raise it with --max-points {points}")
    try:
        out = export(model, args.outdir, shares, rates)
    except NotExportable as err:
        raise ScenarioError(f"{args.scenario}: {err}") from None
    except OSError as err:
        raise ScenarioError(f"{args.outdir}: cannot write the export there ({err.strerror or err})") from None
    grid = out["grid"]
    print(f"{len(grid.names)} issues ({', '.join(grid.names)}), {grid.points:,} outcomes")
    for key, name in files(model).items():
        extra = ""
        if key in out["profiles"]:
            p = out["profiles"][key]
            weights = ", ".join(f"{issue} {w:.3f}" for issue, w in zip(grid.names, p.weights, strict=True))
            extra = f" (weights {weights}; reservation {p.reservation:.3f})"
        print(f"{out['folder'] / name}{extra}")
    return 0


def _command_negmas(args: argparse.Namespace) -> int:
    from negotiation.scenario_files import load_scenario_with_sets

    spec = load_scenario_with_sets(args.scenario, args.overrides)
    from negotiation.interop.negmas_bridge import compare, require_negmas
    from negotiation.model import NegotiationModel

    model = NegotiationModel(spec, rng=args.seed, collect_data=False)
    if model.unit_surplus:
        raise ScenarioError("a unit-surplus scenario has one issue; use a package scenario")
    try:
        require_negmas()
    except ImportError as err:
        print(f"chipdeal: error: {err}", file=sys.stderr)
        return 1
    from negotiation.interop.genius import NotExportable

    try:
        rows = compare(model)
    except NotExportable as err:  # e.g. the lenders fund nothing: no terms for NegMAS's agents to trade
        where = args.scenario if args.scenario is not None else "the baseline"
        raise ScenarioError(f"{where}: {err}; NegMAS has nothing to negotiate (chipdeal run shows what the "
                            "governments do)") from None
    if args.json:
        print(json.dumps(rows, sort_keys=True, default=float))
        return 0
    spe = model.solve().spe
    goods = [t.name for t in model.terms.continuous]

    def share(value: float | None) -> str:
        return f"{'—' if value is None else f'{value:.2f}':>5}"

    def rate(value: float | None, width: int = 9) -> str:
        return f"{'—' if value is None else f'{value:.1%}':>{width}}"

    solved = "none (no round agrees)"
    if spe is not None:
        terms = model.terms_of(spe)
        each = "".join(f", {name} {value:.1%}" for name, value in terms.tariff_rates.items())
        solved = (f"US {terms.us_share_before_recoup:.0%} before recoup, {terms.us_profit_share:.0%} after{each}"
                  + ("" if terms.tariff_rate is None else f" (all-in {terms.tariff_rate:.1%})"))
    print(f"Scenario {model.spec.name!r}; our equilibrium (SPE): {solved}; deadline {model.max_rounds} rounds\n")
    heads = "".join(f" {name[:9]:>9}" for name in goods)
    print(f"{'engine':<16} {'strategy':<24} {'agreed':<6} {'rounds':>6} {'q':>5} {'s':>5}{heads} {'all-in':>7} "
          f"{'relief $bn/yr':>13} {'|Δ SPE|':>8}")
    for r in rows:
        rates = "".join(f" {rate(r['tariff_rates'].get(name))}" for name in goods)
        relief, dist = r["tariff_relief_usd_bn_per_year"], r["distance_to_equilibrium"]
        print(f"{r['engine']:<16} {r['strategy']:<24} {str(r['agreed']):<6} {r['rounds']:>6} "
              f"{share(r['us_share_before_recoup'])} {share(r['us_profit_share'])}{rates} {rate(r['tariff_rate'], 7)} "
              f"{'—' if relief is None else f'{relief:.1f}':>13} {'—' if dist is None else f'{dist:.3f}':>8}")
    return 0


def _command_assets(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from negotiation.assets import ProgressLine, app_dir, cache_dir, ensure_assets
    from negotiation.inputs import shown_path

    target = Path(args.dir).expanduser() if args.dir else cache_dir()
    line = ProgressLine(sys.stderr)
    try:
        ensure_assets(target, progress=line)
    except OSError as err:
        line.cut()
        print(f"chipdeal: error: cannot fetch the page's assets from the npm registry ({err})", file=sys.stderr)
        return 1
    used = app_dir()
    if used.resolve() == target.resolve():
        print(f"Solara assets in {shown_path(target)}; `chipdeal app` uses them")
    else:
        solara = " and SOLARA_ASSETS_PROXY_CACHE_DIR unset" if "SOLARA_ASSETS_PROXY_CACHE_DIR" in os.environ else ""
        print(f"Solara assets in {shown_path(target)}; `chipdeal app` uses them only with "
              f"CHIPDEAL_ASSETS_DIR={shown_path(target.resolve())}{solara} (it now uses {shown_path(used)})")
    return 0


def _command_app(args: argparse.Namespace) -> int:
    import os
    import socket

    from negotiation.assets import ABOUT_MB, PACKAGES, ProgressLine, cache_dir, ensure_assets, missing
    from negotiation.inputs import shown_path

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
        if absent := missing(target):
            print(f"chipdeal app: fetching the page's front-end files once ({len(absent)} of {len(PACKAGES)} "
                  f"packages, about {ABOUT_MB} MB unpacked) from the npm registry into {shown_path(target)}; "
                  "later starts use them", file=sys.stderr, flush=True)
            line = ProgressLine(sys.stderr, "chipdeal app")
            try:
                ensure_assets(target, log=False, progress=line)
                line.done()
            except OSError as err:
                line.cut()
                print(f"chipdeal: warning: the page's assets are not cached and the npm registry is unreachable "
                      f"({err}); the page will load them from Solara's CDN if it can", file=sys.stderr)
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(target)
    # the server says on one line when it listens (negotiation/serve.py)
    argv = [sys.executable, "-m", "negotiation.serve", "--host", args.host, "--port", str(args.port)]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _command_sweep(args: argparse.Namespace) -> int:
    return _batch_command(args, _sweep)


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from negotiation.experiments.console import emit, warn
    from negotiation.experiments.executors import dask_where
    from negotiation.experiments.runner import execute
    from negotiation.experiments.store import SweepStopped
    from negotiation.experiments.sweepfile import load_sweep
    from negotiation.inputs import shown_path

    sweep = load_sweep(args.sweep_file, max_runs=args.max_runs)
    out = Path(args.out) if args.out else Path("runs/out") / Path(args.sweep_file).stem
    on_dask = args.scheduler is not None or args.scheduler_file is not None
    where = dask_where(args.scheduler, args.scheduler_file) if on_dask else f"{args.workers or 'all'} local worker(s)"
    banner = (f"chipdeal sweep: {sweep.n_points:,} point(s) × {sweep.file.replicates:,} replicate(s) = "
              f"{sweep.n_runs:,} runs on {where} → {shown_path(out)}")
    try:
        summary = execute(sweep, out, workers=args.workers, scheduler=args.scheduler,
                          scheduler_file=args.scheduler_file, resume=args.resume,
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
    from negotiation.scenario_files import load_scenario_with_sets

    spec = load_scenario_with_sets(args.scenario, args.overrides)
    _check_seeds(args.seed, args.replicates)
    from negotiation.experiments.explain import MECHANISMS, explain, format_table

    rows = 1 + sum(1 for mechanism in MECHANISMS if mechanism.applies(spec))
    _check_runs(f"--replicates {args.replicates}", rows * args.replicates, args.max_runs,
                f"{rows} rows × {args.replicates:,} seeds = ")
    rows_out = explain(spec, list(range(args.seed, args.seed + args.replicates)))
    if args.json:
        print(json.dumps(rows_out, sort_keys=True))
    else:
        print(f"Scenario {spec.name!r}: medians over {args.replicates} seeds from {args.seed}\n")
        print(format_table(rows_out))
    return 0


def _command_compare(args: argparse.Namespace) -> int:
    """``chipdeal compare A B``: both scenarios over the same seeds, and the keys whose values differ."""
    from negotiation.compare import compare, rows, value_text
    from negotiation.keys import display_path
    from negotiation.scenario_files import load_scenario

    spec_a, spec_b = load_scenario(args.scenario_a), load_scenario(args.scenario_b)
    _check_seeds(args.seed, args.replicates)
    _check_runs(f"--replicates {args.replicates}", 2 * args.replicates, args.max_runs,
                f"2 scenarios × {args.replicates:,} seeds = ")
    result = compare(spec_a, spec_b, args.seed, args.replicates)
    result["a"]["file"], result["b"]["file"] = display_path(args.scenario_a), display_path(args.scenario_b)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(f"chipdeal compare · A {spec_a.name!r} ({result['a']['file']}) · B {spec_b.name!r} "
          f"({result['b']['file']}) · {args.replicates} seeds from {args.seed}\n")
    table = [("outcome (median [95% interval], runs that agreed)", "A", "B"), *rows(result)]
    _print_columns(table)
    diffs = result["differences"]
    print(f"\n{len(diffs)} key(s) differ" + (":" if diffs else " (the two scenarios are set alike)"))
    if diffs:
        _print_columns([("key", "A", "B"), *((d["key"], value_text(d["a"]), value_text(d["b"])) for d in diffs)])
    return 0


def _print_columns(table: Sequence[tuple[str, ...]]) -> None:
    """Rows of text as left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _command_keys(args: argparse.Namespace) -> int:
    """``chipdeal keys``: every key of the scenario with its type, unit, range, value and source."""
    from negotiation.keys import describe, display_path, format_keys
    from negotiation.scenario_files import default_scenario_path, load_scenario_with_sets

    path = args.scenario if args.scenario is not None else default_scenario_path()
    spec = load_scenario_with_sets(path, args.overrides)
    rows = describe(spec, path, args.overrides)
    if args.json:
        print(json.dumps({"scenario": spec.name, "file": display_path(path), "keys": [r.to_json() for r in rows]},
                         sort_keys=True, ensure_ascii=False))
    else:
        print(f"chipdeal keys · scenario {spec.name!r} ({display_path(path)}) · {len(rows)} keys; "
              f"set any with --set KEY=VALUE\n")
        print(format_keys(rows))
    return 0


def _print_table(model: Any, result: Any, seed: int) -> None:
    from negotiation.result import money_in

    spec = model.spec
    counterpart, principal = model.counterpart, model.principal
    names = result.actor_names
    goods = [t.name for t in model.terms.continuous] if not model.unit_surplus else []
    print(f"chipdeal · scenario {spec.name!r} · seed {seed} · information {spec.protocol.information}")
    share_head = "US share" if model.unit_surplus else "US before / after"
    rates_head = "".join(f" {name[:9]:>9}" for name in goods)
    money_head = "" if model.unit_surplus else f" {'all-in':>7} {'relief $bn/yr':>13}"
    print(f"{'round':>5}  {'proposer':<12} {share_head:>17}{rates_head}{money_head} "
          f"{'u_' + counterpart.key:>9} {'u_' + principal.key:>9}  answer")
    for offer, responses in zip(model.offers, model.responses, strict=True):
        p = offer.package
        answer = responses[-1]
        word = "accepted" if answer.accepted else f"rejected ({answer.reason})"
        rate = model.tariff_rate(p)
        shares = (f"{p.us_profit_share:.3f}" if model.unit_surplus
                  else f"{p.us_share_before_recoup:.2f} / {p.us_profit_share:.2f}")
        rates = "".join(f" {r:>9.1%}" for r in p.tariff_rates)
        money = "" if model.unit_surplus else \
            f" {'—' if rate is None else f'{rate:.1%}':>7} {model.relief_usd_bn_per_year(p):>13.1f}"
        print(f"{offer.round:>5}  {offer.proposer:<12} {shares:>17}{rates}{money} "
              f"{counterpart.utility_of(p, offer.round):>9.2f} {principal.utility_of(p, offer.round):>9.2f}  {word}")
    eq = result.equilibrium

    def described(terms: Any) -> str:
        if model.unit_surplus:
            return f"US share {terms.us_profit_share:.3f}"
        rates = ", ".join(f"{name} {rate:.1%}" for name, rate in terms.tariff_rates.items())
        tariff = "" if terms.tariff_rate is None else f"; {rates} (all-in {terms.tariff_rate:.1%})"
        return (f"US {terms.us_share_before_recoup:.0%} before recoup, {terms.us_profit_share:.0%} after"
                f"{tariff}")

    if result.agreed:
        value = result.measures.get("relief_value_to_principal_usd_bn_per_year")
        duty = result.tariff_relief_usd_bn_per_year
        relief = ("" if duty is None or value is None else f"; duty relief ${duty:.1f}bn a year, worth "
                  f"${value:.1f}bn a year to {names[principal.key]}")
        print(f"\nAgreement in round {result.steps}: {described(result.terms)}{relief}.")
    else:
        why = ("the talks collapsed, a risk both sides priced (the breakdown hazard)" if result.outcome == "collapse"
               else "the deadline passed (breakdown)")
        if result.outcome == "unsignable":
            print("\nNo agreement: the talks end before round 1.")
        else:
            print(f"\nNo agreement after {result.steps} rounds: {why}.")
        blocked = model.nothing_signable()
        if blocked is not None:
            print(f"Why: {blocked}.")
    if eq is not None and eq.spe is not None:
        print(f"Equilibrium ({eq.concept}): {described(eq.spe)}, agreed in round {eq.spe_round}.")
    others = (("Nash", eq.nash), ("Kalai–Smorodinsky", eq.kalai_smorodinsky)) if eq is not None else ()
    for label, point in others:
        if point is not None:
            print(f"  {label:<18} {described(point)}")
    if model.unit_surplus:  # no money in the game: each side's discounted share of the unit surplus
        print("Gains over no deal, each side's discounted share of the unit surplus (its utility):  " +
              ", ".join(f"{names[k]} {v:.3f}" for k, v in result.utilities.items()))
    else:
        print("Gains over no deal, present value in $bn (each actor's utility):  " +
              ", ".join(f"{names[k]} {v:.1f}" for k, v in result.utilities.items()))
    loss = result.concession_loss_usd_bn
    claim = getattr(principal.preferences, "claim", None)
    if loss is not None and claim is not None:
        local = result.concession_loss_local_bn
        shown = "" if local is None or result.currency == "USD" else f" ≈ {money_in(result.currency, local)}"
        never = result.measures.get("never_recoups_fraction")
        caveat = (" (at these yields no project class recoups within its life: the phase after recoup carries "
                  "no money)" if never is not None and never >= 1.0 else "")
        print(f"{names[principal.key]}'s loss against its {claim.us_share:.0%} claim on both phases, expected PV: "
              f"${loss:.2f}bn{shown}{caveat}.")


PRIMARY_OUTCOMES = ("us_share_before_recoup", "us_profit_share", "agreed_tariff_rate",
                    "tariff_relief_usd_bn_per_year")  # listed first, then each group's rate; the rest in JSON order
NOT_OUTCOMES = ("seed",)  # numeric fields of the run's JSON that are inputs, not outcomes


def numeric_outcomes(result_json: dict[str, Any]) -> dict[str, float]:
    """The numeric outcomes of a run's JSON: its top-level numbers and each group's rate (``tariff_rate_<group>``).

    Not booleans, not the seed; the contract's outcomes first, then each group's rate, then the rest in order.

    >>> numeric_outcomes({"seed": 3, "agreed": True, "steps": 4, "us_profit_share": 0.9, "actors": {},
    ...                   "tariff_rates": {"autos": 0.15}})
    {'us_profit_share': 0.9, 'tariff_rate_autos': 0.15, 'steps': 4}
    """
    from negotiation.result import TARIFF_PREFIX

    found = {k: v for k, v in result_json.items()
             if isinstance(v, int | float) and not isinstance(v, bool) and k not in NOT_OUTCOMES}
    rates = {f"{TARIFF_PREFIX}{k}": v for k, v in (result_json.get("tariff_rates") or {}).items()
             if isinstance(v, int | float) and not isinstance(v, bool)}
    return {**{k: found[k] for k in PRIMARY_OUTCOMES if k in found}, **rates,
            **{k: v for k, v in found.items() if k not in PRIMARY_OUTCOMES}}


def _rounds_json(model: Any) -> list[dict[str, Any]]:
    """Every round of a run: the offer's terms, both governments' utilities (agreed in that round), every answer."""
    import dataclasses

    from negotiation.result import clean

    def plain(value: Any) -> Any:
        if isinstance(value, float):
            return clean(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    governments = (model.counterpart, model.principal)
    rows = []
    for offer, responses in zip(model.offers, model.responses, strict=True):
        row = {f.name: getattr(offer, f.name) for f in dataclasses.fields(offer) if f.name != "package"}
        row["offer"] = model.terms_of(offer.package).to_json()
        row["utilities"] = {gov.key: gov.utility_of(offer.package, offer.round) for gov in governments}
        row["answers"] = [dataclasses.asdict(r) for r in responses]
        rows.append(plain(row))
    return rows


def _replicates(spec: Any, first_seed: int, n: int) -> dict[str, Any]:
    """Run ``n`` seeds from ``first_seed`` and summarise every outcome (:mod:`negotiation.distribution`).

    The agreement rate is over all runs; every numeric outcome (:func:`numeric_outcomes`) over the runs that
    agreed; each actor's expected gain over every run, a run without a deal counting 0 (the ex-ante value a
    collapse or a breakdown lowers), beside each government's gain in the solved equilibrium.
    """
    from negotiation.distribution import summarise
    from negotiation.model import NegotiationModel
    from negotiation.result import clean

    values: dict[str, list[float]] = {}
    gains: dict[str, float] = {}
    equilibrium: dict[str, float] | None = None
    agreed = 0
    for k in range(n):
        out = NegotiationModel(spec, rng=first_seed + k, collect_data=False).run().to_json()
        for key, gain in (out.get("utilities") or {}).items():  # every run: no deal is a gain of 0
            gains[key] = gains.get(key, 0.0) + float(gain) / n
        equilibrium = (out.get("equilibrium") or {}).get("utilities")  # the same for every seed
        if out["agreed"]:
            agreed += 1
            for key, value in numeric_outcomes(out).items():
                values.setdefault(key, []).append(float(value))
    outcomes: dict[str, Any] = {"agreed": {"rate": agreed / n, "agreed": agreed, "n": n}}
    for key, vals in values.items():
        stats = summarise(vals)
        for name in ("median", "p2_5", "p97_5"):
            stats[name] = clean(stats[name])
        for mode in stats["modes"] or []:
            mode.update({k: clean(v) for k, v in mode.items()})
        outcomes[key] = stats
    unit = "share of the unit surplus" if spec.deal.kind == "unit_surplus" else "PV $bn"
    summary: dict[str, Any] = {"scenario": spec.name, "seed": first_seed, "replicates": n,
                               "agreed_fraction": agreed / n, "outcomes": outcomes,
                               "expected_gains": {"mean": {k: clean(v) for k, v in gains.items()},
                                                  "equilibrium": equilibrium, "unit": unit}}
    share = outcomes.get("us_profit_share")
    if share:  # the summary's first keys, kept for scripts written against them
        summary.update(us_profit_share_median=share["median"], us_profit_share_p2_5=share["p2_5"],
                       us_profit_share_p97_5=share["p97_5"])
    return summary


def _print_replicates(summary: dict[str, Any]) -> None:
    """The replicate summary as a table: one line per outcome, with both modes where bimodal."""
    outcomes = summary["outcomes"]
    agreed = outcomes["agreed"]
    print(f"Scenario {summary['scenario']!r}: {summary['replicates']} seeds from {summary['seed']}; "
          f"{agreed['agreed']}/{agreed['n']} agreed ({agreed['rate']:.0%})")
    expected = summary["expected_gains"]
    names = expected["mean"]
    shown_gains = ", ".join(f"{key} {value:.4g}" + (f" (equilibrium {expected['equilibrium'][key]:.4g})"
                                                    if expected["equilibrium"] and key in expected["equilibrium"]
                                                    else "") for key, value in names.items())
    print(f"Expected gains over all {agreed['n']} runs, no deal counting 0 ({expected['unit']}): {shown_gains}")
    rows = [(k, v) for k, v in outcomes.items() if k != "agreed"]
    if not rows:
        return
    width = max(len("outcome (runs that agreed)"), *(len(k) for k, _ in rows))
    print(f"\n{'outcome (runs that agreed)':<{width}}  {'median':>10}  {'95% interval':<23}  modes (bimodal only)")
    for key, st in rows:
        modes = st["modes"]
        shown = " | ".join(f"{m['value']:.4g} ({m['mass']:.0%})" for m in modes) if modes else ""
        print(f"{key:<{width}}  {st['median']:>10.4g}  {f'[{st['p2_5']:.4g}, {st['p97_5']:.4g}]':<23}  {shown}"
              .rstrip())


def _command_run(args: argparse.Namespace) -> int:
    from negotiation.scenario_files import load_scenario_with_sets

    spec = load_scenario_with_sets(args.scenario, args.overrides)
    if args.rounds and not args.json:
        raise ScenarioError("--rounds adds every round to --json; the table already shows them (add --json)")
    if args.rounds and args.replicates > 1:
        raise ScenarioError("--rounds: one run only (leave out --replicates, or use chipdeal sweep --traces)")
    _check_seeds(args.seed, args.replicates)
    _check_runs(f"--replicates {args.replicates}", args.replicates, args.max_runs)
    from negotiation.model import NegotiationModel

    if args.replicates == 1:
        model = NegotiationModel(spec, rng=args.seed)
        result = model.run()
        if args.json:
            out = result.to_json()
            if args.rounds:
                out["rounds"] = _rounds_json(model)
            print(json.dumps(out, sort_keys=True))
        else:
            _print_table(model, result, args.seed)
        return 0
    summary = _replicates(spec, args.seed, args.replicates)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        _print_replicates(summary)
    return 0


COMMANDS = {"run": "_command_run", "explain": "_command_explain", "keys": "_command_keys",
            "params": "_command_keys", "sweep": "_command_sweep", "app": "_command_app",
            "sensitivity": "_command_sensitivity", "report": "_command_report",
            "calibrate": "_command_calibrate", "discover": "_command_discover",
            "export-genius": "_command_export_genius", "negmas": "_command_negmas", "assets": "_command_assets",
            "compare": "_command_compare"}


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail on a closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (tests capture it)
        pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chipdeal`` console script.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success; 2 for bad input (any :class:`~negotiation.inputs.InputError`,
        one line on stderr); 130 on Ctrl-C; 141 when stdout is closed early (``chipdeal run | head -1``);
        1 when stdout refuses what is written (``> /dev/full``), in one line; what the command returns
        otherwise.

    """
    sys.stdout = _GuardedStdout(sys.stdout)
    try:
        try:
            args = _build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version
            sys.stdout.flush()
            return done.code if isinstance(done.code, int) else 0
        code = globals()[COMMANDS[args.command]](args)
        sys.stdout.flush()
        return code
    except InputError as err:
        print(f"chipdeal: error: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("chipdeal: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OutputRefused as err:
        print(f"chipdeal: error: cannot write the output ({err})", file=sys.stderr)
        _quiet_stdout()
        return EXIT_OUTPUT
    finally:
        if isinstance(sys.stdout, _GuardedStdout):
            sys.stdout = sys.stdout.stream


class OutputRefused(Exception):  # noqa: N818 - it is the output device's refusal, not a bug
    """stdout refused what a command wrote (a full device, an I/O error): the message is the system's reason."""


class _GuardedStdout:
    """stdout, whose write errors other than a closed pipe become :class:`OutputRefused` (said in one line)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def _guard(self, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise OutputRefused(err.strerror or err.__class__.__name__) from None

    def write(self, text: str) -> int:
        return int(self._guard(self.stream.write, text))

    def flush(self) -> None:
        self._guard(self.stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


if __name__ == "__main__":
    sys.exit(main())
