"""Sweep files: a base scenario, a grid, levers, sampled uncertainties and replicates, validated before any run.

A *sweep file* (TOML) names a base ``scenario`` (relative to the sweep file), a ``[grid]`` of dotted scenario
keys → lists of values, optional ``[levers]`` (the same form: terms a government chooses), an optional
``[sample]`` of dotted keys → distributions (:mod:`negotiation.experiments.sampling`) with ``samples = N`` drawn
by a ``design`` (``"random"``, Monte Carlo, the default; ``"lhs"``, Latin hypercube; ``"sobol"``, scrambled
Sobol', N a power of 2), ``replicates = R`` seeds per point and a master ``seed``. The points are the grid's
product crossed with the levers' product, each crossed with the N samples; every point runs R replicates.

Seeds depend only on the master seed and the replicate number (:func:`replicate_seed`), so every point sees
the same seeds (common random numbers), growing a grid leaves finished runs valid, and
``chipdeal run --seed <seed> --set key=value …`` replays a row exactly. Sample *k*'s values do not depend on
the grid point or the lever set either: with ``design = "random"`` it draws them from its own stream of the
master seed (so adding samples leaves the first ones unchanged); with ``"lhs"`` or ``"sobol"`` they are row
*k* of one unit-cube design of N rows (scrambled, from its own stream of the master seed: changing N changes
every row), mapped through each distribution's inverse CDF (:meth:`Uniform.quantile` and the others). So
each lever set meets the same states of the world (grid point, sample, replicate): the same draws and the
same seeds (common random numbers), which is what makes a lever set's *regret* in a state meaningful.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from negotiation.experiments import DEFAULT_MAX_RUNS
from negotiation.experiments.sampling import (
    DISTRIBUTIONS,
    INT64_MAX,
    Choice,
    Distribution,
    LogUniform,
    Normal,
    Triangular,
    Uniform,
    column_kind,
    draw_sample,
    one_kind,
    replicate_seed,
    unit_design,
)
from negotiation.inputs import InputError, ScenarioError, Strict, beside, parse_toml, read_small_file, shown_path
from negotiation.keypaths import format_error
from negotiation.scenario import Spec
from negotiation.scenario_files import read_scenario, spec_from_dict, with_overrides
from negotiation.values import Json, Scalar, TomlTable


class SweepError(InputError):
    """A sweep file, or the request to run it, that cannot be carried out (exit 2, one line)."""


class RunSettings(Strict):
    """What every batch file has: its base scenario, seeds per point, the master seed, a name."""

    scenario: str
    replicates: int = Field(default=1, ge=1, strict=True)
    seed: int = Field(default=0, ge=0, le=INT64_MAX, strict=True)
    name: str = ""
    description: str = ""


DESIGNS = ("random", "lhs", "sobol")


class SweepFile(RunSettings):
    """The validated contents of a sweep file (see the module docstring)."""

    grid: dict[str, list[Any]] = Field(default_factory=dict)  # any TOML values: one_kind() checks them
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

    def canonical(self) -> dict[str, Json]:
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
    design: tuple[tuple[float, ...], ...] = ()  # explicit points (e.g. a SALib design), one value per design key
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

    def lever_set(self, index: int) -> dict[str, Scalar]:
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

    def design_sample(self, index: int) -> dict[str, Scalar]:
        """Sample ``index``'s values under a Latin hypercube or Sobol' design (keys in sorted order)."""
        out: dict[str, Scalar] = {}
        for key, column in self._design_columns.items():
            dist = self.file.sample[key]
            out[key] = dist.values[int(column[index])] if isinstance(dist, Choice) else float(column[index])
        return out

    @property
    def n_runs(self) -> int:
        """Points × replicates."""
        return self.n_points * self.file.replicates

    def point(self, index: int) -> dict[str, Scalar]:
        """The overrides of point ``index``.

        Grid coordinates in row-major order, then the sample, then the explicit design's row (fastest).
        """
        design_row: dict[str, Scalar] = {}
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

    def with_design(self, keys: list[str], rows: Sequence[Sequence[float]], source: str) -> Sweep:
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

    def run_spec(self, run_id: int) -> dict[str, int | dict[str, Scalar]]:
        """What a run needs: its id, point, replicate, seed and overrides.

        With levers, also its ``lever_set`` (the index of its levers' values) and its ``state`` of the world
        (grid point, sample and replicate, numbered so that every lever set meets each state once).
        """
        point, replicate = divmod(run_id, self.file.replicates)
        spec: dict[str, int | dict[str, Scalar]] = {"run_id": run_id, "point": point, "replicate": replicate,
                                                     "seed": replicate_seed(self.file.seed, replicate),
                                                     "overrides": self.point(point)}
        if self.file.levers and not self.design:
            grid_index, lever_index, sample_index = self.coordinates(point)
            spec["lever_set"] = lever_index
            spec["state"] = (grid_index * max(self.file.samples, 1) + sample_index) * self.file.replicates + replicate
        return spec


def _row_major(table: dict[str, list[Scalar]], index: int) -> dict[str, Scalar]:
    """The values of entry ``index`` of the product of ``table``'s lists (the last key fastest)."""
    values: dict[str, Scalar] = {}
    for key in reversed(table):
        index, k = divmod(index, len(table[key]))
        values[key] = table[key][k]
    return {k: values[k] for k in table}


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


def read_batch_file(path: str | Path) -> tuple[TomlTable, str]:
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


def read_base_scenario(path: Path, scenario: object, what: str = "the sweep file") -> Spec:
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
        scenario_path = beside(path, scenario, "scenario")
    except ScenarioError as err:
        raise SweepError(str(err)) from None
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


def _check_support(base: Spec, key: str, dist: Uniform | LogUniform | Normal | Triangular | Choice,
                   source: str) -> None:
    for value in dist.support():
        try:
            with_overrides(base, {key: value}, source=f"{source}: sample")
        except ScenarioError as err:
            if isinstance(dist, Choice):
                raise SweepError(f"{err} (a value of the choice)") from None
            raise SweepError(f"{err} ({dist.dist} on [{dist.low:g}, {dist.high:g}] reaches it; every value a "
                             "distribution can draw must be valid: narrow it or truncate it with low/high)") from None


def sweep_from_dict(data: TomlTable, base: Spec, source: str = "sweep",
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
        raise SweepError(format_error(err, source, data, root=SweepFile, names=DISTRIBUTIONS)) from None
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
