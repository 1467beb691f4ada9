"""``chipdeal calibrate SPEC``: approximate Bayesian computation (pyabc's ABC-SMC) against the observed patterns.

A *calibration spec* (TOML, ``runs/calibration/baseline.toml``) names a base ``scenario``, a ``patterns`` file
(``runs/patterns.toml``), the ``[prior]`` of each free parameter (``uniform`` or ``loguniform`` over the range
the base scenario documents), the ``population`` size, the most ``generations``, the epsilon schedule and a
master ``seed``. The summary statistics are the patterns whose ``use`` is ``calibration`` or
``corroboration`` (or those ``--fit`` names): each run's value of the pattern's column.

Distance (:class:`BandDistance`): the sum over the fitted patterns of the squared distance of the run's value
*outside* the pattern's tolerance band, in units of the band's width::

    d(x) = Σ_p ((x_p − clip(x_p, low_p, high_p)) / (high_p − low_p))²

so a run inside every band is at distance 0 and one a whole band-width above a band at distance 1. A run that
did not agree (or raised) reproduces no pattern, as in ``chipdeal report``: it counts ``MISSED`` (a band-width
of ten, squared) per fitted pattern. With the epsilon schedule ending at 0, the last population is sampled
from the prior conditioned on every fitted pattern holding: its density is the prior times the probability,
over the model's own randomness (the belief draws), that a run with those parameters reproduces them all.

pyabc samples each parameter's prior quantile ``u`` on [0, 1] (the value is the prior's inverse distribution
function at ``u``), with a component-wise normal kernel truncated to the unit box whose density is exact
(:class:`~negotiation.experiments.abc_sampler.TruncatedNormalTransition`): in 18 dimensions pyabc's default
multivariate normal proposes outside the priors' box most of the time. The thresholds are a quantile of the
last population's distances that gets past a point mass (where some pattern cannot be moved by these
parameters the distances pile up at one value); where no run comes closer the calibration stops and says so.

Each model evaluation is one run of the scenario with the particle's parameters and a seed drawn from the
numpy stream that pyabc perturbs particles with. That stream is seeded per *task* (one accepted particle,
and the rejected ones before it) from the master seed in the parent process, and the tasks' results are
collected in order, so a calibration is reproduced exactly by its seed whether it runs in-process, on
``--workers`` local processes or on a Dask cluster (``--scheduler``). (pyabc's own multicore and Dask
samplers reseed every worker from the operating system's entropy, so their posteriors cannot be replayed:
:class:`SeededMappingSampler` is pyabc's ``MappingSampler`` with seeded tasks instead.)

Outputs, each written as soon as it is complete: ``abc.db`` (pyabc's history, one population at a time),
``posterior.parquet`` (every generation's particles: parameters, weight, distance, seed; rewritten after
each generation), ``prior_predictive.parquet`` and ``posterior_predictive.parquet`` (one fresh run per draw,
every pattern's column: the patterns not fitted are *predicted*), ``corner.png``, ``identification.md`` and
``report.md``.

pyabc is an optional dependency (``pip install 'chipdeal[calibrate]'``; ``uv run`` has it) imported only here
and only when a calibration runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from negotiation.experiments.executors import Mapper, Stopped, in_process, mapper_for
from negotiation.experiments.report import Pattern, load_patterns
from negotiation.experiments.sweepfile import SweepError, read_base_scenario, read_batch_file
from negotiation.inputs import InputError, ScenarioError, Strict, shown_path
from negotiation.keypaths import format_error
from negotiation.scenario import Spec
from negotiation.scenario_files import with_overrides

MISSED = 100.0  # a fitted pattern a run does not reproduce at all (no agreement, no value): ten band-widths
PINNED, NARROWED = 0.5, 0.9  # posterior/prior 5–95% width ratios below which a parameter is pinned, narrowed
AXES_SHOWN = 3  # the narrowest principal axes of the posterior that the identification report shows
RIDGE = 0.5  # |ρ| of two parameters in the posterior above which they trade off (a ridge)
MAX_CORNER = 10  # parameters in the corner plot (the most narrowed ones)
FITTED_USES = ("calibration", "corroboration")
OUTPUTS = ("abc.db", "posterior.parquet", "prior_predictive.parquet", "posterior_predictive.parquet",
           "corner.png", "identification.md", "report.md")


class CalibrationError(InputError):
    """A calibration spec, or the request to run it, that cannot be carried out (exit 2, one line)."""


class CalibrationStopped(Stopped):
    """Interrupted or failed part-way; the message says which generations were kept."""


# ---------------------------------------------------------------------------------------------------------
# The spec


class PriorSpec(Strict):
    """One parameter's prior: uniform, or log-uniform (``low`` > 0), on [low, high]."""

    dist: Literal["uniform", "loguniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _window(self) -> PriorSpec:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must exceed low ({self.low})")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError("loguniform needs low > 0")
        return self


