"""What a posterior identified: weighted quantiles and correlations, widths against the prior, principal axes.

Pure functions of a population (its particles and importance weights) and the priors, no pyabc; and
:class:`Result`, what a calibration produced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from negotiation.experiments.calibrate.spec import Prior
from negotiation.experiments.report import Pattern

PINNED, NARROWED = 0.5, 0.9  # posterior/prior 5–95% width ratios below which a parameter is pinned, narrowed
AXES_SHOWN = 3  # the narrowest principal axes of the posterior that the identification report shows
RIDGE = 0.5  # |ρ| of two parameters in the posterior above which they trade off (a ridge)


@overload
def weighted_quantile(x: npt.ArrayLike, w: npt.ArrayLike, q: float) -> float: ...
@overload
def weighted_quantile(x: npt.ArrayLike, w: npt.ArrayLike, q: Sequence[float]) -> npt.NDArray[np.float64]: ...
def weighted_quantile(x: npt.ArrayLike, w: npt.ArrayLike, q: float | Sequence[float]) \
        -> float | npt.NDArray[np.float64]:
    """Quantiles of ``x`` weighted by ``w`` (the weighted empirical CDF through the points' mid-masses).

    Args:
        x: values.
        w: non-negative weights (any scale).
        q: probabilities in [0, 1].

    Returns:
        The quantile(s), interpolated.

    >>> float(weighted_quantile([1.0, 2.0, 3.0], [1, 1, 1], 0.5))
    2.0
    >>> float(weighted_quantile([1.0, 2.0], [3, 1], 0.5))
    1.25

    """
    xs, ws = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    order = np.argsort(xs)
    xs, ws = xs[order], ws[order]
    cdf = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    if isinstance(q, float | int):
        return float(np.interp(q, cdf, xs))
    return np.interp(np.asarray(q, dtype=float), cdf, xs)


def weighted_corr(a: npt.ArrayLike, b: npt.ArrayLike, w: npt.ArrayLike) -> float:
    """Pearson correlation of ``a`` and ``b`` under weights ``w`` (NaN if either is constant).

    >>> round(weighted_corr([1, 2, 3], [2, 4, 6.5], [1, 1, 1]), 3)
    0.998
    """
    x, y, p = (np.asarray(v, dtype=float) for v in (a, b, w))
    p = p / p.sum()
    dx, dy = x - (p * x).sum(), y - (p * y).sum()
    vx, vy = (p * dx * dx).sum(), (p * dy * dy).sum()
    if vx <= 0 or vy <= 0:
        return math.nan
    return float((p * dx * dy).sum() / math.sqrt(vx * vy))


def effective_sample_size(w: npt.ArrayLike) -> float:
    """Kish's effective sample size of weights ``w``: (Σw)² / Σw².

    >>> effective_sample_size([1, 1, 1, 1])
    4.0
    """
    p = np.asarray(w, dtype=float)
    return float(p.sum() ** 2 / (p * p).sum())


class Row(TypedDict):
    """One parameter's line of the identification table."""

    key: str
    prior: str  # "uniform 0–1"
    prior_5: float
    prior_95: float
    median: float
    post_5: float
    post_95: float
    width_ratio: float  # posterior/prior 5–95% width, on the prior's flat scale
    verdict: str  # pinned, narrowed, not identified


class Axis(TypedDict):
    """One principal axis of the posterior: its sd ratio, verdict and loadings (heaviest first)."""

    sd_ratio: float
    verdict: str
    loadings: list[tuple[str, float]]


type Predicted = dict[str, str | float]  # a pattern's line of the predictive table: its words, then figures


@dataclass(frozen=True)
class Identification:
    """Per parameter: prior and posterior 5–95% intervals, their width ratio and a verdict; and the ridges."""

    rows: list[Row]
    ridges: list[tuple[str, str, float]]
    correlations: pd.DataFrame
    ess: float | None = None  # the population's effective sample size
    axes: list[Axis] = field(default_factory=list)  # the narrowest combinations (principal axes)
    noise_sd_ratio: float | None = None  # the narrowest axis's sd ratio in a prior sample of the same ESS


def principal_axes(priors: Sequence[Prior], posterior: pd.DataFrame, weights: npt.ArrayLike) \
        -> tuple[np.ndarray, np.ndarray]:
    r"""The posterior's principal axes on the prior's unit box, and each one's sd over the prior's.

    Each parameter is mapped to its prior quantile u ∈ [0, 1], where the prior is uniform with covariance
    I/12. With C the posterior's weighted covariance of u, the eigen-decomposition 12·C = V Λ Vᵀ gives the
    directions v_k (columns of V) and the variance ratios λ_k of the combinations v_kᵀu, so
    :math:`\sqrt{λ_k}` is the k-th combination's sd ratio: a pattern that fixes a + b + c + d leaves every
    marginal near its prior yet gives one small λ (a parameter identified only jointly).

    Args:
        priors: the free parameters.
        posterior: the particles, one column per dotted key.
        weights: their importance weights.

    Returns:
        The sd ratios, narrowest first, and the matching unit directions (columns).

    >>> rng = np.random.default_rng(0)
    >>> u = rng.uniform(size=(4000, 2)); keep = np.abs(u.sum(axis=1) - 1) < 0.05
    >>> frame = pd.DataFrame(u[keep], columns=["a", "b"])
    >>> ratios, axes = principal_axes([Prior("a", "uniform", 0, 1), Prior("b", "uniform", 0, 1)], frame,
    ...                               np.ones(keep.sum()))
    >>> bool(ratios[0] < 0.1 and ratios[1] > 0.9), bool(abs(abs(axes[0, 0]) - 2 ** -0.5) < 0.05)
    (True, True)

    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    u = np.column_stack([np.asarray(p.to_unit(posterior[p.key].to_numpy(dtype=float)), dtype=float) for p in priors])
    centred = u - w @ u
    cov = (centred * w[:, None]).T @ centred
    values, vectors = np.linalg.eigh(12.0 * cov)
    order = np.argsort(values)
    return np.sqrt(np.clip(values[order], 0.0, None)), vectors[:, order]


def identification(priors: Sequence[Prior], posterior: pd.DataFrame, weights: npt.ArrayLike) -> Identification:
    """How far the data moved each parameter: posterior/prior 5–95% width (on the prior's flat scale).

    A ratio under :data:`PINNED` is *pinned*, under :data:`NARROWED` *narrowed*, else *not identified* (the
    posterior is about the prior). Pairs with |ρ| > :data:`RIDGE` in the posterior (weighted Pearson, on the
    prior's flat scale) are *ridges*: the patterns fix a combination, not each one.

    Args:
        priors: the free parameters.
        posterior: the last population, one column per dotted key.
        weights: its importance weights.

    Returns:
        The table rows, the ridges (strongest first) and the correlation matrix.

    """
    rows: list[Row] = []
    w = np.asarray(weights, dtype=float)
    for p in priors:
        x = posterior[p.key].to_numpy(dtype=float)
        lo, med, hi = weighted_quantile(x, w, [0.05, 0.5, 0.95])
        z = p.natural(x)
        zlo, zhi = weighted_quantile(z, w, [0.05, 0.95])
        prior_width = float(p.natural(p.quantile(0.95)) - p.natural(p.quantile(0.05)))
        ratio = float((zhi - zlo) / prior_width)
        verdict = "pinned" if ratio < PINNED else "narrowed" if ratio < NARROWED else "not identified"
        rows.append({"key": p.key, "prior": f"{p.dist} {p.low:g}–{p.high:g}", "prior_5": p.quantile(0.05),
                     "prior_95": p.quantile(0.95), "median": float(med), "post_5": float(lo), "post_95": float(hi),
                     "width_ratio": ratio, "verdict": verdict})
    keys = [p.key for p in priors]
    corr = pd.DataFrame(np.nan, index=keys, columns=keys)
    ridges = []
    for i, a in enumerate(priors):
        for j, b in enumerate(priors):
            if j < i:
                continue
            rho = 1.0 if i == j else weighted_corr(a.natural(posterior[a.key]), b.natural(posterior[b.key]), w)
            corr.iloc[i, j] = corr.iloc[j, i] = rho
            if j > i and math.isfinite(rho) and abs(rho) > RIDGE:
                ridges.append((a.key, b.key, rho))
    ridges.sort(key=lambda r: -abs(r[2]))
    ess = effective_sample_size(w)
    axes: list[Axis] = []
    noise = None
    if len(priors) > 1:
        ratios, vectors = principal_axes(priors, posterior, w)
        for k in range(min(AXES_SHOWN, len(priors))):
            loading = vectors[:, k] * (1 if vectors[np.argmax(np.abs(vectors[:, k])), k] > 0 else -1)
            ratio = float(ratios[k])
            verdict = "pinned" if ratio < PINNED else "narrowed" if ratio < NARROWED else "not identified"
            axes.append({"sd_ratio": ratio, "verdict": verdict,
                         "loadings": sorted(((keys[i], float(loading[i])) for i in range(len(keys))),
                                            key=lambda kv: -abs(kv[1]))})
        # what sampling noise alone gives: the narrowest axis of a prior sample as large as the posterior's ESS
        n = max(int(round(ess)), len(priors) + 1)
        draws = np.random.default_rng(0).uniform(size=(n, len(priors)))
        flat = pd.DataFrame({p.key: p.from_unit(draws[:, i]) for i, p in enumerate(priors)})
        noise = float(principal_axes(priors, flat, np.ones(n))[0][0])
    return Identification(rows, ridges, corr, ess, axes, noise)


def predictive_table(patterns: Sequence[Pattern], fitted: Sequence[Pattern], frames: dict[str, pd.DataFrame]
                     ) -> list[Predicted]:
    """Per pattern (and all together): how often draws reproduce it, and their values' median and 5–95%.

    Args:
        patterns: every pattern.
        fitted: those used as summary statistics.
        frames: ``"prior"`` and ``"posterior"`` predictive runs (a ``weight`` column, ``agreed``, the columns; a
            pattern's column that no run has, as when none agreed, counts as missing in every run).

    Returns:
        One row per pattern, then one for all of them together.

    """
    rows = []
    # a run without agreement has no agreed terms (a group's rate, say): where no draw agreed, the column is absent
    columns = [p.column for p in patterns]
    frames = {k: f.reindex(columns=[*f.columns, *dict.fromkeys(c for c in columns if c not in f)])
              for k, f in frames.items()}
    together = {k: pd.Series(True, index=f.index) for k, f in frames.items()}
    for p in [*patterns, None]:
        row: Predicted = {"pattern": "all of them together" if p is None else p.name,
                          "column": "" if p is None else p.column,
                          "band": "" if p is None else f"{p.low:g}–{p.high:g}",
                          "use": "" if p is None else p.use,
                          "role": "" if p is None else ("fitted" if p in fitted else "predicted")}
        for k, f in frames.items():
            w = f["weight"].to_numpy(dtype=float)
            if p is None:
                hit = together[k]
            else:
                hit = p.matches(f)
                together[k] &= hit
                values = pd.to_numeric(f[p.column], errors="coerce")
                ok = values.notna().to_numpy() & f["agreed"].astype(bool).to_numpy()
                if ok.any():
                    lo, med, hi = weighted_quantile(values[ok], w[ok], [0.05, 0.5, 0.95])
                    row[f"{k}_median"], row[f"{k}_5"], row[f"{k}_95"] = float(med), float(lo), float(hi)
            row[f"{k}_match"] = float((w * hit.to_numpy(dtype=float)).sum() / w.sum())
        rows.append(row)
    return rows


@dataclass
class Result:
    """What a calibration produced (the folder's files are the durable copy)."""

    out: Path
    generations: pd.DataFrame  # one row per generation: t, epsilon, evaluations, acceptance rate, ESS, seconds
    posterior: pd.DataFrame  # the last population: dotted keys, weight, distance, seed
    identification: Identification
    predictive: list[Predicted]
    seconds: float
    evaluations: int
    notes: list[str] = field(default_factory=list)
