"""Fixtures of the experiments tests: the real `chipdeal` entry point called in-process, watched.

`cli(...)` calls `negotiation.cli.main` as the console script does and returns its exit status, stdout and
stderr, how long it took and (when asked) the peak of Python memory it allocated. A call that hangs fails
the test after `limit_s` seconds instead of hanging the suite (SIGALRM interrupts even a blocking open()).
"""

import signal
import time
import tracemalloc
from typing import NamedTuple

import pytest

from negotiation.cli import main


class Outcome(NamedTuple):
    code: int
    out: str
    err: str
    seconds: float
    peak_mib: float


class Hung(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hung("the command did not return in time")


@pytest.fixture
def cli(capsys):
    def run(*args, limit_s=30, memory=False):
        capsys.readouterr()
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(limit_s)
        if memory:
            tracemalloc.start()
        start = time.monotonic()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse
            code = exit_.code
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else 0.0
            if memory:
                tracemalloc.stop()
        out, err = capsys.readouterr()
        return Outcome(code, out, err, time.monotonic() - start, peak)

    return run
