"""Sweep files: a base scenario, a grid, levers, sampled uncertainties and replicates, validated before any run.

A *sweep file* (TOML) names a base ``scenario`` (relative to the sweep file), a ``[grid]`` of dotted scenario
keys → lists of values, optional ``[levers]`` (the same form: terms a government chooses), an optional
``[sample]`` of dotted keys → distributions with ``samples = N`` drawn by a ``design`` (``"random"``, Monte
Carlo, the default; ``"lhs"``, Latin hypercube; ``"sobol"``, scrambled Sobol', N a power of 2),
``replicates = R`` seeds per point and a master ``seed``. The points are the grid's product crossed with the
levers' product, each crossed with the N samples; every point runs R replicates.

Seeds depend only on the master seed and the replicate number (:func:`replicate_seed`), so every point sees
the same seeds (common random numbers), growing a grid leaves finished runs valid, and
``chipdeal run --seed <seed> --set key=value …`` replays a row exactly. Sample *k*'s values do not depend on
the grid point or the lever set either: with ``design = "random"`` it draws them from its own stream of the
master seed (so adding samples leaves the first ones unchanged); with ``"lhs"`` or ``"sobol"`` they are row
*k* of one unit-cube design of N rows (scrambled, from its own stream of the master seed: changing N changes
every row), mapped through each distribution's inverse CDF (:meth:`Uniform.quantile` and the others). So
each lever set meets the same states of the world (grid point, sample, replicate): the same draws and the
same seeds (common random numbers), which is what makes a lever set's *regret* in a state meaningful.

Random streams, all from the master seed m: replicate r's seed from ``SeedSequence([m, r])``, random sample k
from ``SeedSequence([m, 1, k])``, the Latin hypercube's or Sobol' design's scrambling from
``SeedSequence([m, 2, 1])`` (three entries: ``[m, 2, 0]`` would be replicate 2's stream).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc, truncnorm

from negotiation.experiments import DEFAULT_MAX_RUNS
from negotiation.scenario import (
    ScenarioError,
    Spec,
    parse_toml,
    read_scenario,
    read_small_file,
    shown_path,
    spec_from_dict,
    with_overrides,
)

INT64_MAX = 2**63 - 1  # a Parquet column of integers holds int64


class SweepError(ScenarioError):
    """A sweep file, or the request to run it, that cannot be carried out (exit 2, one line)."""


# ---------------------------------------------------------------------------------------------------------
# The sweep file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Dist(_Strict):
    """A distribution: numbers written as numbers, and finite (``normal`` may leave its window open)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def support(self) -> list[Any]:
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

    def support(self) -> list[Any]:
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

    def support(self) -> list[Any]:
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

    def support(self) -> list[Any]:
        """Its ends: every draw lies in [low, high]."""
        return [self.low, self.high]


class Choice(_Dist):
    """One of ``values``, equally likely (booleans, words, integers: one kind per key)."""

    dist: Literal["choice"]
    values: list[Any] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Choice:
        object.__setattr__(self, "values", one_kind(self.values))
        return self

    def draw(self, rng: np.random.Generator) -> Any:
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

    def support(self) -> list[Any]:
        """Every value."""
        return list(dict.fromkeys(self.values))


Distribution = Annotated[Uniform | LogUniform | Normal | Triangular | Choice, Field(discriminator="dist")]


def one_kind(values: list[Any]) -> list[Any]:
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
    distinct = sorted(set(kinds))
    if len(distinct) > 1:
        raise ValueError(f"values mix {' and '.join(distinct)} (one kind per key)")
    if distinct == ["numbers"] and any(isinstance(v, float) for v in values):
        return [float(v) for v in values]
    return list(values)


def column_kind(values: list[Any]) -> str:
    """The Parquet kind of a column holding ``values`` (already :func:`one_kind`): bool, int, float or str."""
    first = values[0]
    return "bool" if isinstance(first, bool) else "int" if isinstance(first, int) else \
        "float" if isinstance(first, float) else "str"