class EpsilonSpec(Strict):
    """The acceptance thresholds: a ``quantile`` of the last population's distances, or a fixed ``schedule``."""

    quantile: float = Field(default=0.5, gt=0, lt=1)
    schedule: list[float] = Field(default_factory=list)
    minimum: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _decreasing(self) -> EpsilonSpec:
        if any(e < 0 for e in self.schedule) or any(b > a for a, b in zip(self.schedule, self.schedule[1:],
                                                                              strict=False)):
            raise ValueError("schedule: thresholds must be non-negative and never increase")
        return self


class CalibrationFile(Strict):
    """The validated contents of a calibration spec (see the module docstring)."""

    scenario: str
    patterns: str = "../patterns.toml"
    name: str = ""
    description: str = ""
    fit: list[str] = Field(default_factory=list)  # pattern columns or names; default: calibration, corroboration
    population: int = Field(default=500, ge=10, le=100_000)
    generations: int = Field(default=8, ge=1, le=100)
    epsilon: EpsilonSpec = Field(default_factory=EpsilonSpec)
    min_acceptance_rate: float = Field(default=0.0, ge=0, lt=1)
    max_minutes: float | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    prior: dict[str, PriorSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Prior:
    """A free parameter's prior: a uniform or log-uniform distribution over [low, high]."""

    key: str
    dist: str
    low: float
    high: float

    @property
    def log(self) -> bool:
        """Whether the prior is log-uniform (its natural scale is the logarithm)."""
        return self.dist == "loguniform"

    def natural(self, x: Any) -> Any:
        """``x`` on the scale where the prior is flat (the logarithm for a log-uniform prior)."""
        return np.log(x) if self.log else np.asarray(x, dtype=float)

    def quantile(self, q: float) -> float:
        """The prior's ``q`` quantile.

        >>> round(Prior("k", "loguniform", 0.01, 1.0).quantile(0.5), 6)
        0.1
        """
        if self.log:
            return float(math.exp(math.log(self.low) + q * (math.log(self.high) - math.log(self.low))))
        return self.low + q * (self.high - self.low)

    def to_unit(self, x: Any) -> Any:
        """The prior quantile of ``x`` (its CDF): uniform on [0, 1] under the prior.

        >>> float(Prior("k", "loguniform", 0.01, 1.0).to_unit(0.1))
        0.5
        """
        lo, hi = self.natural(self.low), self.natural(self.high)
        return (self.natural(x) - lo) / (hi - lo)

    def from_unit(self, u: Any) -> Any:
        """The value at prior quantile ``u`` in (0, 1).

        >>> Prior("k", "uniform", 2.0, 4.0).from_unit(0.25)
        2.5
        """
        if self.log:
            return np.exp(math.log(self.low) + np.asarray(u) * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Calibration:
    """A calibration ready to run: its spec, base scenario, priors and patterns (fitted and all)."""

    file: CalibrationFile
    base: Spec
    priors: tuple[Prior, ...]
    patterns: tuple[Pattern, ...]
    fitted: tuple[Pattern, ...]
    source: str
    sha256: str
    patterns_source: str = ""

    @property
    def keys(self) -> list[str]:
        """The free parameters' dotted keys, in file order."""
        return [p.key for p in self.priors]


def select_patterns(patterns: Sequence[Pattern], fit: Sequence[str], source: str = "--fit") -> list[Pattern]:
    """The patterns to fit: those ``fit`` names (by column or name), else those of use calibration/corroboration.

    Args:
        patterns: every pattern.
        fit: columns or names (empty: the default uses).
        source: where ``fit`` came from (for messages).

    Returns:
        The fitted patterns, in file order.

    Raises:
        CalibrationError: a name matches no pattern, or nothing is left to fit.

    >>> ps = [Pattern("a", "x", 0, 1, "F", "calibration"), Pattern("b", "y", 0, 1, "F", "imposed")]
    >>> [p.name for p in select_patterns(ps, [])], [p.name for p in select_patterns(ps, ["y"])]
    (['a'], ['b'])

    """
    if not fit:
        chosen = [p for p in patterns if p.use in FITTED_USES]
        if not chosen:
            raise CalibrationError(f"{source}: no pattern has use calibration or corroboration; name them with fit")
        return chosen
    wanted = [w.strip() for w in fit if w.strip()]
    for w in wanted:
        if not any(w in (p.column, p.name) for p in patterns):
            from negotiation.inputs import close

            near = close(w, [p.column for p in patterns])
            hint = f" (did you mean {near}?)" if near else f" (columns: {', '.join(p.column for p in patterns)})"
            raise CalibrationError(f"{source}: {w!r} names no pattern{hint}")
    chosen = [p for p in patterns if p.column in wanted or p.name in wanted]
    if not chosen:
        raise CalibrationError(f"{source}: names no pattern")
    return chosen


def load_calibration(path: str | Path, fit: Sequence[str] | None = None, *, population: int | None = None,
                     generations: int | None = None, seed: int | None = None) -> Calibration:
    """Read and check a calibration spec; every problem is a :class:`CalibrationError` raised before any run.

    Args:
        path: the spec.
        fit: pattern columns or names to fit instead of the spec's choice.
        population: overrides the spec's population size.
        generations: overrides the spec's most generations.
        seed: overrides the spec's master seed.

    Returns:
        The checked calibration.

    """
    path = Path(path)
    source = shown_path(path)
    try:
        data, sha = read_batch_file(path)
    except SweepError as err:
        raise CalibrationError(str(err)) from None
    scenario = data.get("scenario")
    try:
        base = read_base_scenario(path, scenario, "the calibration spec")
    except SweepError as err:
        raise CalibrationError(str(err)) from None
    overrides = {k: v for k, v in (("population", population), ("generations", generations), ("seed", seed))
                 if v is not None}
    try:
        file = CalibrationFile.model_validate({**data, **overrides})
    except ValidationError as err:
        option = str(err.errors()[0]["loc"][0]) if err.errors()[0]["loc"] else ""
        if option in overrides:  # the option the user typed, not the file, holds the bad value
            raise CalibrationError(format_error(err, f"--{option} {overrides[option]}", key=option,
                                                root=CalibrationFile)) from None
        raise CalibrationError(format_error(err, source, data, root=CalibrationFile)) from None
    patterns_path = (path.parent / file.patterns)
    try:
        patterns = load_patterns(patterns_path)
    except SweepError as err:
        raise CalibrationError(f"{source}: patterns: {err}") from None
    fitted = select_patterns(patterns, list(fit) if fit else file.fit, "--fit" if fit else f"{source}: fit")
    from negotiation.experiments.store import result_columns

    columns = set(result_columns(base))
    for p in patterns:
        if p.column not in columns:
            raise CalibrationError(f"{shown_path(patterns_path)}: pattern {p.name!r}: the model has no column "
                                   f"{p.column!r}")
    priors = []
    for key, prior in file.prior.items():
        for value in (prior.low, prior.high):
            try:
                spec = with_overrides(base, {key: value}, source=f"{source}: prior")
            except ScenarioError as err:
                raise CalibrationError(f"{err} ({prior.dist} on [{prior.low:g}, {prior.high:g}] reaches it)") from None
        current = _value(spec, key)
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise CalibrationError(f"{source}: prior: {key}: not a number in the scenario (a prior needs one)")
        priors.append(Prior(key, prior.dist, prior.low, prior.high))
    return Calibration(file, base, tuple(priors), tuple(patterns), tuple(fitted), source, sha,
                       shown_path(patterns_path))


def _value(spec: Spec, key: str) -> Any:
    node: Any = spec.model_dump()
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


# ---------------------------------------------------------------------------------------------------------
# Model, distance and sampler


class Simulator(Protocol):
    """A model: parameters (dotted key → value) and a seed in, one run's columns out."""

    def __call__(self, params: dict[str, float], seed: int) -> dict[str, Any]:
        """One run's row (it must have ``agreed`` and the patterns' columns)."""
        ...


@dataclass(frozen=True)
class ScenarioSimulator:
    """One run of ``base`` with the parameters set and the given seed (no independent solve: not needed)."""

    base: Spec

    def __call__(self, params: dict[str, float], seed: int) -> dict[str, Any]:
        """The run's row; a run that raises is a row that did not agree, with its error."""
        from negotiation.model import NegotiationModel

        try:
            spec = with_overrides(self.base, params) if params else self.base
            return NegotiationModel(spec, rng=seed, collect_data=False).run(solve=False).to_row()
        except Exception as err:  # noqa: BLE001 - a failing run must count as a miss, not stop the calibration
            return {"agreed": False, "error": f"{err.__class__.__name__}: {err}"}


def _name(i: int) -> str:
    """Pyabc's name of the ``i``-th parameter (dotted keys are not identifiers)."""
    return f"p{i:02d}"


@dataclass(frozen=True)
class _Model:
    """pyabc's model: a particle (each parameter's prior quantile) → the run's pattern columns, seed, agreement."""

    simulate: Simulator
    priors: tuple[Prior, ...]
    columns: tuple[str, ...]

    def __call__(self, pars: Any) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**32, dtype=np.int64))  # pyabc's stream, seeded per task; exact as a float
        row = self.simulate({p.key: float(p.from_unit(float(pars[_name(i)]))) for i, p in enumerate(self.priors)}, seed)
        out = {"seed": float(seed), "agreed": float(bool(row.get("agreed"))), "error": float(bool(row.get("error")))}
        for col in self.columns:
            value = row.get(col)
            out[col] = float(value) if value is not None and row.get("agreed") else math.nan
        return out


