"""``chipdeal report DIR``: a readable page for any sweep folder.

Outcome distributions, and the split against each varied input, as PNG plots and a markdown page; for a
sweep with ``[levers]``, the robustness of each lever set (:mod:`negotiation.experiments.robustness`).
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from negotiation.experiments.robustness import robustness_lines
from negotiation.experiments.sweepfile import SweepError
from negotiation.inputs import ScenarioError, read_toml, shown_path
from negotiation.result import TARIFF_PREFIX
from negotiation.scenario_files import runs_file

MAX_REPORT_ROWS = 10_000_000  # a report reads the whole frame into memory
REQUIRED = {"agreed": "bool", "outcome": "text", "steps": "number", "us_profit_share": "number",
            "tariff_relief_usd_bn_per_year": "number", "error": "text"}


OUTCOME_LABELS = {"us_share_before_recoup": "US share before recoup", "us_profit_share": "US share (after recoup)",
                  "agreed_tariff_rate": "all-in tariff", "tariff_relief_usd_bn_per_year": "duty relief $bn/yr"}


def rate_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of each group's agreed rate (``tariff_rate_<group>``) that hold a value, in the frame's order."""
    return [c for c in frame.columns if c.startswith(TARIFF_PREFIX) and frame[c].notna().any()]


def outcome_labels(frame: pd.DataFrame) -> dict[str, str]:
    """The outcomes a report ranks and describes: both shares, each group's rate, the all-in rate, the relief."""
    labels = dict(OUTCOME_LABELS)
    rates = {c: f"{c.removeprefix(TARIFF_PREFIX)} rate" for c in rate_columns(frame)}
    order = ["us_share_before_recoup", "us_profit_share", *rates, "agreed_tariff_rate", "tariff_relief_usd_bn_per_year"]
    labels.update(rates)
    return {c: labels[c] for c in order if c in frame and frame[c].notna().any()}


