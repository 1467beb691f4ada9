"""Sensitivity analysis: which assumptions decide the split (Sobol', Morris, one-factor-at-a-time).

A *sensitivity spec* (TOML) names a base ``scenario``, each uncertain input's range under ``[inputs]``
(dotted key → ``[low, high]``), the ``method``, the sample size ``n`` (Sobol': the base sample, a power of
2; Morris: trajectories), ``levels`` (Morris grid levels; OFAT points per input), ``replicates`` seeds per
point and a ``seed``. The design comes from SALib (Saltelli/Sobol' sampler, Morris trajectories; Saltelli
2002, Morris 1991, Campolongo et al. 2007) and runs through the sweep machinery (``negotiation.experiments``), so
it is parallel, resumable and runs on Dask the same way.

Breakdowns leave the split undefined, so three outputs are analysed separately, none dropped or filled:
``p_agreement`` (the share of a point's seeds that agreed), and the US share and the relief *given*
agreement (the mean over a point's agreeing seeds). When some points never agree, the conditional outputs
cannot be analysed on the Saltelli or Morris design; they are then analysed on the agreeing points alone
with the moment-independent δ method (Borgonovo 2007; SALib ``delta``), which takes any sample, and the
summary says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from negotiation.experiments import DEFAULT_MAX_RUNS
from negotiation.experiments.runner import Notify, execute, read_runs
from negotiation.experiments.store import SweepStopped
from negotiation.experiments.sweepfile import (
    RunSettings,
    Sweep,
    SweepError,
    check_size,
    read_base_scenario,
    read_batch_file,
    sweep_from_dict,
)
from negotiation.inputs import ScenarioError, shown_path
from negotiation.keypaths import format_error
from negotiation.result import TARIFF_PREFIX
from negotiation.scenario import Spec
from negotiation.scenario_files import value_at, with_overrides

OUTPUTS = {"p_agreement": "probability of agreement",
           "us_share_before_recoup": "US share before recoup | agreement",
           "us_profit_share": "US share | agreement",
           "agreed_tariff_rate": "agreed tariff | agreement",
           "tariff_relief_usd_bn_per_year": "relief $bn/yr | agreement"}  # and each group's rate: output_label


def output_label(column: str) -> str:
    """How an output is named on the page: :data:`OUTPUTS`, or ``tariff on <group> | agreement``.

    >>> output_label("us_profit_share"), output_label("tariff_rate_autos")
    ('US share | agreement', 'tariff on autos | agreement')
    """
    if column.startswith(TARIFF_PREFIX):
        return f"tariff on {column.removeprefix(TARIFF_PREFIX)} | agreement"
    return OUTPUTS[column]
SETTLED_MAX_CONF = 0.05  # an index is settled only if its 95% interval is at most ± this wide, as well as stable
CONSTANT_ATOL = 1e-9  # an output whose spread over the design is below this (relative) is reported as constant


class Problem(TypedDict):
    """A SALib problem: the inputs' number, names and [low, high] bounds."""

    num_vars: int
    names: list[str]
    bounds: list[list[float]]


class Analysed(TypedDict):
    """What a study produced: the runs, the indices table, notes, the summary page's text and its folder."""

    frame: pd.DataFrame
    indices: pd.DataFrame
    notes: list[str]
    summary: str
    out: Path


class SensitivitySpec(RunSettings):
    """The validated sensitivity spec (see the module docstring)."""

    inputs: dict[str, Annotated[tuple[float, float], Field(strict=False)]] = Field(min_length=1)  # from a list
    method: Literal["sobol", "morris", "ofat"] = "sobol"
    n: int = Field(default=256, ge=2, strict=True)
    levels: int = Field(default=4, ge=2, strict=True)

    @model_validator(mode="after")
    def _ranges(self) -> SensitivitySpec:
        for key, (low, high) in self.inputs.items():
            if not (math.isfinite(low) and math.isfinite(high)) or not high > low:
                raise ValueError(f"inputs: {key!r}: range [{low}, {high}] is empty or inverted (need low < high)")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"n = {self.n}: Sobol' sampling needs a power of 2")
        return self

    def problem(self) -> Problem:
        """The SALib problem.

        Returns:
            ``num_vars``, ``names`` and ``bounds``, as SALib takes them.

        """
        return {"num_vars": len(self.inputs), "names": list(self.inputs), "bounds": [list(b) for b in
                                                                                      self.inputs.values()]}

    def n_points(self) -> int:
        """How many design points the method makes (counted before any design is built).

        Returns:
            Sobol': n × (inputs + 2) (Saltelli, no second order); Morris: n × (inputs + 1); OFAT: inputs × levels.

        """
        d = len(self.inputs)
        return {"sobol": self.n * (d + 2), "morris": self.n * (d + 1), "ofat": d * self.levels}[self.method]