@dataclass(frozen=True)
class BandDistance:
    """Squared distance outside each fitted pattern's band, in band-widths, summed (see the module docstring).

    >>> d = BandDistance((Pattern("t", "x", 0.1, 0.2, "F"),))
    >>> d({"x": 0.15, "agreed": 1.0}, {}), round(d({"x": 0.3, "agreed": 1.0}, {}), 9), d({"x": 0.15}, {})
    (0.0, 1.0, 100.0)
    """

    patterns: tuple[Pattern, ...]

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        """The distance of simulation ``x`` (``x0``, the observation, is the bands themselves)."""
        total = 0.0
        for p in self.patterns:
            value = x.get(p.column, math.nan)
            if not x.get("agreed") or value is None or not math.isfinite(value):
                total += MISSED
                continue
            width = p.high - p.low if p.high > p.low else max(abs(p.high), 1.0)
            total += ((value - min(max(value, p.low), p.high)) / width) ** 2
        return total


# ---------------------------------------------------------------------------------------------------------
# Statistics


def weighted_quantile(x: Any, w: Any, q: float | Sequence[float]) -> Any:
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
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, x)


def weighted_corr(a: Any, b: Any, w: Any) -> float:
    """Pearson correlation of ``a`` and ``b`` under weights ``w`` (NaN if either is constant).

    >>> round(weighted_corr([1, 2, 3], [2, 4, 6.5], [1, 1, 1]), 3)
    0.998
    """
    a, b, w = (np.asarray(v, dtype=float) for v in (a, b, w))
    w = w / w.sum()
    da, db = a - (w * a).sum(), b - (w * b).sum()
    va, vb = (w * da * da).sum(), (w * db * db).sum()
    if va <= 0 or vb <= 0:
        return math.nan
    return float((w * da * db).sum() / math.sqrt(va * vb))


