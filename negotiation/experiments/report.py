"""``chipdeal report DIR``: a readable page for any sweep folder.

Outcome distributions, and the split against each varied input, as PNG plots and a markdown page.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from negotiation.experiments.sweepfile import SweepError
from negotiation.scenario import runs_file


def load_runs(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The sweep's frame and its provenance metadata."""
    path = folder / "runs.parquet"
    if not path.is_file():
        raise SweepError(f"{folder}: no runs.parquet (is it a sweep's --out folder?)")
    meta_raw = pq.read_schema(path).metadata or {}
    meta = json.loads(meta_raw.get(b"chipdeal", b"{}"))
    return pd.read_parquet(path), meta


def plot_distributions(frame: pd.DataFrame, path: Path) -> Path:
    """Histograms of the US share and the relief given agreement, rounds to the end, and the outcomes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6.5), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    agreed = frame[frame["agreed"]]
    a.hist(agreed["us_profit_share"].dropna(), bins=40, range=(0, 1), color="#1f5fa8")
    a.set_xlabel("US share of profits (fraction), given agreement")
    a.set_ylabel("runs")
    b.hist(agreed["tariff_relief_usd_bn_per_year"].dropna(), bins=40, color="#c62f2f")
    b.set_xlabel("tariff relief ($bn/yr), given agreement")
    b.set_ylabel("runs")
    c.hist(frame["steps"].dropna().astype(float), bins=min(42, max(int(frame["steps"].max() or 1), 1)),
           color="#555555")
    c.set_xlabel("rounds to the end (months)")
    c.set_ylabel("runs")
    counts = frame["outcome"].value_counts()
    d.bar(counts.index.astype(str), counts.to_numpy(), color=["#168a72", "#d9822b", "#7b4ea3"][: len(counts)])
    d.set_ylabel("runs")
    d.set_title("outcomes")
    for ax in (a, b, c, d):
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def plot_against_inputs(frame: pd.DataFrame, keys: list[str], path: Path) -> Path:
    """The US share (given agreement) against each varied input: every run, and the median per bin."""
    from matplotlib.figure import Figure

    cols = min(3, max(len(keys), 1))
    rows = max(math.ceil(len(keys) / cols), 1)
    fig = Figure(figsize=(4.3 * cols, 3.3 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    agreed = frame[frame["agreed"]]
    for ax, key in zip(axes, keys, strict=False):
        x = pd.to_numeric(agreed[key], errors="coerce")
        if x.isna().all():  # words or booleans: one box per value
            groups = [g["us_profit_share"].to_numpy() for _, g in agreed.groupby(key)]
            ax.boxplot(groups, tick_labels=[str(v) for v in agreed.groupby(key).groups])
        else:
            ax.scatter(x, agreed["us_profit_share"], s=6, alpha=0.35, color="#1f5fa8", label="runs")
            values = np.sort(x.dropna().unique())
            if len(values) <= 12:
                med = agreed.groupby(x)["us_profit_share"].median()
                ax.plot(med.index, med.to_numpy(), "o-", color="#c62f2f", label="median")
            else:
                bins = pd.cut(x, 10)
                med = agreed.groupby(bins, observed=True)["us_profit_share"].median()
                centers = [iv.mid for iv in med.index]
                ax.plot(centers, med.to_numpy(), "o-", color="#c62f2f", label="median per bin")
            ax.legend(fontsize="small")
        ax.set_xlabel(key.split(".", 1)[-1])
        ax.set_ylabel("US share | agreement")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.savefig(path, dpi=110)
    return path


@dataclass(frozen=True)
class Pattern:
    """An observed pattern: a run reproduces it when its ``column`` lies in [low, high] (and it agreed)."""

    name: str
    column: str
    low: float
    high: float
    source: str
    use: str = "corroboration"  # or "calibration": the one target a parameter was set to

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """Which runs reproduce the pattern."""
        values = pd.to_numeric(frame[self.column], errors="coerce")
        return frame["agreed"].astype(bool) & values.between(self.low, self.high)


def default_patterns_path() -> Path:
    """``runs/patterns.toml`` in the working folder if present, else the copy shipped with the package."""
    return runs_file("patterns.toml")


def load_patterns(path: str | Path) -> list[Pattern]:
    """The ``[[pattern]]`` entries of a patterns file, checked (a bad file is a :class:`SweepError`)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path}: no such patterns file") from None
    except tomllib.TOMLDecodeError as err:
        raise SweepError(f"{path}: {err}") from None
    entries = data.get("pattern")
    if not isinstance(entries, list) or not entries:
        raise SweepError(f"{path}: expected one or more [[pattern]] tables")
    patterns = []
    for i, entry in enumerate(entries, 1):
        where = f"{path}: pattern {i}"
        missing = [k for k in ("name", "column", "low", "high", "source") if k not in entry]
        if missing:
            raise SweepError(f"{where}: {missing[0]} is required")
        unknown = sorted(set(entry) - {"name", "column", "low", "high", "source", "use"})
        if unknown:
            raise SweepError(f"{where}: {unknown[0]}: unknown key")
        if not all(isinstance(entry[k], int | float) and not isinstance(entry[k], bool) for k in ("low", "high")):
            raise SweepError(f"{where}: low and high must be numbers")
        if not entry["low"] <= entry["high"]:
            raise SweepError(f"{where}: low must not exceed high")
        patterns.append(Pattern(str(entry["name"]), str(entry["column"]), float(entry["low"]),
                                float(entry["high"]), str(entry["source"])))
    return patterns