class RunSettings(_Strict):
    """What every batch file has: its base scenario, seeds per point, the master seed, a name."""

    scenario: str
    replicates: int = Field(default=1, ge=1, strict=True)
    seed: int = Field(default=0, ge=0, le=INT64_MAX, strict=True)
    name: str = ""
    description: str = ""


DESIGNS = ("random", "lhs", "sobol")


class SweepFile(RunSettings):
    """The validated contents of a sweep file (see the module docstring)."""

    grid: dict[str, list[Any]] = Field(default_factory=dict)
    levers: dict[str, list[Any]] = Field(default_factory=dict)
    sample: dict[str, Distribution] = Field(default_factory=dict)
    samples: int = Field(default=0, ge=0, strict=True)
    design: Literal["random", "lhs", "sobol"] = "random"

    @model_validator(mode="after")
    def _consistent(self) -> SweepFile:
        for table, entries in (("grid", self.grid), ("levers", self.levers)):
            for key, values in entries.items():
                if not values:
                    raise ValueError(f"{table}: {key!r} has no values")
                try:
                    entries[key] = one_kind(values)
                except ValueError as err:
                    raise ValueError(f"{table}: {key!r}: {err}") from None
        tables: dict[str, set[str]] = {"grid": set(self.grid), "levers": set(self.levers), "sample": set(self.sample)}
        for a, b in (("grid", "sample"), ("levers", "grid"), ("levers", "sample")):
            both = tables[a] & tables[b]
            if both:
                raise ValueError(f"{sorted(both)[0]!r} is both in [{a}] and in [{b}]")
        if self.sample and self.samples < 1:
            raise ValueError("[sample] needs samples = N (N >= 1)")
        if self.samples and not self.sample:
            raise ValueError("samples = N needs a [sample] table")
        if self.design != "random" and not self.sample:
            raise ValueError(f'design = "{self.design}" needs a [sample] table (the distributions it maps)')
        if self.design == "sobol" and self.samples & (self.samples - 1):
            lower = 1 << (self.samples.bit_length() - 1)
            raise ValueError(f'samples = {self.samples}: design = "sobol" needs a power of 2 (e.g. {lower} or '
                             f"{2 * lower})")
        return self

    def canonical(self) -> dict[str, Any]:
        """What the sweep's digest covers: every field, leaving out the new keys at their defaults.

        A sweep file written before ``design`` and ``[levers]`` existed keeps its digest. A Latin hypercube or
        Sobol' design also covers the SciPy version that builds it (the code fingerprint covers chipdeal's
        code only, and another SciPy may scramble otherwise: ``--resume`` must not mix the two).

        Returns:
            The JSON-able fields.

        """
        dump = self.model_dump(mode="json")
        if self.design == "random":
            del dump["design"]
        else:
            import scipy

            dump["scipy"] = scipy.__version__
        if not self.levers:
            del dump["levers"]
        return dump


