"""A calibration's corner plot and pages: ``corner.png``, ``identification.md`` and ``report.md``."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from negotiation.experiments.calibrate.spec import Calibration, Prior
from negotiation.experiments.calibrate.stats import NARROWED, PINNED, RIDGE, Identification, Predicted, Result
from negotiation.values import Json

MAX_CORNER = 10  # parameters in the corner plot (the most narrowed ones)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def plot_corner(priors: Sequence[Prior], posterior: pd.DataFrame, ident: Identification, path: Path) -> Path:
    """A corner plot of the last population: weighted histograms on the diagonal, weighted scatter below.

    At most :data:`MAX_CORNER` parameters, the most narrowed first; each axis spans its prior's range, on the
    prior's flat scale (log10 for a log-uniform prior), so an unidentified parameter fills its panel and its
    histogram lies along the dashed line (the prior's mass per bin).

    Args:
        priors: the free parameters.
        posterior: the last population.
        ident: its identification (orders the parameters).
        path: where the PNG goes.

    Returns:
        ``path``.

    """
    from matplotlib.figure import Figure

    order = sorted(range(len(priors)), key=lambda i: ident.rows[i]["width_ratio"])[:MAX_CORNER]
    shown = [priors[i] for i in order]
    n = len(shown)
    w = posterior["weight"].to_numpy(dtype=float)

    def scale(p: Prior) -> tuple[np.ndarray, float, float, str]:
        x = posterior[p.key].to_numpy(dtype=float)
        name = p.key.split(".", 1)[-1]
        if p.log:
            return np.log10(x), math.log10(p.low), math.log10(p.high), f"log10 {name}"
        return x, p.low, p.high, name

    scaled = [scale(p) for p in shown]
    size = 1.6 * n + 0.8
    fig = Figure(figsize=(size, size))
    fig.subplots_adjust(left=0.6 / size + 0.04, bottom=0.6 / size + 0.04, right=0.98, top=0.95, wspace=0.08,
                        hspace=0.08)
    axes = np.atleast_2d(fig.subplots(n, n, squeeze=False))
    bins = 24
    for i, (yi, ylo, yhi, yname) in enumerate(scaled):
        for j, (xj, xlo, xhi, xname) in enumerate(scaled):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(xj, bins=np.linspace(xlo, xhi, bins + 1), weights=w, color="#1f5fa8")
                ax.axhline(1.0 / bins, color="#777777", lw=0.8, ls="--")
                ax.set_yticks([])
            else:
                ax.scatter(xj, yi, s=2, alpha=0.35, color="#1f5fa8", linewidths=0)
                ax.set_ylim(ylo, yhi)
            ax.set_xlim(xlo, xhi)
            ax.tick_params(labelsize=6, length=2)
            if i < n - 1:
                ax.set_xticklabels([])
            else:
                ax.set_xlabel(xname, fontsize=7)
            if j > 0 or i == 0:
                ax.set_yticklabels([]) if i != j else None
            else:
                ax.set_ylabel(yname, fontsize=7)
    fig.suptitle(f"posterior, last generation ({len(shown)} of {len(priors)} parameters, the most narrowed); "
                 "diagonal: weighted histogram, dashed: the prior", fontsize=8)
    fig.savefig(path, dpi=80)
    return path


def _g(x: object) -> str:
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def identification_lines(ident: Identification) -> list[str]:
    """The identification report (markdown): widths, verdicts and ridges.

    Args:
        ident: the identification.

    Returns:
        Its lines.

    """
    lines = ["| parameter | prior | prior 5–95% | posterior median | posterior 5–95% | width ratio | verdict |",
             "|---|---|---|---:|---|---:|---|"]
    for r in ident.rows:
        lines.append(f"| `{r['key']}` | {r['prior']} | {_g(r['prior_5'])}–{_g(r['prior_95'])} | {_g(r['median'])} "
                     f"| {_g(r['post_5'])}–{_g(r['post_95'])} | {r['width_ratio']:.2f} | {r['verdict']} |")
    lines += ["", f"Width ratio: the posterior's 5–95% interval over the prior's, on the prior's flat scale (the "
              f"logarithm for a log-uniform prior): under {PINNED} *pinned*, under {NARROWED} *narrowed*, else *not "
              "identified* on its own (the patterns say little about its marginal; the ratio carries Monte Carlo "
              "noise of a few hundredths). A parameter not identified on its own may still be fixed jointly "
              "with others: see the combinations below."]
    if ident.ess is not None and ident.ess < 200:
        lines += ["", f"**Few effective particles** (ESS {ident.ess:.0f}): the widths and correlations are rough."]
    if ident.ridges:
        lines += ["", f"Ridges (posterior correlations |ρ| > {RIDGE}: the patterns fix a combination of the two, not "
                  "each):", "", "| parameter | parameter | ρ |", "|---|---|---:|"]
        lines += [f"| `{a}` | `{b}` | {rho:+.2f} |" for a, b, rho in ident.ridges]
    else:
        lines += ["", f"No pair of parameters has a posterior correlation |ρ| > {RIDGE}."]
    if ident.axes:
        lines += ["", "Combinations (the posterior's principal axes on the prior's unit box, narrowest first: a "
                  "pattern may fix a combination of parameters while leaving each one's marginal at its prior; "
                  "sd ratio = the combination's posterior sd over its prior sd, same cut-offs as above):", "",
                  "| axis | sd ratio | verdict | heaviest loadings |", "|---:|---:|---|---|"]
        for k, ax in enumerate(ident.axes, start=1):
            heavy = ", ".join(f"`{key}` {v:+.2f}" for key, v in ax["loadings"][:4])
            lines.append(f"| {k} | {ax['sd_ratio']:.2f} | {ax['verdict']} | {heavy} |")
        if ident.noise_sd_ratio is not None:
            lines += ["", f"Sampling noise alone (a prior sample as large as the posterior's ESS) gives a narrowest "
                      f"axis of {ident.noise_sd_ratio:.2f}: an axis well below that is fixed by the patterns."]
    corr = ident.correlations
    if len(corr) > 1:
        keys = list(corr.index)
        pairs = [(str(a), str(b), float(corr.loc[a, b])) for i, a in enumerate(keys) for b in keys[i + 1:]]
        pairs = sorted((p for p in pairs if math.isfinite(p[2])), key=lambda p: -abs(p[2]))[:3]
        lines += ["", "Strongest posterior correlations: " + "; ".join(f"`{a}` with `{b}` {rho:+.2f}"
                                                                    for a, b, rho in pairs) + "."]
    return lines


def predictive_lines(rows: list[Predicted]) -> list[str]:
    """The predictive table (markdown): per pattern, prior and posterior share of draws reproducing it.

    Args:
        rows: :func:`predictive_table`'s rows.

    Returns:
        Its lines.

    """
    lines = ["| pattern | band | use | in the fit | prior: reproduces | posterior: reproduces | posterior median "
             "(5–95%) |", "|---|---|---|---|---:|---:|---|"]
    for r in rows:
        value = f"{_g(r.get('posterior_median'))} ({_g(r.get('posterior_5'))}–{_g(r.get('posterior_95'))})" \
            if r["column"] else ""
        shown = f"{r['pattern']} (`{r['column']}`)" if r["column"] else f"**{r['pattern']}**"
        lines.append(f"| {shown} | {r['band']} | {r['use']} | {r['role']} | {r['prior_match']:.0%} | "
                     f"{r['posterior_match']:.0%} | {value} |")
    return lines


def write_pages(cal: Calibration, result: Result, meta: Mapping[str, Json]) -> None:
    """``identification.md`` and ``report.md`` in the output folder.

    Args:
        cal: the calibration.
        result: what it produced.
        meta: its provenance.

    """
    ident = identification_lines(result.identification)
    gens = result.generations
    lines = [f"# Calibration: {cal.file.name or cal.source}", "",
             f"ABC-SMC (pyabc) on `{cal.source}` (SHA-256 {cal.sha256[:12]}), scenario {cal.base.name!r}, "
             f"master seed {cal.file.seed}, chipdeal code {str(meta.get('code_fingerprint', '?'))[:12]}; "
             f"{len(gens)} generation(s) of {cal.file.population} particles, {result.evaluations:,} model runs "
             f"in {result.seconds:.0f} s. Summary statistics (fitted): "
             + ", ".join(f"`{p.column}`" for p in cal.fitted) + ".", "",
             "| generation | ε | runs | acceptance | ESS | seconds |", "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {g['generation']} | {g['epsilon']:.3g} | {g['evaluations']:,} | {g['acceptance_rate']:.1%} | "
              f"{g['ess']:.0f} | {g['seconds']:.1f} |" for g in gens.to_dict("records")]
    lines += ["", "## Posterior and identification", "", *ident, "",
              "## Predictive of every pattern (one fresh run per draw)", "",
              "Prior: draws from the priors; posterior: the last population, weighted. *Reproduces*: the share of "
              "draws whose run agrees with its column in the band.", "", *predictive_lines(result.predictive), ""]
    lines += [f"Note: {n}" for n in result.notes]
    lines += ["", "![corner plot](corner.png)", ""]
    _write_text(result.out / "identification.md", "\n".join(["# Identification", "", *ident, ""]))
    _write_text(result.out / "report.md", "\n".join(lines))
