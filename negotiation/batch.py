"""Batch experiments: grids, Monte Carlo samples and replicates of a scenario, run in parallel to Parquet.

A *sweep file* (TOML) names a base ``scenario`` (relative to the sweep file), a ``[grid]`` of dotted scenario
keys → lists of values, an optional ``[sample]`` of dotted keys → distributions with ``samples = N``,
``replicates = R`` seeds per point and a master ``seed``. The points are the grid's product, each crossed
with the N samples; every point runs R replicates.

Design choices, each for a stated reason:

* **Seeds** depend only on the master seed and the replicate number (:func:`replicate_seed`), so every
  point sees the same seeds (common random numbers), growing a grid leaves finished runs valid, and
  ``chipdeal run --seed <seed> --set key=value …`` replays a row exactly. Sample *k* draws its values from
  its own stream of the master seed, so adding samples leaves the first ones unchanged.
* **Work units** are chunks of consecutive runs, executed by a persistent process pool (forkserver, with
  this module preloaded so workers do not re-import Mesa) or by an existing Dask cluster. Each point's
  equilibrium is solved once per worker (``NegotiationModel.solve`` caches it per scenario), and per-round
  data collection stays off unless traces are asked for.
* **Nothing is lost**: each finished chunk is written at once as a Parquet part file (written to a
  temporary name, then renamed), and ``runs.parquet`` is merged from the parts at the end. ``resume``
  reruns only the runs missing from the parts, and refuses a sweep whose file or base scenario changed.
  A run that raises becomes a row with its error text.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import hashlib
import itertools
import json
import math
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from negotiation.scenario import ScenarioError, Spec, read_scenario, read_toml, spec_from_dict, with_overrides
from negotiation.workers import worker_context

RESULT_COLUMNS = ["agreed", "outcome", "steps", "deadline_rounds", "us_profit_share", "relief_fraction",
                  "tariff_relief_usd_bn_per_year", "eq_us_profit_share", "eq_tariff_relief_usd_bn_per_year",
                  "nash_us_profit_share", "nash_tariff_relief_usd_bn_per_year", "ks_us_profit_share",
                  "ks_tariff_relief_usd_bn_per_year", "distance_to_equilibrium", "fundable_share", "utility_us",
                  "utility_japan", "utility_jbic", "utility_nexi", "utility_tsmc", "error"]
MAX_CHUNK_RUNS = 200


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


# ---------------------------------------------------------------------------------------------------------
# One chunk of runs (what a worker executes)


def run_one(base: Spec, run: dict[str, Any], traces: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one row of a sweep; an exception becomes a row with its error text."""
    from negotiation.model import NegotiationModel

    row: dict[str, Any] = {k: run[k] for k in ("run_id", "point", "replicate", "seed")}
    row.update(run["overrides"])
    row.update(dict.fromkeys(RESULT_COLUMNS, None))
    row["error"] = ""
    trace_rows: list[dict[str, Any]] = []
    try:
        spec = with_overrides(base, run["overrides"]) if run["overrides"] else base
        model = NegotiationModel(spec, rng=run["seed"], collect_data=traces)
        result = model.run(solve=True)
        pkg = result.package
        eq = result.equilibrium
        row.update(agreed=result.agreed, outcome=model.outcome, steps=result.steps, deadline_rounds=model.max_rounds,
                   us_profit_share=pkg.us_profit_share if pkg else None,
                   relief_fraction=pkg.relief_fraction if pkg else None,
                   tariff_relief_usd_bn_per_year=model.relief_usd_bn_per_year(pkg) if pkg else None,
                   eq_us_profit_share=eq.get("us_profit_share"),
                   eq_tariff_relief_usd_bn_per_year=eq.get("tariff_relief_usd_bn_per_year"),
                   distance_to_equilibrium=result.details.get("distance_to_equilibrium"),
                   fundable_share=result.details.get("fundable_share"))
        for short, name in (("nash", "nash"), ("ks", "kalai_smorodinsky")):
            point = eq.get(name) or {}
            row[f"{short}_us_profit_share"] = point.get("us_profit_share")
            row[f"{short}_tariff_relief_usd_bn_per_year"] = point.get("tariff_relief_usd_bn_per_year")
        for actor, value in result.utilities.items():
            row[f"utility_{actor}"] = value
        if traces:
            frame = model.datacollector.get_model_vars_dataframe()
            for record in frame.to_dict("records"):
                trace_rows.append({"run_id": run["run_id"], **record})
    except Exception as err:  # noqa: BLE001 - a failing run must become a row, not stop the sweep
        row["error"] = f"{err.__class__.__name__}: {err}"
        row["agreed"] = False
        if not isinstance(err, ScenarioError):
            row["error"] += " | " + traceback.format_exc(limit=-1).strip().splitlines()[-2].strip()
    return row, trace_rows


def run_chunk(base: Spec, runs: list[dict[str, Any]], traces: bool = False) -> tuple[list[dict], list[dict]]:
    """Run a chunk of sweep rows in order (the unit of work shipped to a process or a Dask worker)."""
    rows: list[dict[str, Any]] = []
    trace_rows: list[dict[str, Any]] = []
    for run in runs:
        row, trace = run_one(base, run, traces)
        rows.append(row)
        trace_rows.extend(trace)
    gc.collect()  # a model and its agents form reference cycles: free them per chunk, or memory grows with runs
    return rows, trace_rows


