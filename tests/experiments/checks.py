"""Checks the experiments tests share."""

from pathlib import Path

from helpers import BASELINE

SWEEP_HEAD = f'scenario = "{BASELINE}"\n'
MANY = "replicates = 300\nseed = 3\n"  # a sweep long enough to kill something half-way


def write_sweep(folder, body, name="s.toml"):
    """A sweep file on the baseline: ``SWEEP_HEAD`` then ``body``, at ``folder/name``."""
    path = Path(folder) / name
    path.write_text(SWEEP_HEAD + body)
    return path


def assert_one_line(outcome, code=2, *words, seconds=5.0, mib=64.0, started=False):
    """Exit `code`, exactly one line on stderr naming `words`, no traceback, bounded time and memory.

    `started`: the command got as far as saying what it runs (its banner line), then stopped in one line.
    """
    lines = outcome.err.strip().splitlines()
    if started:
        assert lines and lines[0].startswith(("chipdeal sweep:", "chipdeal sensitivity:")), outcome.err
        lines = lines[1:]
    assert outcome.code == code, outcome
    assert len(lines) == 1, outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    for word in words:
        assert word in lines[0], lines[0]
    assert outcome.seconds < seconds, outcome.seconds
    assert outcome.peak_mib < mib, outcome.peak_mib
    return lines[0]