@dataclass(frozen=True)
class Sweep:
    """A sweep ready to run: its file, the validated base scenario, and where it came from."""

    file: SweepFile
    base: Spec
    source: str
    digest: str  # the validated sweep and its base scenario (``sweep_digest`` in the store)
    design_keys: tuple[str, ...] = ()
    design: tuple[tuple[Any, ...], ...] = ()  # explicit points (e.g. a SALib design), one value per design key
    file_sha256: str = ""  # the SHA-256 of the file's bytes, as read
    kinds: dict[str, str] = field(default_factory=dict)  # varied key → bool, int, float or str (its column)

    @property
    def varied_keys(self) -> list[str]:
        """The dotted keys that vary, in file order (grid, levers, sampled, then an explicit design)."""
        return [*self.file.grid, *self.file.levers, *self.file.sample, *self.design_keys]

    @property
    def n_lever_sets(self) -> int:
        """How many lever sets: the product of the levers' values (1 without levers)."""
        return math.prod(len(v) for v in self.file.levers.values())

    @property
    def n_points(self) -> int:
        """How many parameter points: grid product × lever sets × samples (× the explicit design's rows)."""
        n = math.prod(len(v) for v in self.file.grid.values()) * self.n_lever_sets * max(self.file.samples, 1)
        return n * len(self.design) if self.design else n

    def lever_set(self, index: int) -> dict[str, Any]:
        """The levers' values of lever set ``index`` (row-major over the levers, in file order)."""
        return _row_major(self.file.levers, index)

    @functools.cached_property
    def _design_columns(self) -> dict[str, np.ndarray]:
        """The sampled keys' values for every sample of a Latin hypercube or Sobol' design (built once).

        The unit-cube design has one column per sampled key, in sorted order (as the random draws take them),
        and ``samples`` rows, scrambled from ``SeedSequence([seed, 2, 1])``; each column goes through its
        distribution's inverse CDF (a choice's column holds indices into its values). 8 bytes per sample and
        key, held by the process that plans the runs (the workers get each run's values).
        """
        return design_columns(self.file)

    def design_sample(self, index: int) -> dict[str, Any]:
        """Sample ``index``'s values under a Latin hypercube or Sobol' design (keys in sorted order)."""
        out: dict[str, Any] = {}
        for key, column in self._design_columns.items():
            dist = self.file.sample[key]
            out[key] = dist.values[int(column[index])] if isinstance(dist, Choice) else float(column[index])
        return out

    @property
    def n_runs(self) -> int:
        """Points × replicates."""
        return self.n_points * self.file.replicates

    def point(self, index: int) -> dict[str, Any]:
        """The overrides of point ``index``.

        Grid coordinates in row-major order, then the sample, then the explicit design's row (fastest).
        """
        design_row: dict[str, Any] = {}
        if self.design:
            index, row = divmod(index, len(self.design))
            design_row = dict(zip(self.design_keys, self.design[row], strict=True))
        grid_index, lever_index, sample_index = self.coordinates(index)
        values = _row_major(self.file.grid, grid_index)
        values.update(_row_major(self.file.levers, lever_index))
        if self.file.sample:
            if self.file.design == "random":
                values.update(draw_sample(self.file.sample, self.file.seed, sample_index))
            else:
                values.update(self.design_sample(sample_index))
        values.update(design_row)
        return values

    def coordinates(self, index: int) -> tuple[int, int, int]:
        """Point ``index``'s grid point, lever set and sample (without an explicit design): samples fastest.

        index = (grid point × lever sets + lever set) × samples + sample.
        """
        n_samples = max(self.file.samples, 1)
        rest, sample_index = divmod(index, n_samples)
        grid_index, lever_index = divmod(rest, self.n_lever_sets)
        return grid_index, lever_index, sample_index

    def with_design(self, keys: list[str], rows: list[tuple[Any, ...]], source: str) -> Sweep:
        """This sweep crossed with explicit points (the digest covers them, so ``resume`` checks them).

        Args:
            keys: the design's dotted keys.
            rows: one tuple of values per point (numbers).
            source: where the design came from (for messages).

        Returns:
            The sweep that runs every row of the design at every point of this one.

        """
        design = tuple(tuple(float(v) for v in row) for row in rows)
        digest = hashlib.sha256((self.digest + json.dumps([keys, design], allow_nan=False)).encode()).hexdigest()
        kinds = {**self.kinds, **dict.fromkeys(keys, "float")}
        return Sweep(self.file, self.base, source, digest, tuple(keys), design, self.file_sha256, kinds)

    def run_spec(self, run_id: int) -> dict[str, Any]:
        """What a run needs: its id, point, replicate, seed and overrides.

        With levers, also its ``lever_set`` (the index of its levers' values) and its ``state`` of the world
        (grid point, sample and replicate, numbered so that every lever set meets each state once).
        """
        point, replicate = divmod(run_id, self.file.replicates)
        spec = {"run_id": run_id, "point": point, "replicate": replicate,
                "seed": replicate_seed(self.file.seed, replicate), "overrides": self.point(point)}
        if self.file.levers and not self.design:
            grid_index, lever_index, sample_index = self.coordinates(point)
            spec["lever_set"] = lever_index
            spec["state"] = (grid_index * max(self.file.samples, 1) + sample_index) * self.file.replicates + replicate
        return spec