def pattern_lines(frame: pd.DataFrame, keys: list[str], patterns: list[Pattern], source: str) -> list[str]:
    """Markdown: how many runs reproduce each pattern and all together, and what their inputs were."""
    usable = [p for p in patterns if p.column in frame.columns]
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
    numeric = [k for k in keys if pd.to_numeric(frame[k], errors="coerce").notna().all()]
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
    """Write distributions.png, against_inputs.png and report.md into the sweep folder; returns report.md.

    ``patterns_path``: observed patterns to filter the runs by (default: ``runs/patterns.toml``).
    """
    folder = Path(folder)
    if patterns_path is None:  # the shipped patterns, when there are any
        patterns_path = default_patterns_path()
        patterns = load_patterns(patterns_path) if patterns_path.is_file() else []
    else:
        patterns_path = Path(patterns_path)
        patterns = load_patterns(patterns_path)
    frame, meta = load_runs(folder)
    if frame.empty:
        raise SweepError(f"{folder}: runs.parquet has no rows")
    keys = meta.get("varied_keys") or [c for c in frame.columns if "." in c]
    plot_distributions(frame, folder / "distributions.png")
    pictures = ["distributions.png"]
    if keys:
        plot_against_inputs(frame, keys, folder / "against_inputs.png")
        pictures.append("against_inputs.png")
    agreed = frame[frame["agreed"]]
    share = agreed["us_profit_share"]
    lines = [f"# Sweep report: {meta.get('sweep_file', folder)}", "",
             f"{len(frame)} runs; scenario {meta.get('scenario', '?')}; master seed {meta.get('master_seed', '?')}; "
             f"chipdeal {meta.get('chipdeal_version', '?')}; sweep SHA-256 {str(meta.get('sweep_sha256', '?'))[:12]}.",
             "",
             f"- Agreement in {len(agreed) / len(frame):.1%} of runs"
             + (f"; {int((frame['error'] != '').sum())} run(s) raised." if (frame["error"] != "").any() else "."),
             ]
    if len(agreed):
        q = share.quantile([0.025, 0.5, 0.975])
        relief = agreed["tariff_relief_usd_bn_per_year"]
        lines += [f"- US share given agreement: median {q[0.5]:.3f}, 95% of runs in [{q[0.025]:.3f}, {q[0.975]:.3f}].",
                  f"- Tariff relief given agreement: median ${relief.median():.1f}bn/yr "
                  f"(95% in [{relief.quantile(0.025):.1f}, {relief.quantile(0.975):.1f}]).",
                  f"- Rounds to agreement: median {agreed['steps'].median():.0f}."]
    if keys and len(agreed) > 2:
        lines += ["", "Rank correlation of the US share (given agreement) with each varied input:", "",
                  "| input | Spearman ρ |", "|---|---:|"]
        for key in keys:
            x = pd.to_numeric(agreed[key], errors="coerce")
            rho = x.corr(share, method="spearman") if x.notna().all() and x.nunique() > 1 else float("nan")
            lines.append(f"| {key} | {rho:.2f} |")
    lines += pattern_lines(frame, keys, patterns, patterns_path.name)
    lines += ["", *[f"![{p}]({p})" for p in pictures], ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path