# ---------------------------------------------------------------------------------------------------------
# Output folder: part files, resume, merge


def chipdeal_version() -> str:
    """The installed chipdeal version (``unknown`` when run from a bare source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chipdeal")
    except PackageNotFoundError:
        return "unknown"


def _frame(rows: list[dict[str, Any]], sweep: Sweep) -> pd.DataFrame:
    columns = ["run_id", "point", "replicate", "seed", *sweep.varied_keys, *RESULT_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("agreed",):
        frame[col] = frame[col].astype(bool)
    for col in ("steps",):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in RESULT_COLUMNS:
        if col not in ("agreed", "outcome", "steps", "error"):
            frame[col] = pd.to_numeric(frame[col]).astype(float)
    frame["outcome"] = frame["outcome"].astype(object).where(frame["outcome"].notna(), "error").astype(str)
    frame["seed"] = frame["seed"].astype("int64")
    return frame


def _write_atomically(table: pa.Table, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _provenance(sweep: Sweep) -> dict[bytes, bytes]:
    meta = {"chipdeal_version": chipdeal_version(), "sweep_sha256": sweep.digest, "master_seed": sweep.file.seed,
            "sweep_file": sweep.source, "scenario": sweep.base.name, "runs": sweep.n_runs,
            "replicates": sweep.file.replicates, "varied_keys": sweep.varied_keys}
    return {b"chipdeal": json.dumps(meta, sort_keys=True).encode()}


class Store:
    """The output folder of one sweep: a manifest, part files as chunks finish, and the merged results."""

    def __init__(self, out: Path, sweep: Sweep) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.sweep = sweep

    @property
    def manifest(self) -> Path:
        """The file that ties the folder to one sweep."""
        return self.out / "sweep.json"

    def open(self, resume: bool) -> set[int]:
        """Prepare the folder; returns the run ids already done (only when resuming)."""
        if resume:
            if not self.manifest.is_file():
                raise SweepError(f"{self.out}: nothing to resume (no sweep.json); run without --resume")
            stored = json.loads(self.manifest.read_text())
            if stored.get("sweep_sha256") != self.sweep.digest:
                raise SweepError(f"{self.out}: the sweep file or its base scenario changed since this sweep "
                                 "started; --resume would mix results (use another --out)")
            return self.done_ids()
        if self.manifest.exists() or (self.parts.is_dir() and any(self.parts.iterdir())):
            raise SweepError(f"{self.out} already holds a sweep; pass --resume to finish it or choose another --out")
        self.parts.mkdir(parents=True, exist_ok=True)
        meta = json.loads(_provenance(self.sweep)[b"chipdeal"])
        tmp = self.manifest.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
        os.replace(tmp, self.manifest)
        return set()

    def done_ids(self) -> set[int]:
        """Run ids present in the part files."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for stray in self.parts.glob(".tmp-*"):
            stray.unlink()
        done: set[int] = set()
        for part in self.parts.glob("runs-*.parquet"):
            done.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
        return done

    def write_part(self, rows: list[dict[str, Any]], trace_rows: list[dict[str, Any]]) -> None:
        """Write one finished chunk (traces first, so a runs part implies its traces are there)."""
        first = min(r["run_id"] for r in rows)
        if trace_rows:
            _write_atomically(pa.Table.from_pandas(pd.DataFrame(trace_rows), preserve_index=False),
                              self.parts / f"traces-{first:010d}.parquet")
        table = pa.Table.from_pandas(_frame(rows, self.sweep), preserve_index=False)
        _write_atomically(table, self.parts / f"runs-{first:010d}.parquet")

    def merge(self, traces: bool) -> pd.DataFrame:
        """Merge the parts into ``runs.parquet`` (and ``traces.parquet``), sorted by run id, each run once."""
        parts = sorted(self.parts.glob("runs-*.parquet"))
        frames = [pq.read_table(p).to_pandas() for p in parts]
        frame = pd.concat(frames, ignore_index=True) if frames else _frame([], self.sweep)
        frame = frame.drop_duplicates("run_id").sort_values("run_id", kind="stable").reset_index(drop=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _write_atomically(table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                         **_provenance(self.sweep)}), self.out / "runs.parquet")
        trace_parts = sorted(self.parts.glob("traces-*.parquet"))
        if traces and trace_parts:
            tframe = pd.concat([pq.read_table(p).to_pandas() for p in trace_parts], ignore_index=True)
            tframe = tframe.drop_duplicates(["run_id", "round"]).sort_values(["run_id", "round"], kind="stable")
            ttable = pa.Table.from_pandas(tframe.reset_index(drop=True), preserve_index=False)
            _write_atomically(ttable.replace_schema_metadata({**(ttable.schema.metadata or {}),
                                                              **_provenance(self.sweep)}), self.out / "traces.parquet")
        return frame


# ---------------------------------------------------------------------------------------------------------
# Executors


