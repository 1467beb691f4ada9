"""What the batch commands need from the terminal: signals that stop a sweep cleanly, a stdout that may close.

Kept free of heavy imports: the command line enters :func:`stopping_on_signals` before it imports the model.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

STOP_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP: the sweep stops, keeps what finished and says how to resume."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Turn the first Ctrl-C, SIGTERM or SIGHUP into :class:`Interrupted`; ignore the ones after it.

    A second Ctrl-C while the sweep is stopping (killing its workers, closing its files) must not break the
    stop half-way with a traceback: it is ignored, and the stop takes a second or two anyway. Outside the
    main thread (where Python cannot set handlers) this does nothing.

    Yields:
        Nothing; the handlers are restored on exit.

    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if caught:
            return
        caught.append(signum)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def emit(text: str) -> bool:
    """Print ``text`` on stdout; a reader that went away (``| head``) is not an error.

    Args:
        text: what to print (a newline is added).

    Returns:
        Whether stdout took it all.

    """
    try:
        print(text, flush=True)
        return True
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit: point stdout at /dev/null (as the
        # signal module's documentation advises).
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return False


def warn(text: str) -> None:
    """One line on stderr (nothing happens if stderr is closed).

    Args:
        text: the line.

    """
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr, flush=True)
