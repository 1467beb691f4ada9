"""Checks the experiments tests share."""

from pathlib import Path

from helpers import BASELINE

SWEEP_HEAD = f'scenario = "{BASELINE}"\n'
MANY_RUNS = 40  # a sweep long enough to kill something half-way (≈ 40 ms a run: 1.6 s on one worker)
MANY = f"replicates = {MANY_RUNS}\nseed = 3\n"


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


def short_scenario(folder):
    """The baseline with six months of talks (12 rounds), for tests that need cheaper fresh parameter points.

    Each costs about two thirds of the baseline's, and the governments still agree (they concede by the
    threat's date, round 7).
    """
    path = Path(folder) / "short.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'base = "{BASELINE}"\nname = "short"\n[deal]\nhorizon_years = 0.5\n')
    return path


def quick_calibration(folder):
    """The shipped calibration spec (its priors and patterns), on the baseline with six months of talks.

    The same spec but for its scenario (:func:`short_scenario`) and its thresholds (fixed and loose): for
    tests of the calibration's machinery, which do not depend on the scenario's economics.
    """
    from helpers import ROOT

    folder = Path(folder)
    short = short_scenario(folder)
    text = (ROOT / "runs" / "calibration" / "baseline.toml").read_text()
    text = text.replace('scenario = "../baseline.toml"', f'scenario = "{short}"')
    text = text.replace('patterns = "../patterns.toml"', f'patterns = "{ROOT / "runs" / "patterns.toml"}"')
    # a fixed, loose threshold: every generation accepts about as often as the first (the shipped median
    # threshold would reject most of a 4-round window's runs, and a second generation would cost hundreds)
    start = text.index("[epsilon]")
    end = text.index("[prior]")
    text = text[:start] + "[epsilon]\nschedule = [1000.0, 1000.0, 1000.0]\n\n" + text[end:]
    path = folder / "calibration.toml"
    path.write_text(text)
    return path
