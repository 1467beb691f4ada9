"""Where batch work runs: a pool of local processes forked from the preloaded server, or a Dask cluster.

Both batch commands use this module. A sweep (:mod:`negotiation.experiments.runner`) drives the pool and the
cluster itself, chunk by chunk, storing each as it ends; a calibration maps its tasks with a *mapper*
(:func:`mapper_for`: :func:`in_process`, :class:`LocalPool` or :class:`DaskMapper`), which returns the
results in task order whatever ran them and whenever they finished.

Local workers (:func:`local_pool`) are forked from the fork server (:mod:`negotiation.experiments.workers`),
leave Ctrl-C and hang-ups to the parent and exit with it (:func:`worker_init`); :func:`kill_pool` stops them at
once. A Dask cluster is reached by address or scheduler file (:func:`connect`, one line and exit 2 when it
cannot be), its own log kept off the terminal (:func:`quiet_dask`), and its failures said in one line
(:func:`dask_failure`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from negotiation.experiments.sweepfile import SweepError
from negotiation.experiments.workers import worker_context
from negotiation.inputs import ScenarioError, read_small_file, shown_path

CONNECT_TIMEOUT_S = 10.0  # how long a Dask scheduler has to answer
DASK_ALLOWED_FAILURES = 3  # distributed's default: a task that killed this many workers is given up on


class Stopped(Exception):  # noqa: N818 - it is a stop, not a bug
    """Work stopped part-way (a worker failed, the scheduler was lost); the message says why, in one line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------------------------------------------------
# Local workers


def worker_init(parent: int) -> None:
    """In each local worker: leave Ctrl-C and hang-ups to the parent, and exit as soon as the parent is gone.

    The terminal sends SIGINT and SIGHUP to the whole process group; the parent decides what to keep and
    stops the workers itself. A parent killed outright (SIGKILL, the out-of-memory killer) cannot: workers
    forked from the fork server are not its children and would wait on the task queue for ever, so each
    watches the parent (a pidfd, or a poll where there is none) and exits with it.

    Args:
        parent: the sweep's process id.

    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="chipdeal-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    try:
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):  # no pidfd (not Linux ≥ 5.3): poll
        fd = None
    if fd is not None:
        select.select([fd], [], [])  # readable once the process has exited
    else:  # pragma: no cover - pidfd is there on the Linux this runs on
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(0.5)
    os._exit(1)


def local_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A persistent pool of ``workers`` processes forked from the preloaded fork server."""
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(), initializer=worker_init,
                                  initargs=(os.getpid(),))


def kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: kill its workers (their unfinished chunks are redone on resume), wait for nothing."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # Python < 3.14 has no kill_workers()
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.join(timeout=1)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass


# ---------------------------------------------------------------------------------------------------------
# Dask


def read_scheduler_file(path: str | Path) -> str:
    """The scheduler's address a Dask scheduler file holds (``dask scheduler --scheduler-file PATH`` writes it).

    Args:
        path: the scheduler file (JSON with an ``address``).

    Returns:
        The address, e.g. ``tcp://10.0.0.5:8786``.

    Raises:
        SweepError: the file is missing, unreadable or not a scheduler file (one line).

    """
    shown = shown_path(path)
    try:
        data = read_small_file(path, limit=1 << 20)
    except ScenarioError as err:
        reason = str(err).rsplit(": ", 1)[-1]
        hint = " (is the scheduler started, with --scheduler-file on a folder every node sees?)" \
            if reason == "no such file" else ""
        raise SweepError(f"--scheduler-file {shown}: {reason}{hint}") from None
    try:
        info = json.loads(data)
    except ValueError:
        raise SweepError(f"--scheduler-file {shown}: not a Dask scheduler file (not JSON)") from None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or not address:
        raise SweepError(f"--scheduler-file {shown}: not a Dask scheduler file (no \"address\")")
    return address


