"""Sweep files: a base scenario, a grid, Monte Carlo samples and replicates, validated before any run.

A *sweep file* (TOML) names a base ``scenario`` (relative to the sweep file), a ``[grid]`` of dotted scenario
keys → lists of values, an optional ``[sample]`` of dotted keys → distributions with ``samples = N``,
``replicates = R`` seeds per point and a master ``seed``. The points are the grid's product, each crossed
with the N samples; every point runs R replicates.

Seeds depend only on the master seed and the replicate number (:func:`replicate_seed`), so every point sees
the same seeds (common random numbers), growing a grid leaves finished runs valid, and
``chipdeal run --seed <seed> --set key=value …`` replays a row exactly. Sample *k* draws its values from its
own stream of the master seed, so adding samples leaves the first ones unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from negotiation.scenario import ScenarioError, Spec, read_scenario, read_toml, spec_from_dict, with_overrides


class SweepError(ScenarioError):
    """A sweep file, or the request to run it, that cannot be carried out (exit 2, one line)."""


# ---------------------------------------------------------------------------------------------------------
# The sweep file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Window(_Strict):
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


class Normal(_Window):
    """Normal with ``mean`` and ``sd``, optionally truncated to [low, high] by redrawing."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float = -math.inf
    high: float = math.inf

    def draw(self, rng: np.random.Generator) -> float:
        """One value (redrawn until it falls inside [low, high], at most 1000 times)."""
        for _ in range(1000):
            v = float(rng.normal(self.mean, self.sd))
            if self.low <= v <= self.high:
                return v
        raise ValueError("normal: [low, high] holds almost none of the distribution")


class Triangular(_Strict):
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


class Choice(_Strict):
    """One of ``values``, equally likely (booleans, words, integers)."""

    dist: Literal["choice"]
    values: list[Any] = Field(min_length=1)

    def draw(self, rng: np.random.Generator) -> Any:
        """One value."""
        return self.values[int(rng.integers(len(self.values)))]


Distribution = Annotated[Uniform | LogUniform | Normal | Triangular | Choice, Field(discriminator="dist")]


class RunSettings(_Strict):
    """What every batch file has: its base scenario, seeds per point, the master seed, a name."""

    scenario: str
    replicates: int = Field(default=1, ge=1)
    seed: int = Field(default=0, ge=0)
    name: str = ""
    description: str = ""


class SweepFile(RunSettings):
    """The validated contents of a sweep file (see the module docstring)."""

    grid: dict[str, list[Any]] = Field(default_factory=dict)
    sample: dict[str, Distribution] = Field(default_factory=dict)
    samples: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> SweepFile:
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid: {key!r} has no values")
        both = set(self.grid) & set(self.sample)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is both in [grid] and in [sample]")
        if self.sample and self.samples < 1:
            raise ValueError("[sample] needs samples = N (N >= 1)")
        if self.samples and not self.sample:
            raise ValueError("samples = N needs a [sample] table")
        return self


@dataclass(frozen=True)
class Sweep:
    """A sweep ready to run: its file, the validated base scenario, and where it came from."""

    file: SweepFile
    base: Spec
    source: str
    digest: str
    design_keys: tuple[str, ...] = ()
    design: tuple[tuple[Any, ...], ...] = ()  # explicit points (e.g. a SALib design), one value per design key

    @property
    def varied_keys(self) -> list[str]:
        """The dotted keys that vary, in file order (grid first, then sampled, then an explicit design)."""
        return [*self.file.grid, *self.file.sample, *self.design_keys]

    @property
    def n_points(self) -> int:
        """How many parameter points: grid product × samples (× the explicit design's rows)."""
        n = math.prod(len(v) for v in self.file.grid.values()) * max(self.file.samples, 1)
        return n * len(self.design) if self.design else n

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
        n_samples = max(self.file.samples, 1)
        grid_index, sample_index = divmod(index, n_samples)
        values: dict[str, Any] = {}
        sizes = [len(v) for v in self.file.grid.values()]
        for key, size, vals in zip(reversed(self.file.grid), reversed(sizes), reversed(self.file.grid.values()),
                                   strict=True):
            grid_index, k = divmod(grid_index, size)
            values[key] = vals[k]
        values = {k: values[k] for k in self.file.grid}
        if self.file.sample:
            values.update(draw_sample(self.file.sample, self.file.seed, sample_index))
        values.update(design_row)
        return values

    def with_design(self, keys: list[str], rows: list[tuple[Any, ...]], source: str) -> Sweep:
        """This sweep crossed with explicit points (the digest covers them, so ``resume`` checks them)."""
        design = tuple(tuple(float(v) if isinstance(v, np.floating) else v for v in row) for row in rows)
        digest = hashlib.sha256((self.digest + json.dumps([keys, design])).encode()).hexdigest()
        return Sweep(self.file, self.base, source, digest, tuple(keys), design)

    def run_spec(self, run_id: int) -> dict[str, Any]:
        """What a run needs: its id, point, replicate, seed and overrides."""
        point, replicate = divmod(run_id, self.file.replicates)
        return {"run_id": run_id, "point": point, "replicate": replicate,
                "seed": replicate_seed(self.file.seed, replicate), "overrides": self.point(point)}


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


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file; every problem is a :class:`SweepError` raised before any run starts."""
    path = Path(path)
    data = read_toml(path)
    scenario = data.get("scenario")
    if not isinstance(scenario, str):
        raise SweepError(f"{path}: scenario: expected the base scenario's file name (relative to the sweep file)")
    scenario_path = (path.parent / scenario).resolve()
    if not scenario_path.is_file():
        raise SweepError(f"{path}: scenario: {scenario} not found (relative to the sweep file)")
    base = spec_from_dict(read_scenario(scenario_path), source=str(scenario_path))
    return sweep_from_dict(data, base, source=str(path))


def sweep_from_dict(data: dict[str, Any], base: Spec, source: str = "sweep") -> Sweep:
    """Check a parsed sweep against its base scenario, before any run starts.

    Every grid value and a first draw of every sampled key must make a valid scenario.
    """
    data = {"scenario": "<given>", **data}
    try:
        file = SweepFile.model_validate(data)
    except ValidationError as err:
        raise SweepError(_format_validation(err, source)) from None
    try:
        for key, values in file.grid.items():
            for value in values:
                with_overrides(base, {key: value}, source=f"{source}: grid")
        if file.sample:
            for key, value in draw_sample(file.sample, file.seed, 0).items():
                with_overrides(base, {key: value}, source=f"{source}: sample ({file.sample[key].dist})")
    except ScenarioError as err:
        raise SweepError(str(err)) from None
    except ValueError as err:  # a distribution that cannot be drawn from
        raise SweepError(f"{source}: sample: {err}") from None
    digest = hashlib.sha256(json.dumps({"sweep": data, "base": base.model_dump(mode="json")}, sort_keys=True,
                                       default=str).encode()).hexdigest()
    return Sweep(file, base, source, digest)


