"""Running a sweep: chunks of runs on a local process pool or a Dask cluster, each chunk stored as it ends.

Work units are chunks of consecutive runs, executed by a persistent process pool (forkserver, with the model
preloaded so workers do not re-import Mesa) or by an existing Dask cluster. Each point's equilibrium is
solved once per worker (``NegotiationModel.solve`` caches it per scenario), and per-round data collection
stays off unless traces are asked for. A run that raises becomes a row with its error text.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import itertools
import math
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from negotiation.experiments.store import Store, result_columns
from negotiation.experiments.sweepfile import Sweep, SweepError, load_sweep
from negotiation.experiments.workers import worker_context
from negotiation.scenario import ScenarioError, Spec, with_overrides

MAX_CHUNK_RUNS = 200


def run_one(base: Spec, run: dict[str, Any], traces: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one row of a sweep; an exception becomes a row with its error text."""
    from negotiation.model import NegotiationModel

    row: dict[str, Any] = {k: run[k] for k in ("run_id", "point", "replicate", "seed")}
    row.update(run["overrides"])
    row.update(dict.fromkeys(result_columns(base), None))
    row["error"] = ""
    trace_rows: list[dict[str, Any]] = []
    try:
        spec = with_overrides(base, run["overrides"]) if run["overrides"] else base
        model = NegotiationModel(spec, rng=run["seed"], collect_data=traces)
        row.update(model.run(solve=True).to_row())
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
