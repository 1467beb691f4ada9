"""Where local sweep workers come from: a fork server that has imported the model once.

Kept free of heavy imports so the CLI can start the server before it imports anything itself: the server's
imports then overlap the parent's. Workers forked from it start at once with the model imported; forking the
parent itself is not safe once NumPy's and Arrow's native threads run, and spawning would re-import Mesa in
every worker (seconds apiece).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = ["negotiation.experiments.runner", "negotiation.model"]


def worker_context() -> BaseContext:
    """The multiprocessing context local pools use (fork server, preloaded with the model)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_worker_server() -> None:
    """Start the fork server now, in the background (it imports the model while the caller goes on)."""
    from multiprocessing import forkserver

    worker_context()
    forkserver.ensure_running()
