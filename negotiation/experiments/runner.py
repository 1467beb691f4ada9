"""Running a sweep: chunks of runs on a local process pool or a Dask cluster, each chunk stored as it ends.

Work units are chunks of consecutive runs, generated lazily from a bitmap of the runs already done (memory
stays flat however many runs a sweep has); each chunk becomes one part file, and a big sweep gets bigger
chunks so that it writes a few hundred parts at most (:func:`chunk_size`). They are executed by a
persistent process pool (forkserver, with the model preloaded so workers do not re-import Mesa) or by an
existing Dask cluster (``--scheduler ADDRESS`` or ``--scheduler-file PATH``). Each point's equilibrium is
solved once per worker (``NegotiationModel.solve`` caches it per scenario), and per-round data collection
stays off unless traces are asked for. A run that raises becomes a row with its error text.

Stopping: an interrupt (Ctrl-C, or SIGTERM/SIGHUP turned into one by the command line) kills the local
workers at once, keeps every finished chunk and raises :class:`SweepStopped` with one line saying what was
kept. A local worker that dies (killed, out of memory) breaks the pool: the chunks it held run again on a new
pool, up to ``MAX_ATTEMPTS`` times each, so no run is lost or run twice. A Dask worker that dies has its
chunks rescheduled by Dask; a lost scheduler stops the sweep with the resume hint.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import math
import os
import signal
import sys
import tempfile
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from negotiation.experiments.executors import connect, dask_failure, kill_pool, local_pool, quiet_dask
from negotiation.experiments.store import LEVER_COLUMNS, Store, Summary, SweepStopped, result_columns
from negotiation.experiments.sweepfile import DEFAULT_MAX_RUNS, Sweep, SweepError, load_sweep
from negotiation.inputs import ScenarioError, shown_path
from negotiation.scenario import Spec
from negotiation.scenario_files import with_overrides
from negotiation.version import code_fingerprint

MAX_CHUNK_RUNS = 200  # runs per task for sweeps up to TARGET_PARTS × 200 runs
TARGET_PARTS = 256  # a bigger sweep is cut into about this many tasks (= part files), larger ones
MAX_PART_RUNS = 10_000  # but no task holds more runs than this (a worker holds a task's rows in memory)
MAX_ATTEMPTS = 3  # a chunk whose worker died this many times stops the sweep (it may be what kills them)
WORKERS_PER_CORE = 4  # the most local workers per core (more only adds memory and switching)
_BITMAP_BLOCK = 1 << 16  # run ids scanned at a time for missing runs

Notify = Callable[[str], None]


def run_one(base: Spec, run: dict[str, Any], traces: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one row of a sweep; an exception becomes a row with its error text.

    Args:
        base: the base scenario.
        run: the run's id, point, replicate, seed and overrides (:meth:`Sweep.run_spec`).
        traces: whether to collect its per-round rows.

    Returns:
        The row, and its per-round rows (empty without ``traces``).

    """
    from negotiation.model import NegotiationModel

    row: dict[str, Any] = {k: run[k] for k in ("run_id", "point", "replicate", "seed", *LEVER_COLUMNS) if k in run}
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


def run_chunk(base: Spec, runs: list[dict[str, Any]], traces: bool = False) -> tuple[list[dict], list[dict], str]:
    """Run a chunk of sweep rows in order (the unit of work shipped to a process or a Dask worker).

    Args:
        base: the base scenario.
        runs: the chunk's runs (:meth:`Sweep.run_spec` each).
        traces: whether to collect per-round rows.

    Returns:
        The rows, the per-round rows, and the worker's :func:`code_fingerprint` (the store refuses results
        computed by other code).

    """
    rows: list[dict[str, Any]] = []
    trace_rows: list[dict[str, Any]] = []
    for run in runs:
        row, trace = run_one(base, run, traces)
        rows.append(row)
        trace_rows.extend(trace)
    gc.collect()  # a model and its agents form reference cycles: free them per chunk, or memory grows with runs
    return rows, trace_rows, code_fingerprint()