@dataclass(frozen=True)
class Study:
    """A sensitivity study ready to run: the spec, its design matrix and the sweep that runs it."""

    spec: SensitivitySpec
    design: np.ndarray
    sweep: Sweep


def load_spec(path: str | Path, method: str | None = None,
              max_runs: int = DEFAULT_MAX_RUNS) -> tuple[SensitivitySpec, Spec, str]:
    """Read and check a spec (and its base scenario); every problem is a :class:`SweepError`.

    The study's size is checked before anything is built; every input must be a continuous number of the
    scenario (an integer, boolean or word key is refused: its indices would mean nothing), valid over its
    whole range.

    Args:
        path: the spec file.
        method: overrides the spec's method.
        max_runs: the most runs the study may have.

    Returns:
        The spec, its base scenario and the SHA-256 of the spec file.

    """
    path = Path(path)
    data, sha = read_batch_file(path)
    if method is not None:
        data["method"] = method
    try:
        spec = SensitivitySpec.model_validate(data)
    except ValidationError as err:
        raise SweepError(format_error(err, shown_path(path), data, root=SensitivitySpec)) from None
    points = spec.n_points()
    check_size(points * spec.replicates, max_runs, str(path),
               f"{points:,} {spec.method} design points × {spec.replicates} replicate(s)")
    base = read_base_scenario(path, spec.scenario, "the spec")
    for key, (low, high) in spec.inputs.items():
        inner = low + (high - low) * 0.381966  # a value no integer key accepts
        for value in (low, high, inner):
            try:
                with_overrides(base, {key: value}, source=f"{shown_path(path)}: inputs")
            except ScenarioError as e:
                kind = value_at(base, key)
                if isinstance(kind, bool | int | str) and not isinstance(kind, float):
                    raise SweepError(f"{shown_path(path)}: inputs: {key!r} is a {type(kind).__name__} key, not a "
                                     "continuous number: a sensitivity input must take any value in its range "
                                     "(sweep it on a [grid] instead)") from None
                raise SweepError(str(e)) from None
        if spec.method == "ofat" and value_at(base, key) is None:
            raise SweepError(f"{shown_path(path)}: inputs: {key!r} has no value in the base scenario, where OFAT "
                             "holds each input while another moves")
    return spec, base, sha


def design(spec: SensitivitySpec) -> np.ndarray:
    """The design matrix (rows = points, columns = inputs in spec order)."""
    problem = spec.problem()
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.n, calc_second_order=False, seed=spec.seed)
    if spec.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, spec.n, num_levels=spec.levels, seed=spec.seed)
    # one factor at a time: each input over its range, the others at the base scenario's values (NaN = base)
    rows = []
    for j, (low, high) in enumerate(spec.inputs.values()):
        for value in np.linspace(low, high, spec.levels):
            row = np.full(len(spec.inputs), np.nan)
            row[j] = value
            rows.append(row)
    return np.array(rows)


def build(path: str | Path, method: str | None = None, max_runs: int = DEFAULT_MAX_RUNS) -> Study:
    """Spec → design → the sweep that runs it (one point per design row, ``replicates`` seeds each).

    Args:
        path: the spec file.
        method: overrides the spec's method.
        max_runs: the most runs the study may have (checked before the design is built).

    Returns:
        The study.

    """
    spec, base, sha = load_spec(path, method, max_runs)
    x = design(spec)
    sweep = sweep_from_dict({"replicates": spec.replicates, "seed": spec.seed, "name": spec.name}, base,
                            source=str(path), max_runs=max_runs)
    keys = list(spec.inputs)
    if spec.method == "ofat":
        rows = []
        for row in x:
            j = int(np.flatnonzero(~np.isnan(row))[0])
            rows.append(tuple(float(row[i]) if i == j else float(value_at(base, k)) for i, k in enumerate(keys)))
    else:
        rows = [tuple(float(v) for v in row) for row in x]
    sweep = sweep.with_design(keys, rows, source=str(path))
    return Study(spec, x, Sweep(sweep.file, sweep.base, sweep.source, sweep.digest, sweep.design_keys, sweep.design,
                                sha, sweep.kinds))