def load_runs(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The sweep's frame and its provenance metadata; anything unusable is a one-line :class:`SweepError`.

    Args:
        folder: a sweep's ``--out`` folder.

    Returns:
        The frame (checked to have the columns a report reads, of the right kinds) and the provenance.

    """
    shown = shown_path(folder)
    try:
        info = os.stat(folder)
    except (OSError, ValueError) as err:
        why = "no such folder" if isinstance(err, FileNotFoundError) else \
            f"cannot open ({getattr(err, 'strerror', None) or err.__class__.__name__})"
        raise SweepError(f"{shown}: {why}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise SweepError(f"{shown}: not a folder (give a sweep's --out folder)")
    path = folder / "runs.parquet"
    try:
        info = os.stat(path)
    except OSError:
        raise SweepError(f"{shown}: no runs.parquet (is it a sweep's --out folder?)") from None
    if not stat.S_ISREG(info.st_mode):
        raise SweepError(f"{shown_path(path)}: not a regular file")
    try:
        meta_data = pq.read_metadata(path)
        if meta_data.num_rows > MAX_REPORT_ROWS:
            raise SweepError(f"{shown_path(path)}: {meta_data.num_rows:,} runs; a report reads at most "
                             f"{MAX_REPORT_ROWS:,}")
        raw = (meta_data.schema.to_arrow_schema().metadata or {}).get(b"chipdeal", b"{}")
        frame = pq.read_table(path).to_pandas()
    except SweepError:
        raise
    except Exception as err:  # noqa: BLE001 - pyarrow raises many kinds for a truncated or garbage file
        raise SweepError(f"{shown_path(path)}: not a readable Parquet file ({err.__class__.__name__})") from None
    try:
        meta = json.loads(raw)
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    for col, kind in REQUIRED.items():
        if col not in frame.columns:
            raise SweepError(f"{shown_path(path)}: no {col!r} column (is it a chipdeal sweep's runs.parquet?)")
        ok = {"bool": pd.api.types.is_bool_dtype, "number": pd.api.types.is_numeric_dtype,
              "text": lambda s: pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)}[kind]
        if not ok(frame[col]) or (kind == "bool" and frame[col].isna().any()):
            raise SweepError(f"{shown_path(path)}: column {col!r} should hold {kind}s")
    frame["error"] = frame["error"].fillna("").astype(str)
    keys = meta.get("varied_keys")
    if not (isinstance(keys, list) and all(isinstance(k, str) and k in frame.columns for k in keys)):
        meta["varied_keys"] = [c for c in frame.columns if "." in c]
    return frame, meta


def plot_distributions(frame: pd.DataFrame, path: Path) -> Path:
    """Histograms given agreement of both US shares and each group's rate, rounds to the end, and the outcomes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6.5), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    agreed = frame[frame["agreed"]]
    shares = [(col, label) for col, label in (("us_share_before_recoup", "before recoup"),
                                               ("us_profit_share", "after recoup")) if col in agreed]
    for (col, label), colour in zip(shares, ("#8fb3de", "#1f5fa8"), strict=False):
        a.hist(agreed[col].dropna(), bins=40, range=(0, 1), color=colour, alpha=0.7, label=label)
    a.set_xlabel("US share of profits (fraction), given agreement")
    a.set_ylabel("runs")
    if len(shares) > 1:
        a.legend(fontsize="small")
    rates = [col for col in [*rate_columns(agreed), "agreed_tariff_rate"]
             if col in agreed and agreed[col].notna().any()]
    if rates:
        for col, colour in zip(rates, ("#c62f2f", "#d9822b", "#7b4ea3", "#168a72", "#555555") * 4, strict=False):
            label = "all-in" if col == "agreed_tariff_rate" else col.removeprefix(TARIFF_PREFIX)
            b.hist(agreed[col].dropna() * 100, bins=40, color=colour, alpha=0.6, label=label)
        b.set_xlabel("agreed tariff rate (%), given agreement")
        b.legend(fontsize="small")
    else:
        b.hist(agreed["tariff_relief_usd_bn_per_year"].dropna(), bins=40, color="#c62f2f")
        b.set_xlabel("tariff relief ($bn/yr), given agreement")
    b.set_ylabel("runs")
    steps = frame["steps"].dropna().astype(float)
    c.hist(steps, bins=min(42, max(int(steps.max()) if len(steps) else 1, 1)), color="#555555")
    c.set_xlabel("rounds to the end")
    c.set_ylabel("runs")
    counts = frame["outcome"].value_counts()
    d.bar(counts.index.astype(str), counts.to_numpy(), color=["#168a72", "#d9822b", "#7b4ea3"][: len(counts)])
    d.set_ylabel("runs")
    d.set_title("outcomes")
    for ax in (a, b, c, d):
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def plot_against_inputs(frame: pd.DataFrame, keys: list[str], path: Path, column: str = "us_profit_share") -> Path:
    """An outcome (given agreement; default the US share) against each varied input: every run, the median per bin.

    Args:
        frame: the sweep's rows.
        keys: the varied inputs, one panel each.
        path: where the PNG goes.
        column: the outcome on the vertical axis (a fraction in [0, 1]).

    Returns:
        ``path``.

    """
    from matplotlib.figure import Figure

    cols = min(3, max(len(keys), 1))
    rows = max(math.ceil(len(keys) / cols), 1)
    fig = Figure(figsize=(4.3 * cols, 3.3 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    agreed = frame[frame["agreed"]]
    for ax, key in zip(axes, keys, strict=False):
        if agreed.empty:  # nothing agreed: say so instead of plotting nothing
            ax.text(0.5, 0.5, "no run agreed", transform=ax.transAxes, ha="center", color="#777777")
            ax.set_xlabel(key)
            continue
        x = pd.to_numeric(agreed[key], errors="coerce")
        if x.isna().all():  # words or booleans: one box per value
            groups = [g[column].to_numpy() for _, g in agreed.groupby(key)]
            ax.boxplot(groups, tick_labels=[str(v) for v in agreed.groupby(key).groups])
        else:
            ax.scatter(x, agreed[column], s=6, alpha=0.35, color="#1f5fa8", label="runs")
            values = np.sort(x.dropna().unique())
            if len(values) <= 12:
                med = agreed.groupby(x)[column].median()
                ax.plot(med.index, med.to_numpy(), "o-", color="#c62f2f", label="median")
            else:
                bins = pd.cut(x, 10)
                med = agreed.groupby(bins, observed=True)[column].median()
                centers = [iv.mid for iv in med.index]
                ax.plot(centers, med.to_numpy(), "o-", color="#c62f2f", label="median per bin")
            ax.legend(fontsize="small")
        ax.set_xlabel(key.split(".", 1)[-1])
        ax.set_ylabel(OUTCOME_LABELS.get(column, column) + " | agreement")
        if column == "us_profit_share":
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.savefig(path, dpi=110)
    return path


PATTERN_USES = ("calibration", "imposed", "corroboration")  # what a match is evidence of (runs/patterns.toml)


@dataclass(frozen=True)
class Pattern:
    """An observed pattern: a run reproduces it when its ``column`` lies in [low, high] (and it agreed)."""

    name: str
    column: str
    low: float
    high: float
    source: str
    use: str = "corroboration"  # or "calibration" (the one target a parameter was set to) or "imposed"

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """Which runs reproduce the pattern."""
        values = pd.to_numeric(frame[self.column], errors="coerce")
        return frame["agreed"].astype(bool) & values.between(self.low, self.high)


def default_patterns_path() -> Path:
    """``runs/patterns.toml`` in the working folder if present, else the copy shipped with the package."""
    return runs_file("patterns.toml")


def load_patterns(path: str | Path) -> list[Pattern]:
    """The ``[[pattern]]`` entries of a patterns file, checked (a bad file is a :class:`SweepError`).

    Args:
        path: the patterns file (read like any TOML input: a small regular file).

    Returns:
        The patterns.

    """
    path = Path(path)
    where_file = shown_path(path)
    try:
        data = read_toml(path)
    except ScenarioError as err:
        raise SweepError(str(err).replace(": no such file", ": no such patterns file")) from None
    entries = data.get("pattern")
    if not isinstance(entries, list) or not entries:
        raise SweepError(f"{where_file}: expected one or more [[pattern]] tables")
    patterns = []
    for i, entry in enumerate(entries, 1):
        where = f"{where_file}: pattern {i}"
        if not isinstance(entry, dict):
            raise SweepError(f"{where}: expected a [[pattern]] table")
        missing = [k for k in ("name", "column", "low", "high", "source") if k not in entry]
        if missing:
            raise SweepError(f"{where}: {missing[0]} is required")
        unknown = sorted(set(entry) - {"name", "column", "low", "high", "source", "use"})
        if unknown:
            raise SweepError(f"{where}: {unknown[0]}: unknown key")
        if not all(isinstance(entry[k], int | float) and not isinstance(entry[k], bool)
                   and math.isfinite(entry[k]) for k in ("low", "high")):
            raise SweepError(f"{where}: low and high must be finite numbers")
        if not all(isinstance(entry[k], str) for k in ("name", "column", "source")):
            raise SweepError(f"{where}: name, column and source must be strings")
        if not entry["low"] <= entry["high"]:
            raise SweepError(f"{where}: low must not exceed high")
        use = entry.get("use", "corroboration")
        if use not in PATTERN_USES:
            raise SweepError(f"{where}: use: expected one of {', '.join(PATTERN_USES)} (got {use!r:.40})")
        patterns.append(Pattern(entry["name"], entry["column"], float(entry["low"]), float(entry["high"]),
                                entry["source"], use))
    return patterns


def check_pattern_columns(patterns: list[Pattern], frame: pd.DataFrame, source: str | Path) -> None:
    """Every pattern must name a column of the runs: one that does not is a one-line :class:`SweepError`.

    A pattern on a column no run has cannot be counted, and leaving it out would change what "all of them
    together" means without a word.

    Args:
        patterns: the patterns.
        frame: the sweep's rows.
        source: the patterns file, for the message.

    """
    from negotiation.inputs import close

    for i, p in enumerate(patterns, 1):
        if p.column not in frame.columns:
            near = close(p.column, [str(c) for c in frame.columns])
            hint = f" (did you mean {near}?)" if near else ""
            raise SweepError(f"{shown_path(source)}: pattern {i} ({p.name!r:.60}): column {p.column!r:.60} is not a "
                             f"column of the runs{hint}")


def pattern_lines(frame: pd.DataFrame, keys: list[str], patterns: list[Pattern], source: str) -> list[str]:
    """Markdown: how many runs reproduce each pattern and all together, and what their inputs were.

    Every pattern's column must be in ``frame`` (:func:`check_pattern_columns`).
    """
    usable = patterns
    if not usable:
        return []
    lines = ["", f"## Runs that reproduce the observed patterns (`{source}`)", "",
             "| pattern | runs reproducing it | source |", "|---|---:|---|"]
    together = pd.Series(True, index=frame.index)
    for p in usable:
        hit = p.matches(frame)
        together &= hit
        lines.append(f"| {p.name} ({p.column} in [{p.low:g}, {p.high:g}]) | {int(hit.sum())} of {len(frame)} "
                     f"| {p.source} |")
    lines.append(f"| **all of them together** | **{int(together.sum())} of {len(frame)}** | |")
    numeric = [k for k in keys if not pd.api.types.is_bool_dtype(frame[k])  # a yes/no input has no spread
               and pd.to_numeric(frame[k], errors="coerce").notna().all()]
    if not together.any():
        lines += ["", "No run reproduces all the patterns together: over these inputs the model cannot, which "
                  "points at its structure rather than at a parameter."]
    elif numeric and together.sum() < len(frame):
        lines += ["", "Inputs of the runs that reproduce them all, beside all runs' (median, and 5–95% of runs):",
                  "", "| input | all runs | runs reproducing all patterns |", "|---|---|---|"]
        for key in numeric:
            lines.append(f"| {key} | {_spread(frame[key])} | {_spread(frame.loc[together, key])} |")
    return lines


def _spread(values: pd.Series) -> str:
    x = pd.to_numeric(values, errors="coerce")
    return f"{x.median():.3g} ({x.quantile(0.05):.3g}–{x.quantile(0.95):.3g})"


def report(folder: str | Path, patterns_path: str | Path | None = None) -> Path:
    """Write distributions.png, against_inputs.png and report.md (with levers, robustness.csv) into the folder.

    Args:
        folder: a sweep's ``--out`` folder.
        patterns_path: observed patterns to filter the runs by (default: ``runs/patterns.toml``).

    Returns:
        The path of report.md.

    Raises:
        SweepError: the folder, its runs.parquet or the patterns file cannot be used, or the report cannot
            be written there (one line).

    """
    folder = Path(folder)
    try:
        return _report(folder, patterns_path)
    except OSError as err:
        raise SweepError(f"{shown_path(folder)}: cannot write the report there "
                         f"({err.strerror or err.__class__.__name__})") from None


def _report(folder: Path, patterns_path: str | Path | None) -> Path:
    if patterns_path is None:  # the shipped patterns, when there are any
        patterns_path = default_patterns_path()
        patterns = load_patterns(patterns_path) if os.path.isfile(patterns_path) else []
    else:
        patterns_path = Path(patterns_path)
        patterns = load_patterns(patterns_path)
    frame, meta = load_runs(folder)
    if frame.empty:
        raise SweepError(f"{folder}: runs.parquet has no rows")
    check_pattern_columns(patterns, frame, patterns_path)  # before anything is written
    keys = meta["varied_keys"]
    plot_distributions(frame, folder / "distributions.png")
    pictures = ["distributions.png"]
    if keys:
        plot_against_inputs(frame, keys, folder / "against_inputs.png")
        pictures.append("against_inputs.png")
        if "agreed_tariff_rate" in frame and frame["agreed_tariff_rate"].notna().any():
            plot_against_inputs(frame, keys, folder / "tariff_against_inputs.png", "agreed_tariff_rate")
            pictures.append("tariff_against_inputs.png")
    agreed = frame[frame["agreed"]]
    lines = [f"# Sweep report: {meta.get('sweep_file', folder)}", "",
             f"{len(frame)} runs; scenario {meta.get('scenario', '?')}; master seed {meta.get('master_seed', '?')}; "
             f"chipdeal {meta.get('chipdeal_version', '?')} (code {str(meta.get('code_fingerprint', '?'))[:12]}); "
             f"sweep digest {str(meta.get('sweep_digest', '?'))[:12]}; sweep file SHA-256 "
             f"{str(meta.get('sweep_file_sha256', '?'))[:12]}.",
             "",
             f"- Agreement in {len(agreed) / len(frame):.1%} of runs"
             + (f"; {int((frame['error'] != '').sum())} run(s) raised." if (frame["error"] != "").any() else "."),
             ]
    if len(agreed):
        for col, label in (("us_share_before_recoup", "US share before recoup"), ("us_profit_share", "US share")):
            if col in agreed and agreed[col].notna().any():
                q = agreed[col].quantile([0.025, 0.5, 0.975])
                words = " (after recoup)" if col == "us_profit_share" and "us_share_before_recoup" in agreed else ""
                lines.append(f"- {label}{words} given agreement: median {q[0.5]:.3f}, 95% of runs in "
                             f"[{q[0.025]:.3f}, {q[0.975]:.3f}].")
        for col in [*rate_columns(agreed), "agreed_tariff_rate"]:
            if col in agreed and agreed[col].notna().any():
                rate = agreed[col]
                label = "All-in tariff" if col == "agreed_tariff_rate" else \
                    f"Tariff on {col.removeprefix(TARIFF_PREFIX)}"
                lines.append(f"- {label} given agreement: median {rate.median():.1%} (95% in "
                             f"[{rate.quantile(0.025):.1%}, {rate.quantile(0.975):.1%}]).")
        relief = agreed["tariff_relief_usd_bn_per_year"]
        lines += [f"- Tariff relief (duty saved) given agreement: median ${relief.median():.1f}bn/yr "
                  f"(95% in [{relief.quantile(0.025):.1f}, {relief.quantile(0.975):.1f}]).",
                  f"- Rounds to agreement: median {agreed['steps'].median():.0f}."]
    if keys and len(agreed) > 2:
        labels = outcome_labels(agreed)
        outcomes = list(labels)
        lines += ["", "Rank correlation (Spearman ρ) of each outcome, given agreement, with each varied input "
                  "(\"constant\": the outcome or the input does not vary, so there is nothing to rank):", "",
                  "| input | " + " | ".join(labels[c] for c in outcomes) + " |",
                  "|---|" + "---:|" * len(outcomes)]
        for key in keys:
            x = pd.to_numeric(agreed[key], errors="coerce")
            cells = []
            for c in outcomes:
                y = agreed[c]
                if x.isna().any():
                    cells.append("not a number")
                elif x.nunique() < 2 or y.nunique() < 2:
                    cells.append("constant")
                else:
                    cells.append(f"{x.corr(y, method='spearman'):.2f}")
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += pattern_lines(frame, keys, patterns, patterns_path.name)
    robust, table = robustness_lines(frame, meta)
    if table is not None:
        table.to_csv(folder / "robustness.csv", index=False)
        lines += [*robust, "", "The table as CSV: `robustness.csv`."]
    lines += ["", *[f"![{p}]({p})" for p in pictures], ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path
