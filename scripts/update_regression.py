"""Rewrite the regression records from the current code, or check the code against them.

Run it to rewrite only after an intended change, and say in the commit why the records moved.
tests/regression/records/: one JSON file per shipped scenario file (runs/baseline.toml, runs/scenarios/*.toml)
with seeds 0–19: every offer's round, proposer, answers, terms and utilities, the outcome and each actor's
gain (tests/regression/records.py says what is compared exactly and what to a tolerance).

Usage:
    uv run python scripts/update_regression.py            # rewrite the records that moved (and new ones)
    uv run python scripts/update_regression.py --all      # rewrite every scenario file's records
    uv run python scripts/update_regression.py --check    # compare, write nothing; exit 1 on a difference

A file whose every seed still agrees (within the tolerance) is left as it is, so that a commit's diff shows
only the scenarios that moved.

``--check`` is what tests/regression runs in a subprocess with NumPy's wider SIMD kernels switched off
(NPY_DISABLE_CPU_FEATURES): it prints which of NumPy's dispatch targets are on, then the first difference of
every seed that moved.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # this tree's agents/ and negotiation/, whatever the environment installed

from regression.records import (  # noqa: E402
    RECORDS,
    compare,
    current_records,
    dumps,
    floats_not_bitwise_equal,
    load,
    records_file,
    scenario_files,
)


def dispatch_targets() -> dict[str, bool]:
    """NumPy's SIMD dispatch targets this CPU supports, and whether each is on in this process."""
    from numpy._core import _multiarray_umath as umath

    supported = set(getattr(umath, "__cpu_features__", {}))
    return {t: bool(umath.__cpu_features__.get(t)) for t in getattr(umath, "__cpu_dispatch__", []) if t in supported}


def check() -> int:
    """Compare the code with every stored record; print the first difference of each seed that moved."""
    print("numpy dispatch targets: " + (" ".join(f"{t}={'on' if on else 'off'}"
                                                for t, on in dispatch_targets().items()) or "none"))
    problems, inexact = [], 0
    files = scenario_files()
    for path in files:
        stored, now = load(path), current_records(path)
        problems += compare(path, stored, now)
        inexact += floats_not_bitwise_equal(stored["runs"], now) if stored else 0
    wanted = {records_file(p) for p in files}
    problems += [f"{f.relative_to(ROOT)}: records of no scenario file" for f in sorted(RECORDS.rglob("*.json"))
                 if f not in wanted]
    for line in problems:
        print(line)
    print(f"{inexact} floats differ from their stored value in the last bits (within the tolerance or not)")
    print(f"{len(files)} scenario files x 20 seeds: " + (f"{len(problems)} differ" if problems else "all agree"))
    return 1 if problems else 0


def rewrite(every: bool) -> int:
    """Write the records that moved (``every``: all of them) from the code as it is; drop those of removed files."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    files = scenario_files()
    written = 0
    for path in files:
        now = current_records(path)
        stored = load(path)
        if not every and stored is not None and not compare(path, stored, now):
            continue
        out = records_file(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dumps(path, now, commit), encoding="utf-8")
        written += 1
        print(f"wrote {out.relative_to(ROOT)}")
    wanted = {records_file(p) for p in files}
    for stale in sorted(RECORDS.rglob("*.json")):
        if stale not in wanted:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    print(f"{written} of {len(files)} scenario files' records written at {commit}; the rest agree")
    return 0


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv[1:] else rewrite(every="--all" in sys.argv[1:]))