def _row_major(table: dict[str, list[Any]], index: int) -> dict[str, Any]:
    """The values of entry ``index`` of the product of ``table``'s lists (the last key fastest)."""
    values: dict[str, Any] = {}
    for key in reversed(table):
        index, k = divmod(index, len(table[key]))
        values[key] = table[key][k]
    return {k: values[k] for k in table}


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


def design_columns(file: SweepFile) -> dict[str, np.ndarray]:
    """The sampled keys' values under the file's Latin hypercube or Sobol' design (see Sweep._design_columns).

    Args:
        file: a sweep file with ``design = "lhs"`` or ``"sobol"``.

    Returns:
        Sampled key (sorted) → one value per sample (a choice's: indices into its values).

    """
    keys = sorted(file.sample)
    u = unit_design(file.design, file.samples, len(keys), file.seed)
    return {key: file.sample[key].quantile(u[:, j]) for j, key in enumerate(keys)}


def replicate_seed(master_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: a function of the master seed and the replicate number only.

    >>> replicate_seed(1, 0) == replicate_seed(1, 0) != replicate_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([master_seed, replicate]).generate_state(1, dtype=np.uint32)[0])


def draw_sample(sample: dict[str, Any], master_seed: int, index: int) -> dict[str, Any]:
    """Sample ``index``'s values: its own random stream, keys drawn in sorted order."""
    rng = np.random.default_rng(np.random.SeedSequence([master_seed, 1, index]))
    return {key: sample[key].draw(rng) for key in sorted(sample)}


def _format_validation(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not isinstance(p, int) and p not in _DIST_TAGS)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "union_tag_invalid":
        msg = f"unknown distribution (expected one of {', '.join(_DIST_TAGS)})"
    return f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}"


_DIST_TAGS = ("uniform", "loguniform", "normal", "triangular", "choice")


def read_batch_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """A sweep or sensitivity file's contents and the SHA-256 of its bytes (read once, so the two agree).

    Args:
        path: the file.

    Returns:
        The parsed TOML and the hex SHA-256 of the bytes it was parsed from.

    Raises:
        SweepError: the file cannot be read or parsed (one line naming it).

    """
    try:
        raw = read_small_file(path)
        return parse_toml(raw, path), hashlib.sha256(raw).hexdigest()
    except ScenarioError as err:
        raise SweepError(str(err)) from None


def read_base_scenario(path: Path, scenario: Any, what: str = "the sweep file") -> Spec:
    """The validated base scenario a batch file names (relative to the batch file).

    Args:
        path: the batch file.
        scenario: the value of its ``scenario`` key.
        what: how messages call the batch file.

    Returns:
        The base scenario.

    Raises:
        SweepError: the name is not a string, or the file cannot be read or is not a valid scenario.

    """
    if not isinstance(scenario, str):
        raise SweepError(f"{shown_path(path)}: scenario: expected the base scenario's file name (relative to {what})")
    try:
        scenario_path = (path.parent / scenario).resolve()
    except (OSError, RuntimeError, ValueError) as err:  # a symlink loop (RuntimeError on 3.12), a NUL byte
        raise SweepError(f"{shown_path(path)}: scenario: {shown_path(scenario)}: cannot resolve ({err})") from None
    try:
        return spec_from_dict(read_scenario(scenario_path), source=shown_path(scenario_path))
    except ScenarioError as err:
        if not os.path.lexists(scenario_path):
            raise SweepError(f"{shown_path(path)}: scenario: {shown_path(scenario)} not found (relative to "
                             f"{what})") from None
        message, resolved = str(err), shown_path(scenario_path)
        if message.startswith(resolved):  # name the file as the user wrote it, not where its symlinks lead
            message = shown_path(scenario) + message[len(resolved):]
        raise SweepError(f"{shown_path(path)}: scenario: {message}") from None


