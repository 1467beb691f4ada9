"""What a sweep draws: distributions, Latin hypercube and Sobol' designs, and the seeds, all from the master seed.

A ``[sample]`` entry is one of :class:`Uniform`, :class:`LogUniform`, :class:`Normal`, :class:`Triangular` or
:class:`Choice` (picked by its ``dist``): each draws from a stream (Monte Carlo), maps a unit-cube design's
column through its inverse CDF (``quantile``) and says which values bound what it can draw (``support``,
checked against the scenario before any run). Grid and choice values are one kind per key (:func:`one_kind`).

Random streams, all from the master seed m: replicate r's seed from ``SeedSequence([m, r])``
(:func:`replicate_seed`), random sample k from ``SeedSequence([m, 1, k])`` (:func:`draw_sample`), the Latin
hypercube's or Sobol' design's scrambling from ``SeedSequence([m, 2, 1])`` (:func:`unit_design`; three
entries: ``[m, 2, 0]`` would be replicate 2's stream).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy.stats import qmc, truncnorm

from negotiation.inputs import Strict
from negotiation.keypaths import TagNames
from negotiation.values import Scalar

INT64_MAX = 2**63 - 1  # a Parquet column of integers holds int64


class _Dist(Strict):
    """A distribution: numbers written as numbers, and finite (``normal`` may leave its window open)."""

    def support(self) -> list[Scalar]:
        """The values that bound what it can draw (each is validated against the scenario before any run)."""
        raise NotImplementedError


class _Window(_Dist):
    """A distribution on [low, high]: the window must not be empty."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must exceed low ({self.low})")
        return self


class Uniform(_Window):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]

    def draw(self, rng: np.random.Generator) -> float:
        """One value."""
        return float(rng.uniform(self.low, self.high))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse CDF at ``u`` ∈ [0, 1): low + u·(high − low).

        Args:
            u: points of the unit interval (a design's column).

        Returns:
            The values.

        """
        return self.low + u * (self.high - self.low)

    def support(self) -> list[Scalar]:
        """Its ends: every draw lies in [low, high]."""
        return [self.low, self.high]


class LogUniform(Uniform):
    """Log-uniform on [low, high], both positive (for rates and scales spanning orders of magnitude)."""

    dist: Literal["loguniform"]  # type: ignore[assignment]

    @model_validator(mode="after")
    def _positive(self) -> LogUniform:
        if self.low <= 0:
            raise ValueError("loguniform needs low > 0")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        """One value."""
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse CDF at ``u``: exp(ln low + u·(ln high − ln low)), within [low, high].

        Args:
            u: points of the unit interval.

        Returns:
            The values.

        """
        return np.clip(np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))), self.low,
                       self.high)


class Normal(_Window):
    """Normal with ``mean`` and ``sd``, optionally truncated to [low, high] by redrawing."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float = Field(-math.inf, allow_inf_nan=True)
    high: float = Field(math.inf, allow_inf_nan=True)

    def support(self) -> list[Scalar]:
        """Its window's ends; an open end stands for the largest finite number (a bounded key refuses it)."""
        return [max(self.low, -sys.float_info.max), min(self.high, sys.float_info.max)]

    def draw(self, rng: np.random.Generator) -> float:
        """One value: redrawn until it falls inside [low, high], then (after 1000 misses) by the inverse CDF."""
        for _ in range(1000):
            v = float(rng.normal(self.mean, self.sd))
            if self.low <= v <= self.high:
                return v
        return float(self.quantile(np.array([rng.random()]))[0])  # a window that holds almost nothing

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse CDF of the normal truncated to [low, high] at ``u``.

        mean + sd·Φ⁻¹(Φ(a) + u·(Φ(b) − Φ(a))) with a = (low − mean)/sd, b = (high − mean)/sd (scipy's
        ``truncnorm``, accurate in the tails); ``u`` is kept off 0 and 1 so an open end gives a finite value.

        Args:
            u: points of the unit interval.

        Returns:
            The values, within [low, high].

        """
        tiny = np.finfo(float).eps
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        values = truncnorm.ppf(np.clip(u, tiny, 1.0 - tiny), a, b, loc=self.mean, scale=self.sd)
        return np.clip(values, self.low, self.high)


class Triangular(_Dist):
    """Triangular on [low, high] with its peak at ``mode``."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.high > self.low):
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        """One value."""
        return float(rng.triangular(self.low, self.mode, self.high))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse CDF at ``u``, with c = (mode − low)/(high − low).

        low + √(u·(high − low)·(mode − low)) for u < c, else high − √((1 − u)·(high − low)·(high − mode)).

        Args:
            u: points of the unit interval.

        Returns:
            The values.

        """
        width = self.high - self.low
        c = (self.mode - self.low) / width
        below = self.low + np.sqrt(u * width * (self.mode - self.low))
        above = self.high - np.sqrt((1.0 - u) * width * (self.high - self.mode))
        return np.where(u < c, below, above)

    def support(self) -> list[Scalar]:
        """Its ends: every draw lies in [low, high]."""
        return [self.low, self.high]


class Choice(_Dist):
    """One of ``values``, equally likely (booleans, words, integers: one kind per key)."""

    dist: Literal["choice"]
    values: list[Any] = Field(min_length=1)  # any TOML values: one_kind() checks them, with a clearer message

    @model_validator(mode="after")
    def _one_kind(self) -> Choice:
        object.__setattr__(self, "values", one_kind(self.values))
        return self

    def draw(self, rng: np.random.Generator) -> Scalar:
        """One value."""
        return self.values[int(rng.integers(len(self.values)))]

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Which value ``u`` picks, by binning: index ⌊u·n⌋ of the n values (each bin 1/n wide).

        Args:
            u: points of the unit interval.

        Returns:
            The indices into ``values`` (integers in [0, n − 1]).

        """
        n = len(self.values)
        return np.minimum(np.floor(u * n).astype(np.int64), n - 1)

    def support(self) -> list[Scalar]:
        """Every value."""
        return list(dict.fromkeys(self.values))


