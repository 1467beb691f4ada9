"""Wall time of ``chipdeal`` commands end to end (a fresh process each time), and what the run path imports.

A benchmark, not a test: it prints medians over repeats (the machine is shared and noisy) beside the floor
that Mesa alone costs (``python -c "import mesa"``), and which heavy packages a ``chipdeal run`` loads.
Usage: uv run python benchmarks/bench_cli.py [--repeats N]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "chipdeal"  # the console script users run
COMMANDS = [
    ["run"],
    ["run", "--json"],
    ["run", "--replicates", "20", "--json"],
    ["keys"],
    ["--version"],
]
FLOORS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import mesa'": [sys.executable, "-c", "import mesa"],
    "python -c 'import negotiation.cli'": [sys.executable, "-c", "import negotiation.cli"],
}
HEAVY = ["mesa", "pandas", "pyarrow", "scipy", "networkx", "matplotlib", "solara", "distributed", "dask", "SALib",
         "tqdm", "pydantic"]


def wall(argv: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, p.returncode


def measure(label: str, argv: list[str], repeats: int) -> None:
    wall(argv)  # warm the file cache
    times, code = [], 0
    for _ in range(repeats):
        t, code = wall(argv)
        times.append(t)
    print(f"{label:48s} median {statistics.median(times):6.3f} s  min {min(times):6.3f}  max {max(times):6.3f}"
          f"  (exit {code})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    base = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "negotiation.cli"]
    print(f"{len(os.sched_getaffinity(0))} cores; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE')}"
          f"; {args.repeats} repeats each")
    for label, argv in FLOORS.items():
        measure(label, argv, args.repeats)
    for command in COMMANDS:
        measure("chipdeal " + " ".join(command), base + command, args.repeats)
    probe = ("import sys, contextlib, io\nfrom negotiation.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()): main(['run'])\n"
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"loaded by `chipdeal run`: {loaded}")
    print(f"not loaded: {' '.join(m for m in HEAVY if m not in loaded.split())}")


if __name__ == "__main__":
    main()