def effective_sample_size(w: Any) -> float:
    """Kish's effective sample size of weights ``w``: (Σw)² / Σw².

    >>> effective_sample_size([1, 1, 1, 1])
    4.0
    """
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / (w * w).sum())


@dataclass(frozen=True)
class Identification:
    """Per parameter: prior and posterior 5–95% intervals, their width ratio and a verdict; and the ridges."""

    rows: list[dict[str, Any]]
    ridges: list[tuple[str, str, float]]
    correlations: pd.DataFrame
    ess: float | None = None  # the population's effective sample size
    axes: list[dict[str, Any]] = field(default_factory=list)  # the narrowest combinations (principal axes)
    noise_sd_ratio: float | None = None  # the narrowest axis's sd ratio in a prior sample of the same ESS


def principal_axes(priors: Sequence[Prior], posterior: pd.DataFrame, weights: Any) -> tuple[np.ndarray, np.ndarray]:
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


def identification(priors: Sequence[Prior], posterior: pd.DataFrame, weights: Any) -> Identification:
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
    rows = []
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
    axes: list[dict[str, Any]] = []
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
                     ) -> list[dict[str, Any]]:
    """Per pattern (and all together): how often draws reproduce it, and their values' median and 5–95%.

    Args:
        patterns: every pattern.
        fitted: those used as summary statistics.
        frames: ``"prior"`` and ``"posterior"`` predictive runs (a ``weight`` column, ``agreed``, the columns).

    Returns:
        One row per pattern, then one for all of them together.

    """
    rows = []
    together = {k: pd.Series(True, index=f.index) for k, f in frames.items()}
    for p in [*patterns, None]:
        row: dict[str, Any] = {"pattern": "all of them together" if p is None else p.name,
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


# ---------------------------------------------------------------------------------------------------------
# The run


@dataclass
class Result:
    """What a calibration produced (the folder's files are the durable copy)."""

    out: Path
    generations: pd.DataFrame  # one row per generation: t, epsilon, evaluations, acceptance rate, ESS, seconds
    posterior: pd.DataFrame  # the last population: dotted keys, weight, distance, seed
    identification: Identification
    predictive: list[dict[str, Any]]
    seconds: float
    evaluations: int
    notes: list[str] = field(default_factory=list)


def _write_parquet(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    """Write ``frame`` to ``path`` atomically (temporary name, then rename), with provenance metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"chipdeal": json.dumps(meta, sort_keys=True).encode()})
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """Keep pyabc's INFO lines (one per generation and step) off the terminal: the progress bar says it."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _numpy_seeded(seed: int) -> Iterator[None]:
    """Numpy's and Python's global streams (pyabc's) seeded from ``seed``, and put back afterwards."""
    state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(np.random.SeedSequence([seed, 15]).generate_state(1)[0])
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
        random.setstate(py_state)


def abc_smc(simulate: Simulator, priors: Sequence[Prior], patterns: Sequence[Pattern], fitted: Sequence[Pattern],
            out: str | Path, *, population: int = 500, generations: int = 8, quantile: float = 0.5,
            schedule: Sequence[float] = (), minimum_epsilon: float = 0.0, min_acceptance_rate: float = 0.0,
            max_minutes: float | None = None, seed: int = 0, mapper: Mapper = in_process, progress: bool = True,
            meta: dict[str, Any] | None = None) -> Result:
    """ABC-SMC over ``priors`` against the ``fitted`` patterns, then the predictive of every pattern.

    Args:
        simulate: the model (picklable when ``mapper`` runs elsewhere).
        priors: the free parameters.
        patterns: every pattern (the predictive covers them all).
        fitted: the summary statistics.
        out: the output folder (made if missing).
        population: particles per generation.
        generations: the most generations.
        quantile: epsilon of a generation = this quantile of the last one's distances (without ``schedule``).
        schedule: fixed thresholds, one per generation, instead.
        minimum_epsilon: stop once a generation's threshold is at most this.
        min_acceptance_rate: stop once a generation accepts fewer.
        max_minutes: stop after this long (then the stop depends on the machine's speed).
        seed: the master seed: the same seed gives the same posterior on any mapper.
        mapper: where the tasks run (:func:`in_process`, :class:`LocalPool`, :class:`DaskMapper`).
        progress: show progress bars.
        meta: provenance written into every Parquet file.

    Returns:
        The result (also in ``out``).

    Raises:
        CalibrationStopped: interrupted or failed after the first generation started (what was kept is said).

    """
    import pyabc
    from tqdm import tqdm

    from negotiation.experiments.abc_sampler import (
        ProgressingQuantileEpsilon,
        SeededMappingSampler,
        TruncatedNormalTransition,
        UnitUniform,
    )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {**(meta or {}), "seed": seed, "population": population,
            "fitted": [p.column for p in fitted], "keys": [p.key for p in priors]}
    keys = tuple(p.key for p in priors)
    columns = tuple(dict.fromkeys(p.column for p in patterns))
    model = _Model(simulate, tuple(priors), columns)
    prior = pyabc.Distribution(**{_name(i): UnitUniform() for i in range(len(priors))})
    eps = pyabc.ListEpsilon(list(schedule)) if schedule else ProgressingQuantileEpsilon(alpha=quantile)
    generations = min(generations, len(schedule)) if schedule else generations
    sampler = SeededMappingSampler(mapper)
    started = time.monotonic()
    frames: list[pd.DataFrame] = []
    log: list[dict[str, Any]] = []
    notes: list[str] = []
    bar: Any = None

    def ticker(label: str) -> Any:
        nonlocal bar
        if bar is not None:
            bar.close()
        bar = tqdm(total=population, desc=label, unit="particle", disable=not progress, leave=False,
                   dynamic_ncols=True)
        current = bar
        sampler.tick = lambda: current.update(1)
        return bar

    with _quiet_pyabc(), _numpy_seeded(seed):
        abc = pyabc.ABCSMC(model, prior, BandDistance(tuple(fitted)), population_size=population, eps=eps,
                           sampler=sampler, transitions=TruncatedNormalTransition())
        db = out / "abc.db"
        if db.exists():
            db.unlink()
        abc.new(f"sqlite:///{db.resolve()}", {p.column: 0.5 * (p.low + p.high) for p in fitted})
        abc.history.stores_sum_stats = False  # the ORM takes seconds a generation to store them; seeds are kept here
        populations = _capture_populations(abc.history)
        ticker("calibrate: prior sample (sets the first epsilon)")
        try:
            t = abc.initialize_components_before_run(
                minimum_epsilon=minimum_epsilon, max_nr_populations=generations,
                min_acceptance_rate=min_acceptance_rate, max_total_nr_simulations=np.inf,
                max_walltime=None if max_minutes is None else _timedelta(max_minutes), min_eps_diff=0.0)
            while True:
                epsilon = float(abc.eps(t))
                ticker(f"calibrate: generation {t + 1} of at most {generations} (ε = {epsilon:.3g})")
                tick = time.monotonic()
                ret = abc.run_generation(t=t)
                if not ret["successful"]:
                    break
                pop = populations.pop(t, None) or abc.history.get_population(t)
                frame = _population_frame(pop, priors, t, epsilon)
                frames.append(frame)
                _write_parquet(pd.concat(frames, ignore_index=True), out / "posterior.parquet", meta)
                evaluations = int(sampler.nr_evaluations_)
                log.append({"generation": t + 1, "epsilon": epsilon, "evaluations": evaluations,
                            "acceptance_rate": ret["acceptance_rate"],
                            "ess": effective_sample_size(frame["weight"]), "seconds": time.monotonic() - tick})
                if bar is not None:
                    bar.close()
                    bar = None
                if progress:
                    tqdm.write(f"calibrate: generation {t + 1}: ε = {epsilon:.3g}, accepted {population} of "
                               f"{evaluations:,} runs ({ret['acceptance_rate']:.1%}), ESS "
                               f"{log[-1]['ess']:.0f}, {log[-1]['seconds']:.1f} s")
                if abc.check_terminate(t=t, acceptance_rate=ret["acceptance_rate"]):
                    break
                if getattr(eps, "stuck", False):
                    notes.append(f"stopped at generation {t + 1}: the threshold cannot go below ε = {epsilon:.3g} (no "
                                 "run of that generation came closer to the bands), so over these priors the fitted "
                                 "patterns cannot all hold together; the predictive table says which fails")
                    break
                t += 1
        except KeyboardInterrupt as err:
            raise CalibrationStopped(f"interrupted ({err.__class__.__name__}); {_kept(frames, out)}",
                                     130) from None
        except Stopped as err:  # a worker or the cluster failed (the mapper's one line)
            raise CalibrationStopped(f"{err}; {_kept(frames, out)}", err.exit_code) from None
        finally:
            if bar is not None:
                bar.close()
        if not frames:
            raise CalibrationStopped("no generation completed")
        last = frames[-1]
        try:
            ticker("calibrate: prior predictive")
            prior_draws = [{k: float(v) for k, v in zip(keys, row, strict=True)}
                           for row in zip(*(_draw_prior(p, population) for p in priors), strict=True)]
            prior_pred = _predictive(simulate, prior_draws, np.full(population, 1.0 / population), mapper, sampler)
            _write_parquet(prior_pred, out / "prior_predictive.parquet", meta)
            ticker("calibrate: posterior predictive")
            draws = [{k: float(row[k]) for k in keys} for row in last.to_dict("records")]
            post_pred = _predictive(simulate, draws, last["weight"].to_numpy(), mapper, sampler)
            _write_parquet(post_pred, out / "posterior_predictive.parquet", meta)
        except Stopped as err:
            raise CalibrationStopped(f"{err} (in the predictive runs); {_kept(frames, out)}", err.exit_code) from None
        if bar is not None:
            bar.close()
    ident = identification(priors, last, last["weight"])
    pred = predictive_table(patterns, fitted, {"prior": prior_pred, "posterior": post_pred})
    evaluations = int(sum(r["evaluations"] for r in log))
    result = Result(out, pd.DataFrame(log), last, ident, pred, time.monotonic() - started, evaluations, notes)
    try:
        plot_corner(priors, last, ident, out / "corner.png")
    except Exception as err:  # noqa: BLE001 - a plot that fails must not lose the tables
        result.notes.append(f"corner.png not drawn ({err.__class__.__name__}: {err})")
    return result


def _capture_populations(history: Any) -> dict[int, Any]:
    """The populations pyabc stores, kept as it stores them (reading one back from its database takes seconds).

    Args:
        history: pyabc's History.

    Returns:
        Generation → population, filled as each is stored.

    """
    kept: dict[int, Any] = {}
    store = history.append_population

    def append_population(t: int, current_epsilon: float, population: Any, *args: Any, **kwargs: Any) -> Any:
        kept[int(t)] = population
        return store(t, current_epsilon, population, *args, **kwargs)

    history.append_population = append_population
    return kept


def _timedelta(minutes: float) -> Any:
    from datetime import timedelta

    return timedelta(minutes=minutes)


def _kept(frames: list[pd.DataFrame], out: Path) -> str:
    if not frames:
        return "no generation had finished"
    return f"generations 1–{len(frames)} are kept in {shown_path(out / 'posterior.parquet')} and abc.db"


def _population_frame(pop: Any, priors: Sequence[Prior], t: int, epsilon: float) -> pd.DataFrame:
    rows = []
    for k, particle in enumerate(pop.particles):
        row: dict[str, Any] = {"generation": t + 1, "epsilon": epsilon, "particle": k,
                               "weight": float(particle.weight), "distance": float(particle.distance),
                               "seed": int(particle.sum_stat.get("seed", -1))}
        for i, p in enumerate(priors):
            row[p.key] = float(p.from_unit(float(particle.parameter[_name(i)])))
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["weight"] = frame["weight"] / frame["weight"].sum()
    return frame


def _draw_prior(p: Prior, n: int) -> np.ndarray:
    return np.asarray(p.from_unit(np.random.uniform(size=n)), dtype=float)


@dataclass(frozen=True)
class _PredictOne:
    simulate: Simulator

    def __call__(self, item: tuple[dict[str, float], int]) -> dict[str, Any]:
        params, seed = item
        return self.simulate(params, seed)


def _predictive(simulate: Simulator, draws: list[dict[str, float]], weights: Any, mapper: Mapper,
                sampler: Any) -> pd.DataFrame:
    """One fresh run per draw (seeds from the stream): every column the model gives, with the draw's weight."""
    seeds = [int(s) for s in np.random.randint(0, 2**32, size=len(draws), dtype=np.int64)]
    rows = mapper(_PredictOne(simulate), list(zip(draws, seeds, strict=True)), sampler.tick)
    frame = pd.DataFrame([{**d, "seed": s, "weight": float(w), **r}
                          for d, s, w, r in zip(draws, seeds, weights, rows, strict=True)])
    frame["agreed"] = frame["agreed"].fillna(False).astype(bool)
    if "error" in frame:
        frame["error"] = frame["error"].fillna("").astype(str)
    return frame


# ---------------------------------------------------------------------------------------------------------
# Plots and pages


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


def _g(x: Any) -> str:
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


def predictive_lines(rows: list[dict[str, Any]]) -> list[str]:
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


def write_pages(cal: Calibration, result: Result, meta: dict[str, Any]) -> None:
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


def calibrate(spec_path: str | Path, out: str | Path | None = None, *, fit: Sequence[str] | None = None,
              workers: int | None = None, scheduler: str | None = None, scheduler_file: str | Path | None = None,
              overwrite: bool = False, progress: bool = True, population: int | None = None,
              generations: int | None = None, seed: int | None = None) -> Result:
    """Run a calibration spec into ``out`` (default ``runs/out/calibration-<spec name>``).

    Args:
        spec_path: the calibration spec.
        out: its folder.
        fit: pattern columns or names to fit instead of the spec's.
        workers: local processes (default: every core; 1 runs in this process).
        scheduler: a Dask scheduler's address.
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).
        overwrite: replace a calibration the folder holds.
        progress: show progress bars.
        population: overrides the spec's.
        generations: overrides the spec's.
        seed: overrides the spec's.

    Returns:
        The result; its folder holds every output.

    Raises:
        CalibrationError: a bad spec, option or folder (before any run).
        CalibrationStopped: interrupted or failed part-way.

    """
    from negotiation.version import code_fingerprint

    cal = load_calibration(spec_path, fit, population=population, generations=generations, seed=seed)
    if workers is not None and workers < 1:
        raise CalibrationError("--workers must be at least 1")
    folder = Path(out) if out is not None else Path("runs/out") / f"calibration-{Path(spec_path).stem}"
    if folder.exists() and not folder.is_dir():
        raise CalibrationError(f"{shown_path(folder)}: not a folder")
    held = [name for name in OUTPUTS if (folder / name).exists()]
    if held and not overwrite:
        raise CalibrationError(f"{shown_path(folder)}: holds a calibration ({held[0]}); pass --overwrite to replace "
                               "it, or --out another folder")
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise CalibrationError("chipdeal calibrate needs pyabc: pip install 'chipdeal[calibrate]'") from None
    mapper, close = mapper_for(workers, scheduler, scheduler_file)  # first: an unreachable cluster leaves no folder
    clean = False
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name in held:
                (folder / name).unlink()
        except OSError as err:
            raise CalibrationError(f"{shown_path(folder)}: cannot write there ({err.strerror or err})") from None
        meta = {"calibration_file": cal.source, "calibration_file_sha256": cal.sha256, "scenario": cal.base.name,
                "code_fingerprint": code_fingerprint(),
                "spec_digest": hashlib.sha256(json.dumps(cal.file.model_dump(mode="json"), sort_keys=True)
                                              .encode()).hexdigest()}
        result = abc_smc(ScenarioSimulator(cal.base), cal.priors, cal.patterns, cal.fitted, folder,
                         population=cal.file.population, generations=cal.file.generations,
                         quantile=cal.file.epsilon.quantile, schedule=cal.file.epsilon.schedule,
                         minimum_epsilon=cal.file.epsilon.minimum, min_acceptance_rate=cal.file.min_acceptance_rate,
                         max_minutes=cal.file.max_minutes, seed=cal.file.seed, mapper=mapper, progress=progress,
                         meta=meta)
        clean = True
    finally:
        close(not clean)
    write_pages(cal, result, meta)
    return result