def dask_where(scheduler: str | None, scheduler_file: str | Path | None) -> str:
    """Where a batch command runs on Dask, as its banner says it.

    Args:
        scheduler: ``--scheduler``.
        scheduler_file: ``--scheduler-file``.

    Returns:
        ``Dask scheduler ADDRESS`` or ``Dask scheduler of PATH``.

    """
    if scheduler_file is not None:
        return f"Dask scheduler of {shown_path(scheduler_file)}"
    return f"Dask scheduler {shown_path(scheduler or '')}"


def connect(address: str | None = None, scheduler_file: str | Path | None = None) -> Any:  # a Client (untyped)
    """A client of the Dask scheduler at ``address`` or named by ``scheduler_file`` (exactly one of them).

    Raises:
        SweepError: both or neither given, a bad scheduler file, or no scheduler answering within
            ``CONNECT_TIMEOUT_S`` (one line; nothing has been written yet).

    """
    if (address is None) == (scheduler_file is None):
        raise SweepError("pass one of --scheduler ADDRESS and --scheduler-file PATH")
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise SweepError("--scheduler needs the 'distributed' package") from None
    timeout = f"{CONNECT_TIMEOUT_S:g}s"
    if scheduler_file is not None:
        target = read_scheduler_file(scheduler_file)
        option = f"--scheduler-file {shown_path(scheduler_file)}"
        kwargs: dict[str, str] = {"scheduler_file": os.fspath(scheduler_file)}
    else:
        target = str(address)
        option = f"--scheduler {shown_path(target) or repr(target)}"
        kwargs = {"address": target}
    # Made in two steps so that a client whose start fails can be closed here: left to the garbage collector,
    # its __del__ waits 2 × the timeout for a loop that is gone, then prints a traceback (distributed 2026.8).
    client = Client.__new__(Client)
    try:
        client.__init__(**kwargs, timeout=timeout, set_as_default=False)  # type: ignore[misc]
        return client
    except Exception as err:  # noqa: BLE001 - a bad address or an unreachable host: many exception types
        _discard(client)
        what = f"no Dask scheduler answered at {shown_path(target)} within {CONNECT_TIMEOUT_S:g} s" \
            if isinstance(err, (TimeoutError, OSError)) else "cannot reach a Dask scheduler"
        raise SweepError(f"{option}: {what} ({err.__class__.__name__}: {shown_path(str(err), 200)})") from None


def _discard(client: Any) -> None:
    """Close a client that failed to start, at once and quietly, so that nothing is left for its ``__del__``."""
    with contextlib.suppress(Exception):
        client.close(timeout=2)
    with contextlib.suppress(Exception):
        client._loop_runner.stop()
    client.status = "closed"  # its __del__ then has nothing to do


@contextlib.contextmanager
def quiet_dask() -> Iterator[None]:
    """Keep distributed's own log (reconnect attempts, tracebacks of lost connections) off the terminal.

    What went wrong is said in one line by :class:`SweepStopped`. distributed is imported first: importing it
    sets its loggers' levels from its configuration, which would undo these.
    """
    with contextlib.suppress(ImportError):
        import distributed  # noqa: F401
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in ("distributed", "tornado")]
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio", *names)]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def dask_failure(client: Any, err: BaseException) -> str:
    """What a Dask failure means, in one line: a chunk that kills workers, a lost scheduler, or a failed task."""
    name = err.__class__.__name__
    if name == "KilledWorker":
        return f"a chunk killed {DASK_ALLOWED_FAILURES} or more Dask workers ({shown_path(str(err), 200)})"
    if getattr(client, "status", "running") != "running" or name in ("CancelledError", "FutureCancelledError",
                                                                      "CommClosedError"):
        return f"lost the Dask scheduler ({name})"
    return f"a Dask task failed ({name}: {shown_path(str(err), 200)})"


# ---------------------------------------------------------------------------------------------------------
# Mappers: a batch of tasks, results in task order


class Mapper(Protocol):
    """Where a batch of tasks runs: ``fn`` over ``items``, ``tick()`` as each ends, the results in task order."""

    def __call__[T, R](self, fn: Callable[[T], R], items: list[T], tick: Callable[[], None]) -> list[R]:
        """Run ``fn`` on every item; return the results in the items' order."""
        ...


