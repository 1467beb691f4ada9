"""Sweep throughput with 1 and 2 workers against the machine's own two-process scaling, and peak memory.

Prints (medians over repeats; the 2 cores here are shared and noisy):
  * runs per second of ``chipdeal sweep`` on the baseline with 1 and 2 local workers, timed as a user sees it
    (start-up, imports and the final merge included), their ratio,
    and the ratio a plain pure-CPU two-process job gets in the same session: the sweep's share of the
    machine's speed-up is the figure to hold against the 90% target;
  * peak resident memory of the ``chipdeal sweep`` process for 1,000 and 10,000 runs (workers = 1, so the
    one process holds everything);
  * wall time of the 10,000-run Monte Carlo of the baseline (runs/sweeps/baseline_seeds.toml) on 2 workers.

Usage: uv run python benchmarks/bench_sweep.py [--quick]
"""

import multiprocessing as mp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK = "--quick" in sys.argv


def burn(n: int) -> float:
    """Pure-Python CPU work."""
    total = 0.0
    for i in range(n):
        total += (i % 7) * 0.5
    return total


def machine_ratio(work: int = 6_000_000) -> float:
    """Speed-up of two processes over one on the same total work."""
    t0 = time.perf_counter()
    burn(work)
    burn(work)
    one = time.perf_counter() - t0
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    procs = [ctx.Process(target=burn, args=(work,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    two = time.perf_counter() - t0
    return one / two


def sweep_file(folder: Path, replicates: int, name: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'scenario = "{ROOT / "runs" / "baseline.toml"}"\nreplicates = {replicates}\nseed = 5\n')
    return path


MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run([sys.executable, "-m", "negotiation.cli", "sweep", sys.argv[1], "--out", sys.argv[2], "--workers",
                sys.argv[3], "--quiet"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t0
import glob, os
import pyarrow.parquet as pq
n = pq.read_metadata(sys.argv[2] + "/runs.parquet").num_rows
parts = sorted((os.path.getmtime(p), pq.read_metadata(p).num_rows) for p in glob.glob(sys.argv[2] + "/parts/runs-*"))
w = int(sys.argv[3])  # steady state: runs finished after each worker's first part, over the time since then
steady = sum(k for _, k in parts[w:]) / max(parts[-1][0] - parts[w - 1][0], 1e-9)
print(n, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, steady)
"""


def timed_sweep(path: Path, workers: int, out: Path) -> tuple[int, float, float, float]:
    """Run ``chipdeal sweep`` as a user would: runs, wall s (imports and pool start-up included), peak MiB, and
    the steady-state rate (runs/s between the first and the last part file reaching disk).
    """
    p = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(out), str(workers)], capture_output=True,
                       text=True, cwd=ROOT, check=True)
    n, wall, rss, steady = p.stdout.split()
    return int(n), float(wall), float(rss), float(steady)


def main() -> None:
    runs = 600 if QUICK else 10_000
    skip_memory = "--speed-only" in sys.argv
    repeats = 1 if QUICK else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = sweep_file(folder, runs, "speed")
        rates: dict[int, list[float]] = {1: [], 2: []}
        steady: dict[int, list[float]] = {1: [], 2: []}
        machine: list[float] = []
        for rep in range(repeats):
            for workers in (1, 2):
                n, wall, _, st = timed_sweep(path, workers, folder / f"out-{rep}-{workers}")
                rates[workers].append(n / wall)
                steady[workers].append(st)
            machine.append(machine_ratio())
        r1, r2 = statistics.median(rates[1]), statistics.median(rates[2])
        s1, s2 = statistics.median(steady[1]), statistics.median(steady[2])
        m = statistics.median(machine)
        print(f"baseline sweep, {runs} runs, whole command: 1 worker {r1:7.1f} runs/s   2 workers {r2:7.1f} runs/s"
              f"   ratio {r2 / r1:.2f}")
        print(f"  steady state (first to last part file): 1 worker {s1:7.1f} runs/s   2 workers {s2:7.1f} runs/s"
              f"   ratio {s2 / s1:.2f}")
        print(f"plain two-process CPU job on this machine now: ratio {m:.2f}   sweep's share of it: whole command "
              f"{(r2 / r1) / m:.0%}, steady state {(s2 / s1) / m:.0%}")
        if skip_memory:
            return
        for n_runs in (1000, 10_000):
            path = sweep_file(folder, n_runs, f"mem{n_runs}")
            _, wall, rss, _ = timed_sweep(path, 1, folder / f"mem-{n_runs}")
            print(f"peak RSS, {n_runs:>6} runs, 1 worker: {rss:7.1f} MiB  ({wall:.1f} s)")
        n, wall, _, _ = timed_sweep(ROOT / "runs" / "sweeps" / "baseline_seeds.toml", 2, folder / "mc")
        print(f"Monte Carlo of the baseline ({n} runs, 2 workers): {wall:.1f} s")


if __name__ == "__main__":
    main()