def _chunks(sweep: Sweep, done: set[int], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive missing runs, ``size`` at a time, generated lazily (memory stays flat)."""
    chunk: list[dict[str, Any]] = []
    for run_id in range(sweep.n_runs):
        if run_id in done:
            continue
        chunk.append(sweep.run_spec(run_id))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_size(n_runs: int, workers: int) -> int:
    """Runs per task: about sixteen tasks per worker, at most ``MAX_CHUNK_RUNS`` (so progress stays live).

    >>> chunk_size(4, 1), chunk_size(10_000, 2)
    (1, 200)
    """
    return max(1, min(MAX_CHUNK_RUNS, math.ceil(n_runs / (16 * max(workers, 1)))))


def _bounded(submit: Callable[[list[dict]], Any], chunks: Iterable[list[dict]], window: int,
             wait_one: Callable[[set], tuple[Any, set]]) -> Iterator[Any]:
    """Submit chunks keeping at most ``window`` in flight; yield finished futures as they complete."""
    pending: set = set()
    it = iter(chunks)
    for chunk in itertools.islice(it, window):
        pending.add(submit(chunk))
    while pending:
        fut, pending = wait_one(pending)
        yield fut
        nxt = next(it, None)
        if nxt is not None:
            pending.add(submit(nxt))


def _local_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A persistent pool of ``workers`` processes forked from the preloaded fork server."""
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())


def _wait_first(pending: set) -> tuple[Any, set]:
    finished, rest = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
    fut = finished.pop()
    return fut, rest | finished


def execute(sweep: Sweep, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
            resume: bool = False, traces: bool = False, progress: bool = True) -> pd.DataFrame:
    """Run a sweep into ``out`` and return the merged frame (one row per run, sorted by run id)."""
    from tqdm import tqdm

    store = Store(Path(out), sweep)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise SweepError("--workers must be at least 1")
    client = None
    if scheduler is not None:
        client = _connect(scheduler)
        workers = max(sum(client.nthreads().values()), 1)
    done = store.open(resume)
    todo = sweep.n_runs - len(done & set(range(sweep.n_runs)))
    size = chunk_size(todo, workers)
    tqdm.monitor_interval = 0  # no monitor thread: the local pool forks this process
    bar = tqdm(total=sweep.n_runs, initial=sweep.n_runs - todo, unit="run", disable=not progress,
               desc=f"sweep {Path(sweep.source).name}", smoothing=0.1, dynamic_ncols=True)
    chunks = _chunks(sweep, done, size)
    try:
        if client is not None:
            _run_dask(client, sweep, chunks, traces, store, bar, window=4 * workers)
        elif workers == 1:
            for chunk in chunks:
                rows, trace_rows = run_chunk(sweep.base, chunk, traces)
                store.write_part(rows, trace_rows)
                bar.update(len(rows))
        else:
            with _local_pool(workers) as pool:
                submit = lambda chunk: pool.submit(run_chunk, sweep.base, chunk, traces)  # noqa: E731
                for fut in _bounded(submit, chunks, 4 * workers, _wait_first):
                    rows, trace_rows = fut.result()
                    store.write_part(rows, trace_rows)
                    bar.update(len(rows))
    finally:
        bar.close()
        if client is not None:
            client.close()
    return store.merge(traces)


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise SweepError("--scheduler needs the 'distributed' package") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise SweepError(f"--scheduler {address}: cannot reach a Dask scheduler ({err})") from None


def _run_dask(client: Any, sweep: Sweep, chunks: Iterable[list[dict]], traces: bool, store: Store, bar: Any,
              window: int) -> None:
    from distributed import as_completed

    base = client.scatter(sweep.base, broadcast=True)
    it = iter(chunks)
    pending = as_completed([client.submit(run_chunk, base, c, traces, pure=False)
                            for c in itertools.islice(it, window)])
    for fut in pending:
        rows, trace_rows = fut.result()
        fut.release()
        store.write_part(rows, trace_rows)
        bar.update(len(rows))
        nxt = next(it, None)
        if nxt is not None:
            pending.add(client.submit(run_chunk, base, nxt, traces, pure=False))


def sweep(sweep_file: str | Path | Sweep, out: str | Path | None = None, *, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, traces: bool = False,
          progress: bool = True) -> pd.DataFrame:
    """Run a sweep file (or a :class:`Sweep`) and return its results as a DataFrame.

    Without ``out`` the part files go to a temporary folder that is removed afterwards.
    """
    spec = sweep_file if isinstance(sweep_file, Sweep) else load_sweep(sweep_file)
    if out is not None:
        return execute(spec, out, workers=workers, scheduler=scheduler, resume=resume, traces=traces,
                       progress=progress)
    with tempfile.TemporaryDirectory(prefix="chipdeal-sweep-") as tmp:
        return execute(spec, tmp, workers=workers, scheduler=scheduler, traces=traces, progress=progress)


__all__ = ["SweepError", "SweepFile", "Sweep", "load_sweep", "sweep_from_dict", "replicate_seed", "draw_sample",
           "run_one", "run_chunk", "execute", "sweep", "Store"]