def in_process[T, R](fn: Callable[[T], R], items: list[T], tick: Callable[[], None]) -> list[R]:
    """The mapper that runs every task here, in order.

    Args:
        fn: the task.
        items: its arguments.
        tick: called once per finished task.

    Returns:
        The results, in order.

    """
    out = []
    for item in items:
        out.append(fn(item))
        tick()
    return out


@dataclass
class LocalPool:
    """A mapper on a persistent pool of local processes (the sweeps' fork server); results in task order."""

    workers: int
    _pool: cf.ProcessPoolExecutor | None = None

    def __call__[T, R](self, fn: Callable[[T], R], items: list[T], tick: Callable[[], None]) -> list[R]:
        """Run ``fn`` over ``items`` on the pool."""
        if self._pool is None:
            self._pool = local_pool(self.workers)
        size = max(1, min(64, len(items) // (4 * self.workers) or 1))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        futures = {self._pool.submit(run_many, fn, chunk): k for k, chunk in enumerate(chunks)}
        results: list[list[R]] = [[] for _ in chunks]
        for fut in cf.as_completed(futures):
            results[futures[fut]] = fut.result()
            for _ in results[futures[fut]]:
                tick()
        return [r for chunk in results for r in chunk]

    def close(self, kill: bool = False) -> None:
        """Stop the workers (at once with ``kill``)."""
        if self._pool is not None:
            if kill:
                kill_pool(self._pool)
            else:
                self._pool.shutdown(wait=True)
            self._pool = None


_FROZEN: list[bool] = []


def run_many[T, R](fn: Callable[[T], R], items: list[T]) -> list[R]:
    """Run a chunk of tasks in a worker, then collect the cycles its runs left (a model and its agents form some).

    The worker's imports are frozen out of the collector once, so each collection scans only the chunk's
    objects (a full scan of pyabc's, pandas' and SciPy's objects costs a tenth of a second).
    """
    import gc

    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)
    out = [fn(item) for item in items]
    gc.collect()
    return out


@dataclass
class DaskMapper:
    """A mapper on a Dask cluster (the sweeps' connection and quiet logging); results in task order."""

    client: Any  # distributed's Client (untyped)

    def __call__[T, R](self, fn: Callable[[T], R], items: list[T], tick: Callable[[], None]) -> list[R]:
        """Run ``fn`` over ``items`` on the cluster."""
        from distributed import as_completed

        size = max(1, min(64, len(items) // (8 * self._threads()) or 1))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        futures = [self.client.submit(run_many, fn, chunk, pure=False) for chunk in chunks]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[list[R]] = [[] for _ in chunks]
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                results[index[fut.key]] = fut.result()
                for _ in results[index[fut.key]]:
                    tick()
        except Exception as err:  # noqa: BLE001 - KilledWorker, a lost scheduler, a failing task
            raise Stopped(dask_failure(self.client, err)) from None
        return [r for chunk in results for r in chunk]

    def _threads(self) -> int:
        try:
            return max(sum(self.client.nthreads().values()), 1)
        except Exception:  # noqa: BLE001
            raise Stopped("lost the Dask scheduler") from None


def mapper_for(workers: int | None, scheduler: str | None,
               scheduler_file: str | Path | None = None) -> tuple[Mapper, Callable[[bool], None]]:
    """The mapper for ``--workers`` / ``--scheduler`` / ``--scheduler-file`` and how to close it.

    Args:
        workers: local processes (1: in-process; default: every core).
        scheduler: a Dask scheduler's address (then ``workers`` is ignored).
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).

    Returns:
        The mapper and its closer (called with whether to kill at once).

    """
    if scheduler is not None or scheduler_file is not None:
        client = connect(scheduler, scheduler_file)

        def close_client(_kill: bool) -> None:
            with contextlib.suppress(Exception):
                client.close(timeout=2)

        return DaskMapper(client), close_client
    workers = os.cpu_count() or 1 if workers is None else workers
    if workers == 1:
        return in_process, lambda _kill: None
    pool = LocalPool(workers)
    return pool, lambda kill: pool.close(kill)