def check_size(n_runs: int, max_runs: int, source: str, how: str) -> None:
    """Refuse a sweep of more than ``max_runs`` runs before anything is built or run.

    Args:
        n_runs: how many runs it has.
        max_runs: the most allowed (``--max-runs``).
        source: the file (for the message).
        how: how the count comes about, e.g. ``"12 points × 3 replicates"``.

    Raises:
        SweepError: too many runs; the message says how many and which option raises the limit.

    """
    if n_runs > max_runs:
        shown = f"{n_runs:,}" if n_runs < 10**15 else f"about 10^{len(str(n_runs)) - 1}"
        raise SweepError(f"{shown_path(source)}: {shown} runs ({how}) is more than the limit of {max_runs:,}; "
                         "pass --max-runs N to allow more")


def load_sweep(path: str | Path, max_runs: int = DEFAULT_MAX_RUNS) -> Sweep:
    """Read and check a sweep file; every problem is a :class:`SweepError` raised before any run starts.

    Args:
        path: the sweep file.
        max_runs: the most runs it may have.

    Returns:
        The sweep, ready to run.

    """
    path = Path(path)
    data, sha = read_batch_file(path)
    base = read_base_scenario(path, data.get("scenario"))
    return sweep_from_dict(data, base, source=str(path), max_runs=max_runs, file_sha256=sha)


def _check_support(base: Spec, key: str, dist: Any, source: str) -> None:
    for value in dist.support():
        try:
            with_overrides(base, {key: value}, source=f"{source}: sample")
        except ScenarioError as err:
            if isinstance(dist, Choice):
                raise SweepError(f"{err} (a value of the choice)") from None
            raise SweepError(f"{err} ({dist.dist} on [{dist.low:g}, {dist.high:g}] reaches it; every value a "
                             "distribution can draw must be valid: narrow it or truncate it with low/high)") from None


def sweep_from_dict(data: dict[str, Any], base: Spec, source: str = "sweep",
                    max_runs: int = DEFAULT_MAX_RUNS, file_sha256: str = "") -> Sweep:
    """Check a parsed sweep against its base scenario, before any run starts.

    The size is checked first (nothing is built for a sweep over the limit). Every grid and lever value, and every
    value that bounds what a sampled key can draw (a window's ends, every choice), must make a valid
    scenario, and a first joint draw too.

    Args:
        data: the parsed sweep file.
        base: its validated base scenario.
        source: the file (for messages).
        max_runs: the most runs it may have.
        file_sha256: the SHA-256 of the file's bytes, as read (provenance).

    Returns:
        The checked sweep.

    Raises:
        SweepError: anything wrong with it, in one line.

    """
    data = {"scenario": "<given>", **data}
    try:
        file = SweepFile.model_validate(data)
    except ValidationError as err:
        raise SweepError(_format_validation(err, source)) from None
    tables = {**file.grid, **file.levers}
    sizes = [len(v) for v in tables.values()]
    how = " × ".join([*(f"{n} {k}" for n, k in zip(sizes, tables, strict=True)),
                      *([f"{file.samples} samples"] if file.samples else []), f"{file.replicates} replicate(s)"])
    check_size(math.prod(sizes) * max(file.samples, 1) * file.replicates, max_runs, source, how)
    try:
        for table, entries in (("grid", file.grid), ("levers", file.levers)):
            for key, values in entries.items():
                for value in dict.fromkeys(values):
                    with_overrides(base, {key: value}, source=f"{source}: {table}")
        for key, dist in file.sample.items():
            _check_support(base, key, dist, source)
    except ScenarioError as err:
        raise SweepError(str(err)) from None
    canonical = {"sweep": file.canonical(), "base": base.model_dump(mode="json")}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, allow_nan=False).encode()).hexdigest()
    kinds = {**{k: column_kind(v) for k, v in tables.items()},
             **{k: column_kind(d.values) if isinstance(d, Choice) else "float" for k, d in file.sample.items()}}
    sweep = Sweep(file, base, source, digest, file_sha256=file_sha256, kinds=kinds)
    try:
        if file.sample:
            first = (draw_sample(file.sample, file.seed, 0) if file.design == "random" else sweep.design_sample(0))
            with_overrides(base, first, source=f"{source}: sample (first draw)")
    except ScenarioError as err:
        raise SweepError(str(err)) from None
    except ValueError as err:  # a distribution that cannot be drawn from
        raise SweepError(f"{source}: sample: {err}") from None
    return sweep


