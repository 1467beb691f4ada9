"""Where local sweep workers come from: a fork server that has imported the model once.

Kept free of heavy imports so the CLI can start the server before it imports anything itself: the server's
imports then overlap the parent's. Workers forked from it start at once with the model imported; forking the
parent itself is not safe once NumPy's and Arrow's native threads run, and spawning would re-import Mesa in
every worker (seconds apiece).

The fork server and multiprocessing's resource tracker are started with SIGHUP blocked (they inherit the
mask): a closed terminal sends SIGHUP to the whole process group, and the sweep, not its helpers, decides
what to do about it. A tracker killed by it was relaunched by the parent and printed a ``KeyError``
traceback for every semaphore it had never seen.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from multiprocessing.context import BaseContext

PRELOAD = ["negotiation.experiments.runner", "negotiation.model"]


@contextlib.contextmanager
def _hangup_blocked() -> Iterator[None]:
    """SIGHUP blocked in this thread while the block runs (a SIGHUP that arrives meanwhile is delivered after)."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {hangup})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def worker_context() -> BaseContext:
    """The multiprocessing context local pools use (fork server, preloaded with the model), its server running."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    with _hangup_blocked():
        forkserver.ensure_running()  # and the resource tracker; a no-op when they run already
    return ctx


def start_worker_server() -> None:
    """Start the fork server now, in the background (it imports the model while the caller goes on)."""
    worker_context()