# ---------------------------------------------------------------------------------------------------------
# Analysis (pure functions of a design and the outputs: the Ishigami test runs them without the model)


def point_outputs(frame: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """Per design point: the probability of agreement and the means given agreement (NaN when none agreed).

    The means are of both US shares, each group's rate (``tariff_rate_<group>``), the all-in rate and the relief.
    """
    agreed = frame["agreed"].astype(bool)
    by_point = frame.assign(agreed=agreed).groupby("point")
    out = pd.DataFrame(index=pd.RangeIndex(n_points, name="point"))
    out["p_agreement"] = by_point["agreed"].mean()
    cond = frame[agreed].groupby("point")
    rates = [c for c in frame.columns if c.startswith(TARIFF_PREFIX)]
    for col in ("us_share_before_recoup", "us_profit_share", *rates, "agreed_tariff_rate",
                "tariff_relief_usd_bn_per_year"):
        out[col] = cond[col].mean() if col in frame else np.nan
    return out


def sobol_indices(problem: Problem, y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol' indices with 95% bootstrap intervals (Saltelli/Jansen estimators)."""
    from SALib.analyze import sobol

    res = sobol.analyze(problem, np.asarray(y, dtype=float), calc_second_order=False, seed=seed)
    return pd.DataFrame({"input": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                         "ST_conf": res["ST_conf"]})


def sobol_with_settling(problem: Problem, y: np.ndarray, n: int, seed: int = 0) -> pd.DataFrame:
    """Sobol' indices at n and at n/2, and whether each index settled.

    The design's first half is itself a Sobol' design of n/2; an index has settled when doubling n moved it
    by less than its interval *and* that interval is narrow (at most ± ``SETTLED_MAX_CONF``): an index known
    only to ± 0.5 has not settled, however little it moved.

    Args:
        problem: the SALib problem.
        y: one output per design row.
        n: the base sample size.
        seed: the bootstrap's seed.

    Returns:
        One row per input: S1, ST, their intervals, their values at n/2 and ``settled``.

    """
    full = sobol_indices(problem, y, seed)
    rows_per_base = problem["num_vars"] + 2
    half = sobol_indices(problem, np.asarray(y)[: (n // 2) * rows_per_base], seed)
    full["S1_half"], full["ST_half"] = half["S1"].to_numpy(), half["ST"].to_numpy()
    stable = ((full["S1"] - full["S1_half"]).abs() <= full["S1_conf"]) & (
        (full["ST"] - full["ST_half"]).abs() <= full["ST_conf"])
    narrow = (full["S1_conf"] <= SETTLED_MAX_CONF) & (full["ST_conf"] <= SETTLED_MAX_CONF)
    full["settled"] = stable & narrow
    full["n"] = n
    return full


def morris_indices(problem: Problem, x: np.ndarray, y: np.ndarray, levels: int, seed: int = 0) -> pd.DataFrame:
    """Morris elementary effects: μ* (mean absolute effect) with its interval, and σ."""
    from SALib.analyze import morris

    res = morris.analyze(problem, np.asarray(x), np.asarray(y, dtype=float), num_levels=levels, seed=seed)
    return pd.DataFrame({"input": problem["names"], "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                         "sigma": res["sigma"]})


def delta_indices(problem: Problem, x: np.ndarray, y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Moment-independent δ and first-order S1 on any sample (used on the agreeing points only)."""
    import contextlib
    import io

    from SALib.analyze import delta

    try:  # δ solves thousands of tiny triangular systems: BLAS threads only fight over them (10× slower)
        from threadpoolctl import threadpool_limits

        one_thread: Any = threadpool_limits(1)  # threadpoolctl is untyped
    except ImportError:  # pragma: no cover - installed with the environment
        one_thread = contextlib.nullcontext()
    with one_thread, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        res = delta.analyze(problem, np.asarray(x), np.asarray(y, dtype=float), seed=seed)
    key = "delta_raw" if "delta_raw" in res else "delta"  # SALib ≥ 1.5 names it by method
    return pd.DataFrame({"input": problem["names"], "delta": res[key], "delta_conf": res[f"{key}_conf"],
                         "S1": res["S1"], "S1_conf": res["S1_conf"]})


def analyse(spec: SensitivitySpec, x: np.ndarray, outputs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Indices for every output, tidy (one row per output × input), and notes for the summary."""
    problem = spec.problem()
    tables, notes = [], []
    for col in outputs.columns:
        if col not in OUTPUTS and not col.startswith(TARIFF_PREFIX):
            continue
        label = output_label(col)
        y = outputs[col].to_numpy(dtype=float)
        ok = np.isfinite(y)
        if not ok.any():
            notes.append(f"{label}: no point agreed; nothing to analyse.")
            continue
        if np.nanstd(y) <= CONSTANT_ATOL * max(1.0, float(np.nanmax(np.abs(y)))):  # float noise is not variance
            notes.append(f"{label}: constant ({y[ok][0]:.4g}) over the design; every index is 0.")
            table = pd.DataFrame({"input": problem["names"]})
            table["method"] = "constant"
        elif ok.all() and spec.method == "sobol":
            table = sobol_with_settling(problem, y, spec.n, spec.seed)
            table["method"] = "sobol"
        elif ok.all() and spec.method == "morris":
            table = morris_indices(problem, x, y, spec.levels, spec.seed)
            table["method"] = "morris"
        else:
            table = delta_indices(problem, x[ok], y[ok], spec.seed)
            table["method"] = "delta"
            notes.append(f"{label}: {int((~ok).sum())} of {ok.size} points never agreed, so it was analysed on "
                         f"the {int(ok.sum())} agreeing points with the δ method (first-order S1 and δ).")
        table.insert(0, "output", col)
        tables.append(table)
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), notes


# ---------------------------------------------------------------------------------------------------------
# Pictures and the summary


def _short(key: str) -> str:
    return key.split(".", 1)[-1]


def plot_indices(table: pd.DataFrame, path: Path) -> Path:
    """Bar chart of the indices with their intervals, one panel per output."""
    from matplotlib.figure import Figure

    outputs = list(dict.fromkeys(table["output"]))
    fig = Figure(figsize=(7.5, 2.6 * len(outputs) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(outputs), 1, squeeze=False)[:, 0])
    for ax, out in zip(axes, outputs, strict=True):
        t = table[table["output"] == out]
        y = np.arange(len(t))
        method = t["method"].iloc[0]
        if method == "sobol":
            ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order S1", color="#1f5fa8")
            ax.barh(y + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="total ST", color="#d9822b")
            ax.set_xlabel("Sobol' index (share of output variance), 95% interval")
        elif method == "morris":
            ax.barh(y, t["mu_star"], 0.6, xerr=t["mu_star_conf"], label="μ*", color="#1f5fa8")
            ax.set_xlabel(f"Morris μ* (mean |elementary effect|, units of {output_label(out)})")
        elif method == "delta":
            ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order S1", color="#1f5fa8")
            ax.barh(y + 0.2, t["delta"], 0.4, xerr=t["delta_conf"], label="δ (moment-independent)",
                    color="#168a72")
            ax.set_xlabel("index (agreeing points only), 95% interval")
        else:
            ax.set_xlabel("constant output: no sensitivity")
        ax.set_yticks(y, [_short(k) for k in t["input"]])
        ax.invert_yaxis()
        ax.set_title(output_label(out))
        ax.grid(axis="x", alpha=0.3)
        if method != "constant":
            ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, dpi=110)
    return path


def plot_morris(table: pd.DataFrame, path: Path) -> Path:
    """Morris μ*–σ plot per output: far right = influential, high = non-linear or interacting."""
    from matplotlib.figure import Figure

    t_all = table[table["method"] == "morris"]
    outputs = list(dict.fromkeys(t_all["output"]))
    fig = Figure(figsize=(5.5 * max(len(outputs), 1), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(outputs), 1), squeeze=False)[0])
    for ax, out in zip(axes, outputs, strict=False):
        t = t_all[t_all["output"] == out]
        ax.scatter(t["mu_star"], t["sigma"], color="#1f5fa8", label="inputs")
        for _, r in t.iterrows():
            ax.annotate(_short(r["input"]), (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        top = max(float(t["mu_star"].max()), float(t["sigma"].max()), 1e-12)
        ax.plot([0, top], [0, top], ":", color="#888888", label="σ = μ*")
        ax.set_xlabel(f"μ* ({output_label(out)})")
        ax.set_ylabel("σ of elementary effects")
        ax.set_title(output_label(out))
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def plot_ofat(frame: pd.DataFrame, spec: SensitivitySpec, path: Path) -> Path:
    """Response curves: each input over its range (others at base), median and range over seeds."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    keys = list(spec.inputs)
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    per_input = spec.levels
    for j, key in enumerate(keys):
        ax = axes[j]
        points = range(j * per_input, (j + 1) * per_input)
        sub = frame[frame["point"].isin(points)]
        g = sub.groupby(key)["us_profit_share"]
        xs = np.sort(np.asarray(list(g.groups), dtype=float))  # the input's values (an OFAT input is a number)
        ax.fill_between(xs, g.min().reindex(xs), g.max().reindex(xs), color="#1f5fa8", alpha=0.2,
                        label="range over seeds")
        ax.plot(xs, g.median().reindex(xs), "o-", color="#1f5fa8", label="median")
        p = sub.groupby(key)["agreed"].mean().reindex(xs)
        if (p < 1).any():
            ax.plot(xs, p, "s--", color="#c62f2f", label="P(agreement)")
        ax.set_xlabel(_short(key))
        ax.set_ylabel("US share | agreement")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        if "agreed_tariff_rate" in sub:
            tariff = sub[sub["agreed"].astype(bool)].groupby(key)["agreed_tariff_rate"].median().reindex(xs)
            right = ax.twinx()
            right.plot(xs, tariff, "^:", color="#7a4f9a", label="agreed tariff (median)")
            right.set_ylabel("agreed tariff | agreement")
            right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            more_handles, more_labels = right.get_legend_handles_labels()
            handles, labels = handles + more_handles, labels + more_labels
        if j == 0:
            ax.legend(handles, labels, fontsize="small")
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.savefig(path, dpi=110)
    return path


def summary_markdown(spec: SensitivitySpec, table: pd.DataFrame, notes: list[str], n_runs: int,
                     pictures: list[str]) -> str:
    """A short page: what was run, the ranking per output, whether the indices settled, the pictures."""
    lines = [f"# Sensitivity: {spec.name or spec.scenario} ({spec.method})", "",
             f"{len(spec.inputs)} inputs, {n_runs} runs ({spec.replicates} seed(s) per point), master seed "
             f"{spec.seed}.", ""]
    for out in (dict.fromkeys(table["output"]) if len(table) else {}):
        label = output_label(out)
        t = table[table["output"] == out]
        if t is None or not len(t):
            continue
        method = t["method"].iloc[0]
        lines.append(f"## {label}")
        if method == "sobol":
            t = t.sort_values("ST", ascending=False)
            lines.append(f"Sobol' indices at N = {spec.n} (S1 and ST with 95% intervals; 'settled' = halving N "
                         f"moved both by less than their interval, and both intervals are within "
                         f"± {SETTLED_MAX_CONF}):")
            lines.append("")
            lines.append("| input | S1 | ST | settled |")
            lines.append("|---|---:|---:|---|")
            for _, r in t.iterrows():
                lines.append(f"| {r['input']} | {r['S1']:.3f} ± {r['S1_conf']:.3f} | {r['ST']:.3f} ± "
                             f"{r['ST_conf']:.3f} | {'yes' if r['settled'] else 'no'} |")
        elif method == "morris":
            t = t.sort_values("mu_star", ascending=False)
            lines += ["| input | μ* | σ |", "|---|---:|---:|"]
            lines += [f"| {r['input']} | {r['mu_star']:.4f} ± {r['mu_star_conf']:.4f} | {r['sigma']:.4f} |"
                      for _, r in t.iterrows()]
        elif method == "delta":
            t = t.sort_values("delta", ascending=False)
            lines += ["| input | δ | S1 |", "|---|---:|---:|"]
            lines += [f"| {r['input']} | {r['delta']:.3f} ± {r['delta_conf']:.3f} | {r['S1']:.3f} ± "
                      f"{r['S1_conf']:.3f} |" for _, r in t.iterrows()]
        lines.append("")
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    lines += [f"![{p}]({p})" for p in pictures]
    return "\n".join(lines) + "\n"


def run(study: Study | str | Path, out: str | Path, *, method: str | None = None, workers: int | None = None,
        scheduler: str | None = None, scheduler_file: str | Path | None = None, resume: bool = False,
        overwrite: bool = False, progress: bool = True, notify: Notify | None = None, max_runs: int = DEFAULT_MAX_RUNS,
        banner: str | None = None) -> Analysed:
    """Build, run and analyse a study; writes runs.parquet, indices.csv, PNGs and summary.md to ``out``.

    Args:
        study: a built study, or the spec file to build one from.
        out: its folder.
        method: overrides the spec's method (when ``study`` is a file).
        workers: local processes.
        scheduler: a Dask scheduler's address.
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).
        resume: finish the study ``out`` holds.
        overwrite: replace what ``out`` holds.
        progress: show a progress bar, and a line per analysis step.
        notify: where one-line notices go (default: stderr; the analysis steps only with ``progress``).
        max_runs: the most runs the study may have (when ``study`` is a file).
        banner: a line to say once the folder is ready and there is work to do.

    Returns:
        ``frame`` (the runs), ``indices``, ``notes``, ``summary`` (the page's text) and ``out``.

    Raises:
        SweepStopped: the runs stopped part-way, a run raised (indices from such runs are not computed), the
            analysis failed, or the outputs could not be written.

    """
    import sys

    if not isinstance(study, Study):
        study = build(study, method, max_runs)
    out = Path(out)
    say = (notify or (lambda m: print(m, file=sys.stderr, flush=True))) if progress else (lambda _m: None)
    summary = execute(study.sweep, out, workers=workers, scheduler=scheduler, scheduler_file=scheduler_file,
                      resume=resume, overwrite=overwrite, progress=progress, notify=notify, banner=banner)
    if summary.errors:
        raise SweepStopped(f"{summary.errors:,} of {summary.runs:,} runs raised (see the 'error' column of "
                           f"{shown_path(summary.path)}); the indices would not mean anything, so none were computed")
    spec = study.spec
    try:
        frame = read_runs(summary.path)
        say(f"chipdeal sensitivity: analysing {study.sweep.n_points:,} points ({spec.method})")
        pictures: list[str] = []
        if spec.method == "ofat":
            plot_ofat(frame, spec, out / "ofat.png")
            pictures.append("ofat.png")
            table, notes = pd.DataFrame(), list[str]()
        else:
            outputs = point_outputs(frame, study.sweep.n_points)
            table, notes = analyse(spec, study.design, outputs)
            say("chipdeal sensitivity: writing indices.csv and the pictures")
            table.to_csv(out / "indices.csv", index=False)
            plot_indices(table, out / "indices.png")
            pictures.append("indices.png")
            if spec.method == "morris" and (table["method"] == "morris").any():
                plot_morris(table, out / "morris.png")
                pictures.append("morris.png")
        text = summary_markdown(spec, table, notes, len(frame), pictures)
        (out / "summary.md").write_text(text)
    except KeyboardInterrupt as err:
        import signal

        signum = getattr(err, "signum", signal.SIGINT)
        raise SweepStopped(f"interrupted ({signal.Signals(signum).name}) during the analysis; all runs are in "
                           f"{shown_path(summary.path)}; rerun with --resume to analyse them",
                           130 if signum == signal.SIGINT else 128 + signum) from None
    except OSError as err:
        raise SweepStopped(f"cannot write the analysis into {shown_path(out)} ({err.strerror or err}); the runs are "
                           f"in {shown_path(summary.path)}; rerun with --resume to analyse them") from None
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        raise SweepStopped(f"the {spec.method} analysis failed ({err.__class__.__name__}: {err}); the runs are in "
                           f"{shown_path(summary.path)}") from None
    say(f"chipdeal sensitivity: wrote {shown_path(out / 'summary.md')}")
    return {"frame": frame, "indices": table, "notes": notes, "out": out, "summary": text}