def missing_ranges(done: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """Ranges ``[start, stop)`` of consecutive runs not done, at most ``size`` long, generated lazily.

    A chunk never spans a run already done, so part files hold disjoint ranges of consecutive run ids and
    merge in order. The bitmap is scanned a block at a time (memory stays flat), but a range of missing runs
    goes on across blocks: a fresh sweep of N runs gives ``ceil(N / size)`` chunks.

    Args:
        done: one bool per run id.
        size: the longest range.

    Yields:
        ``(start, stop)`` pairs, in order.

    >>> list(missing_ranges(np.array([0, 0, 1, 0, 0, 0, 1], dtype=bool), 2))
    [(0, 2), (3, 5), (5, 6)]
    >>> len(list(missing_ranges(np.zeros(10**6, dtype=bool), 3907)))
    256

    """
    for start, stop in _todo_ranges(done):
        for a in range(start, stop, size):
            yield a, min(a + size, stop)


def _todo_ranges(done: np.ndarray) -> Iterator[tuple[int, int]]:
    """The maximal ranges of runs not done, in order (a range that reaches a block's end goes on in the next)."""
    n = len(done)
    open_start: int | None = None  # a range that reached the end of the previous block
    for block in range(0, n, _BITMAP_BLOCK):
        todo = ~done[block:block + _BITMAP_BLOCK]
        end = block + len(todo)
        edges = np.flatnonzero(np.diff(np.concatenate(([False], todo, [False])).astype(np.int8)))
        for a, b in zip((edges[::2] + block).tolist(), (edges[1::2] + block).tolist(), strict=True):
            if open_start is not None:
                if a == block:
                    a = open_start
                else:
                    yield open_start, block
                open_start = None
            if b == end and end < n:
                open_start = a
            else:
                yield a, b
        if open_start is not None and not len(edges):  # this block is all done: the open range ended before it
            yield open_start, block
            open_start = None


def _chunks(sweep: Sweep, done: np.ndarray, size: int) -> Iterator[list[dict[str, Any]]]:
    """The missing runs, ``size`` at a time, each chunk built only when it is about to be sent."""
    for start, stop in missing_ranges(done, size):
        yield [sweep.run_spec(run_id) for run_id in range(start, stop)]


def chunk_size(n_runs: int, workers: int, total: int | None = None) -> int:
    """Runs per task, which is also runs per part file.

    About sixteen tasks per worker, at most ``MAX_CHUNK_RUNS`` (so progress stays live and a lost task costs
    little), except that a big sweep is cut into about ``TARGET_PARTS`` parts at most: a chunk holds at least
    ``total / TARGET_PARTS`` runs (but no more than one worker's share of ``n_runs``, so a resume with few
    runs left still spreads them, and no more than ``MAX_PART_RUNS``). A 10⁶-run sweep thus writes 256
    parts of 3,907 runs, not 5,000 of 200; a sweep of N runs on W workers writes about
    ``max(256, W, N / 10,000)`` parts. Which chunk a run falls in never changes its result (its seed comes
    from its run id).

    Args:
        n_runs: runs to do.
        workers: processes (or Dask threads) that do them.
        total: runs in the whole sweep (default ``n_runs``); a resume passes the sweep's size.

    Returns:
        The chunk size.

    >>> chunk_size(4, 1), chunk_size(10_000, 2), chunk_size(10**5, 2), chunk_size(10**6, 64), chunk_size(10**8, 2)
    (1, 200, 391, 3907, 10000)
    >>> chunk_size(1_000, 4, total=10**6)  # resuming the last thousand runs of a big sweep
    250

    """
    total = n_runs if total is None else total
    workers = max(workers, 1)
    balanced = min(MAX_CHUNK_RUNS, math.ceil(n_runs / (16 * workers)))
    few_parts = min(math.ceil(total / TARGET_PARTS), math.ceil(n_runs / workers), MAX_PART_RUNS)
    return max(1, balanced, few_parts)


def max_local_workers() -> int:
    """The most local workers allowed (``WORKERS_PER_CORE`` per core).

    Returns:
        The limit on ``--workers``.

    """
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------------------------
# Local workers


def _span(chunk: list[dict[str, Any]]) -> str:
    return f"{chunk[0]['run_id']}–{chunk[-1]['run_id']}"


def _store_result(store: Store, bar: Any, result: tuple[list[dict], list[dict], str]) -> None:
    rows, trace_rows, fingerprint = result
    if fingerprint != code_fingerprint():
        raise SweepStopped(f"a worker ran other chipdeal code (fingerprint {fingerprint}, here "
                           f"{code_fingerprint()}); install the same code on every worker")
    store.write_part(rows, trace_rows)
    bar.update(len(rows))


def _run_local(sweep: Sweep, chunks: Iterator[list[dict]], traces: bool, store: Store, bar: Any, workers: int,
               notify: Notify) -> None:
    """Run the chunks on a local pool; a pool broken by a dying worker is replaced and its chunks rerun."""
    attempts: dict[int, int] = {}
    retry: deque[list[dict]] = deque()
    pending: dict[cf.Future, list[dict]] = {}
    window = 4 * workers
    pool = local_pool(workers)
    clean = False
    try:
        while True:
            broken = False
            while len(pending) < window:
                chunk = retry.popleft() if retry else next(chunks, None)
                if chunk is None:
                    break
                try:
                    pending[pool.submit(run_chunk, sweep.base, chunk, traces)] = chunk
                except BrokenProcessPool:
                    retry.appendleft(chunk)
                    broken = True
                    break
            if not pending and not broken:
                break
            if not broken:
                finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    err = fut.exception()
                    if isinstance(err, BrokenProcessPool):
                        broken = True
                        continue
                    if err is not None:
                        raise SweepStopped(f"a worker failed on runs {_span(pending[fut])} "
                                           f"({err.__class__.__name__}: {shown_path(str(err), 200)})")
                    _store_result(store, bar, fut.result())
                    del pending[fut]
            if not broken:
                continue
            lost = []
            for fut, chunk in pending.items():  # a result that arrived before the break is kept
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    _store_result(store, bar, fut.result())
                else:
                    lost.append(chunk)
            pending.clear()
            kill_pool(pool)
            for chunk in lost:
                first = chunk[0]["run_id"]
                attempts[first] = attempts.get(first, 1) + 1
                if attempts[first] > MAX_ATTEMPTS:
                    raise SweepStopped(f"a worker process died {MAX_ATTEMPTS} times while running runs "
                                       f"{_span(chunk)} (out of memory, or killed?)")
            if lost:
                notify(f"chipdeal: a worker process died; its {len(lost)} unfinished chunk(s) (runs "
                       f"{', '.join(_span(c) for c in lost[:3])}{', …' if len(lost) > 3 else ''}) run again")
            retry.extendleft(sorted(lost, key=lambda c: c[0]["run_id"], reverse=True))
            pool = local_pool(workers)
        clean = True
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            kill_pool(pool)


# ---------------------------------------------------------------------------------------------------------
# Dask


def _dask_workers(client: Any) -> int:
    try:
        return max(sum(client.nthreads().values()), 1)
    except Exception as err:  # noqa: BLE001
        raise SweepStopped(f"lost the Dask scheduler ({err.__class__.__name__})") from None


def _run_dask(client: Any, sweep: Sweep, chunks: Iterator[list[dict]], traces: bool, store: Store, bar: Any,
              window: int) -> None:
    """Run the chunks on a Dask cluster (it reschedules the chunks of a worker that dies).

    About ``window`` chunks are in flight; as each ends, the window grows to four per worker thread the
    scheduler has then, so workers that join after the sweep started (a SLURM job's, starting a few seconds
    after the scheduler) get work too.
    """
    from distributed import as_completed

    futures: list[Any] = []
    try:
        base = client.scatter(sweep.base, broadcast=True)
        futures = [client.submit(run_chunk, base, c, traces, pure=False) for c in _take(chunks, window)]
        in_flight = len(futures)
        pending = as_completed(futures, loop=client.loop)
        for fut in pending:
            try:
                result = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, a lost scheduler, a failing task
                raise SweepStopped(dask_failure(client, err)) from None
            fut.release()
            in_flight -= 1
            _store_result(store, bar, result)
            window = max(window, 4 * _dask_workers(client))
            for nxt in _take(chunks, window - in_flight):
                new = client.submit(run_chunk, base, nxt, traces, pure=False)
                futures.append(new)
                pending.add(new)
                in_flight += 1
    except (OSError, TimeoutError) as err:
        raise SweepStopped(dask_failure(client, err)) from None
    finally:
        try:
            client.cancel([f for f in futures if not f.done()])
        except Exception:  # noqa: BLE001,S110 - the scheduler may be gone already
            pass


def _take(it: Iterator[Any], n: int) -> list[Any]:
    out = []
    for _ in range(n):
        item = next(it, None)
        if item is None:
            break
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------------------
# The sweep


def _stderr(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def execute(sweep: Sweep, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
            scheduler_file: str | Path | None = None, resume: bool = False, overwrite: bool = False,
            traces: bool = False, progress: bool = True, notify: Notify | None = None,
            banner: str | None = None) -> Summary:
    """Run a sweep into ``out`` and merge it into ``out/runs.parquet``.

    Args:
        sweep: the checked sweep.
        out: its folder.
        workers: local processes (default: every core); ignored on Dask.
        scheduler: a Dask scheduler's address.
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).
        resume: finish the sweep ``out`` holds.
        overwrite: replace what ``out`` holds.
        traces: record per-round traces too.
        progress: show a progress bar.
        notify: where one-line notices go (rejected part files, a worker that died; default: stderr).
        banner: a line to say once the folder is ready and there is work to do (what runs where).

    Returns:
        The merged sweep's numbers (``already_finished`` when there was nothing left to run).

    Raises:
        SweepError: bad options or an unusable folder (before any run).
        SweepStopped: interrupted or failed part-way; the message says what was kept and how to resume.

    """
    from tqdm import tqdm

    notify = notify or _stderr
    workers = os.cpu_count() or 1 if workers is None else workers
    if workers < 1:
        raise SweepError("--workers must be at least 1")
    dask = scheduler is not None or scheduler_file is not None
    if not dask and workers > max_local_workers():
        raise SweepError(f"--workers {workers}: at most {max_local_workers()} on this machine "
                         f"({WORKERS_PER_CORE} per core)")
    store = Store(Path(out), sweep, traces)
    n = sweep.n_runs
    client = None
    bar = None
    quiet = contextlib.ExitStack()
    if dask:
        quiet.enter_context(quiet_dask())
    try:
        if dask:  # before the folder is touched: an unreachable cluster leaves nothing behind
            client = connect(scheduler, scheduler_file)
        opened = store.open(resume, overwrite)
        for note in opened.notes:
            notify(f"chipdeal: {note}")
        if opened.finished:
            return _finished_summary(store)
        if banner:
            notify(banner)
        todo = n - store.kept
        if client is not None:
            workers = _dask_workers(client)
        else:
            workers = max(1, min(workers, todo))
        size = chunk_size(todo, workers, n)
        tqdm.monitor_interval = 0  # no monitor thread: the local pool forks this process
        bar = tqdm(total=n, initial=n - todo, unit="run", disable=not progress,
                   desc=f"sweep {Path(sweep.source).name}", smoothing=0.1, dynamic_ncols=True)
        chunks = _chunks(sweep, opened.done, size)
        if client is not None:
            _run_dask(client, sweep, chunks, traces, store, bar, window=4 * workers)
        elif workers == 1:
            gc.freeze()  # run_chunk's collection then scans the runs' objects only, not this process's whole heap
            try:
                for chunk in chunks:
                    _store_result(store, bar, run_chunk(sweep.base, chunk, traces))
            finally:
                gc.unfreeze()
        else:
            _run_local(sweep, chunks, traces, store, bar, workers, notify)
        bar.close()
        return store.merge()
    except KeyboardInterrupt as err:
        signum = getattr(err, "signum", signal.SIGINT)
        raise SweepStopped(f"interrupted ({signal.Signals(signum).name}); {_kept(store)}",
                           130 if signum == signal.SIGINT else 128 + signum) from None
    except SweepStopped as err:
        raise SweepStopped(f"{err}; {_kept(store)}", err.exit_code) from None
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            try:
                client.close(timeout=2)
            except Exception:  # noqa: BLE001,S110 - closing a client whose scheduler is gone
                pass
        quiet.close()


def _kept(store: Store) -> str:
    n, kept = store.sweep.n_runs, store.kept_on_disk()
    if kept >= n:
        return f"all {n:,} runs are kept in {shown_path(store.parts)}; rerun with --resume to merge them"
    return f"{kept:,} of {n:,} runs are kept in {shown_path(store.parts)}; rerun with --resume to finish the rest"


def _finished_summary(store: Store) -> Summary:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = store.out / "runs.parquet"
    try:
        table = pq.read_table(path, columns=["agreed", "error"])
    except Exception as err:  # noqa: BLE001 - checked a moment ago; a file that changes since is a stop
        raise SweepStopped(f"cannot read {shown_path(path)} ({err.__class__.__name__})") from None
    agreed = int(pc.sum(table.column("agreed")).as_py() or 0)
    errors = int(pc.sum(pc.not_equal(table.column("error"), "")).as_py() or 0)
    return Summary(table.num_rows, agreed, errors, path, already_finished=True)


def read_runs(path: str | Path) -> pd.DataFrame:
    """A merged ``runs.parquet`` as a DataFrame (one row per run, sorted by run id).

    Args:
        path: the file.

    Returns:
        The frame.

    """
    return pd.read_parquet(path)


def sweep(sweep_file: str | Path | Sweep, out: str | Path | None = None, *, workers: int | None = None,
          scheduler: str | None = None, scheduler_file: str | Path | None = None, resume: bool = False,
          overwrite: bool = False, traces: bool = False, progress: bool = True,
          max_runs: int = DEFAULT_MAX_RUNS) -> pd.DataFrame:
    """Run a sweep file (or a :class:`Sweep`) and return its results as a DataFrame.

    Without ``out`` the part files go to a temporary folder that is removed afterwards.

    Args:
        sweep_file: the sweep file, or a checked sweep.
        out: its folder (default: a temporary one).
        workers: local processes.
        scheduler: a Dask scheduler's address.
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).
        resume: finish the sweep ``out`` holds.
        overwrite: replace what ``out`` holds.
        traces: record per-round traces too (``out/traces.parquet``).
        progress: show a progress bar.
        max_runs: the most runs the sweep file may have.

    Returns:
        One row per run, sorted by run id.

    """
    spec = sweep_file if isinstance(sweep_file, Sweep) else load_sweep(sweep_file, max_runs=max_runs)
    kwargs: dict[str, Any] = {"workers": workers, "scheduler": scheduler, "scheduler_file": scheduler_file,
                              "traces": traces, "progress": progress}
    if out is not None:
        return read_runs(execute(spec, out, resume=resume, overwrite=overwrite, **kwargs).path)
    with tempfile.TemporaryDirectory(prefix="chipdeal-sweep-") as tmp:
        return read_runs(execute(spec, tmp, **kwargs).path)

