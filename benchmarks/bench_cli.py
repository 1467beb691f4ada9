"""Wall time of ``chipdeal`` commands end to end (a fresh process each time), and what the run path imports.

A benchmark, not a test: it prints medians over repeats (the machine is shared and noisy) beside the floor
that Mesa alone costs (``python -c "import mesa"``), and which heavy packages a ``chipdeal run`` loads.
``--against DIR`` times the same commands, interleaved, on another checkout (its code on ``PYTHONPATH``, run
from its folder), e.g. the commit before a change:
``git archive REV | tar -x -C /tmp/before && uv run python benchmarks/bench_cli.py --against /tmp/before``.

Usage: uv run python benchmarks/bench_cli.py [--repeats N] [--against DIR]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


CPU: list[float] = []  # user + system seconds of each timed child, in order (less hit by a busy machine)


def wall(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed, p.returncode


def line(label: str, times: list[float], code: int, cpu: list[float]) -> str:
    return (f"{label:56s} median {statistics.median(times):6.3f} s  min {min(times):6.3f}  max {max(times):6.3f}"
            f"  cpu median {statistics.median(cpu):6.3f} s  (exit {code})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--against", type=Path, default=None, metavar="DIR", help="another checkout to compare")
    args = parser.parse_args()
    trees = {"": (ROOT, None)}
    if args.against is not None:
        trees = {"this  ": (ROOT, dict(os.environ, PYTHONPATH=str(ROOT))),
                 "other ": (args.against.resolve(), dict(os.environ, PYTHONPATH=str(args.against.resolve())))}
    print(f"{len(os.sched_getaffinity(0))} cores; load {os.getloadavg()[0]:.2f}; PYTHONDONTWRITEBYTECODE="
          f"{os.environ.get('PYTHONDONTWRITEBYTECODE')}; {args.repeats} repeats each")
    for label, argv in FLOORS.items():
        wall(argv, ROOT)
        CPU.clear()
        runs = [wall(argv, ROOT) for _ in range(args.repeats)]
        print(line(label, [t for t, _ in runs], runs[-1][1], CPU))
    cli = [sys.executable, "-m", "negotiation.cli"]
    times: dict[tuple[str, int], list[float]] = {(tree, i): [] for tree in trees for i in range(len(COMMANDS))}
    cpu: dict[tuple[str, int], list[float]] = {key: [] for key in times}
    codes: dict[tuple[str, int], int] = {}
    for cwd, env in trees.values():  # warm the file cache
        wall(cli + COMMANDS[0], cwd, env)
    for _ in range(args.repeats):
        for i, command in enumerate(COMMANDS):
            for tree, (cwd, env) in trees.items():  # interleaved, so that the machine's load hits both alike
                t, codes[tree, i] = wall(cli + command, cwd, env)
                times[tree, i].append(t)
                cpu[tree, i].append(CPU[-1])
    for i, command in enumerate(COMMANDS):
        for tree in trees:
            print(line(f"{tree}chipdeal {' '.join(command)}", times[tree, i], codes[tree, i], cpu[tree, i]))
    probe = ("import sys, contextlib, io\nfrom negotiation.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()): main(['run'])\n"
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"loaded by `chipdeal run`: {loaded}")
    print(f"not loaded: {' '.join(m for m in HEAVY if m not in loaded.split())}")


if __name__ == "__main__":
    main()