Distribution = Annotated[Uniform | LogUniform | Normal | Triangular | Choice, Field(discriminator="dist")]
DISTRIBUTIONS = TagNames(entry="distribution", tag="distribution", given="the sampled keys")  # for messages


def one_kind(values: Sequence[object]) -> list[Scalar]:
    """Grid or choice values as one column can hold them: all booleans, all words, or all numbers.

    Numbers mixing integers and floats become floats (so every part file of a sweep has the same column
    type); integers must fit in 64 bits and floats must be finite.

    Args:
        values: the values as TOML gave them.

    Returns:
        The values, numbers made one type.

    Raises:
        ValueError: a value is not a scalar, or the values mix kinds.

    >>> one_kind([0, 0.5])
    [0.0, 0.5]
    >>> one_kind([True, 1])
    Traceback (most recent call last):
    ...
    ValueError: values mix booleans and numbers (one kind per key)

    """
    kinds = []
    scalars: list[Scalar] = []
    for v in values:
        if isinstance(v, bool):
            kinds.append("booleans")
        elif isinstance(v, int):
            if abs(v) > INT64_MAX:
                raise ValueError(f"{v} does not fit in a 64-bit integer")
            kinds.append("numbers")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError(f"{v} is not a finite number")
            kinds.append("numbers")
        elif isinstance(v, str):
            kinds.append("words")
        else:
            raise ValueError(f"values must be numbers, booleans or words (got {type(v).__name__} {v!r:.40})")
        scalars.append(v)
    distinct = sorted(set(kinds))
    if len(distinct) > 1:
        raise ValueError(f"values mix {' and '.join(distinct)} (one kind per key)")
    if distinct == ["numbers"] and any(isinstance(v, float) for v in scalars):
        return [float(v) for v in scalars]
    return scalars


def column_kind(values: Sequence[Scalar]) -> str:
    """The Parquet kind of a column holding ``values`` (already :func:`one_kind`): bool, int, float or str."""
    first = values[0]
    return "bool" if isinstance(first, bool) else "int" if isinstance(first, int) else \
        "float" if isinstance(first, float) else "str"


def unit_design(kind: str, n: int, d: int, master_seed: int) -> np.ndarray:
    """A scrambled Latin hypercube or Sobol' design of ``n`` points in [0, 1)^d, from the master seed.

    Args:
        kind: ``"lhs"`` or ``"sobol"`` (``n`` a power of 2).
        n: points.
        d: dimensions.
        master_seed: the sweep's seed (the scrambling comes from ``SeedSequence([master_seed, 2, 1])``).

    Returns:
        An ``n × d`` array.

    >>> x = unit_design("lhs", 4, 2, 0)
    >>> sorted((x[:, 0] * 4).astype(int).tolist())  # one point in each quarter of each axis
    [0, 1, 2, 3]

    """
    rng = np.random.default_rng(np.random.SeedSequence([master_seed, 2, 1]))
    engine = qmc.Sobol(d, scramble=True, rng=rng) if kind == "sobol" else qmc.LatinHypercube(d, rng=rng)
    return engine.random(n)


def replicate_seed(master_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: a function of the master seed and the replicate number only.

    >>> replicate_seed(1, 0) == replicate_seed(1, 0) != replicate_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([master_seed, replicate]).generate_state(1, dtype=np.uint32)[0])


def draw_sample(sample: Mapping[str, Uniform | LogUniform | Normal | Triangular | Choice], master_seed: int,
                index: int) -> dict[str, Scalar]:
    """Sample ``index``'s values: its own random stream, keys drawn in sorted order."""
    rng = np.random.default_rng(np.random.SeedSequence([master_seed, 1, index]))
    return {key: sample[key].draw(rng) for key in sorted(sample)}
