"""A big sweep on the local pool: memory over time, part files, wall time (prints figures; not a test).

Writes a sweep of ``--runs`` seeds of the baseline (default 100,000) in a temporary folder, runs
``chipdeal sweep`` on it as a user would (a subprocess, ``--workers`` local workers, default 2), and samples
every ``--every`` seconds the resident memory (RSS) of the parent and of its children (found recursively
with psutil: the fork server and the resource tracker are its children, the workers the fork server's), and
how many part files are on disk. Prints:

  * wall time and runs per second (start-up, imports and the final merge included);
  * part files written, and runs per part;
  * RSS of the parent, of the largest worker and of all processes together: peak and median, and the median
    of the second and of the last quarter of the run before the merge (flat memory: the two are close);
  * the parent's peak during the merge (the stream of parts into runs.parquet).

With ``--chunk K`` it measures instead what one worker holds for the largest chunk a sweep of N runs gets
(``chunk_size``: 3,907 runs at N = 10⁶): it runs one chunk of K seeds in this process and prints the RSS
before, its peak while the chunk runs, and after (a chunk's rows stay in memory until it returns).

Usage: uv run python benchmarks/bench_scale.py [--runs N] [--workers N] [--every SECONDS] [--lhs] [--chunk K]

``--lhs`` varies three keys over a Latin hypercube instead (every run a new parameter point, its equilibrium
solved anew: slower per run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # installed with distributed

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def write_sweep(folder: Path, runs: int, lhs: bool) -> Path:
    """A sweep file of ``runs`` runs on the baseline: seeds, or a Latin hypercube of three keys."""
    path = folder / "big.toml"
    head = f'scenario = "{ROOT / "runs" / "baseline.toml"}"\nseed = 11\n'
    if lhs:
        body = (f'design = "lhs"\nsamples = {runs}\nreplicates = 1\n[sample]\n'
                '"deal.equity_fraction" = { dist = "uniform", low = 0.01, high = 0.03 }\n'
                '"agents.japan.outside_option_share" = { dist = "uniform", low = 0.0, high = 0.4 }\n'
                '"protocol.belief_noise" = { dist = "uniform", low = 0.05, high = 0.4 }\n')
    else:
        body = f"replicates = {runs}\n"
    path.write_text(head + body)
    return path


def rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def quarter_median(values: list[float], quarter: int) -> float:
    n = len(values)
    chunk = values[n * (quarter - 1) // 4: max(n * quarter // 4, n * (quarter - 1) // 4 + 1)]
    return statistics.median(chunk) if chunk else float("nan")


def one_chunk(k: int, every: float) -> None:
    """RSS of this process around one ``run_chunk`` of ``k`` seeds of the baseline (what a worker holds)."""
    import threading

    from negotiation.experiments.runner import run_chunk
    from negotiation.experiments.sweepfile import load_sweep

    with tempfile.TemporaryDirectory(prefix="chipdeal-bench-chunk-") as tmp:
        sweep = load_sweep(write_sweep(Path(tmp), k, lhs=False), max_runs=k)
    me = psutil.Process()
    runs = [sweep.run_spec(i) for i in range(k)]
    run_chunk(sweep.base, runs[:2])  # imports and the equilibrium solved once, as in a worker
    before = rss(me)
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(every / 5):
            peak.append(rss(me))

    threading.Thread(target=watch, daemon=True).start()
    t0 = time.perf_counter()
    rows, _, _ = run_chunk(sweep.base, runs)
    seconds = time.perf_counter() - t0
    done.set()
    print(f"one chunk of {k:,} runs in this process: {seconds:.1f} s; RSS {before / MIB:.1f} MiB before, peak "
          f"{max(peak) / MIB:.1f} MiB while it ran (+{(max(peak) - before) / MIB:.1f}), {rss(me) / MIB:.1f} MiB "
          f"after with its {len(rows):,} rows held")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--every", type=float, default=0.5)
    ap.add_argument("--lhs", action="store_true")
    ap.add_argument("--chunk", type=int, default=None, metavar="K")
    args = ap.parse_args()
    if args.chunk:
        one_chunk(args.chunk, args.every)
        return
    with tempfile.TemporaryDirectory(prefix="chipdeal-bench-scale-") as tmp:
        folder = Path(tmp)
        path = write_sweep(folder, args.runs, args.lhs)
        out = folder / "out"
        parts_dir = out / "parts"
        cmd = [sys.executable, "-m", "negotiation.cli", "sweep", str(path), "--out", str(out), "--workers",
               str(args.workers), "--quiet", "--max-runs", str(args.runs)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        parent = psutil.Process(proc.pid)
        samples: list[tuple[float, int, int, int, int, int]] = []  # t, parent, biggest worker, all, parts, merge
        while proc.poll() is None:
            try:
                children = parent.children(recursive=True)
                direct = {c.pid for c in parent.children()}
            except psutil.NoSuchProcess:
                break
            sizes = [rss(c) for c in children]
            workers = [size for c, size in zip(children, sizes, strict=True) if c.pid not in direct]
            p = rss(parent)
            try:
                names = [n.name for n in parts_dir.glob("runs-*.parquet")]
            except OSError:
                names = []
            merging = (out / "runs.parquet").exists() or any(out.glob(".tmp-*.parquet"))  # the merge's temp file
            samples.append((time.perf_counter() - t0, p, max(workers, default=0), p + sum(sizes), len(names),
                            int(merging)))
            time.sleep(args.every)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"chipdeal sweep exited {proc.returncode}: {stderr.strip()[-500:]}")
        parts = sorted(parts_dir.glob("runs-*.parquet"))
        import pyarrow.parquet as pq

        sizes_runs = [pq.read_metadata(p).num_rows for p in parts]
        merged = pq.read_metadata(out / "runs.parquet")
        running = [s for s in samples if s[4] > 0 and not s[5]]  # after the first part, before the merge
        merge = [s for s in samples if s[5]]
        kind = "Latin hypercube of 3 keys" if args.lhs else "seeds of the baseline"
        print(f"sweep: {args.runs:,} runs ({kind}), {args.workers} local workers, sampled every {args.every} s "
              f"({len(samples)} samples)")
        print(f"wall time {wall:.1f} s ({merged.num_rows / wall:.0f} runs/s, start-up and merge included); "
              f"{merged.num_rows:,} rows in runs.parquet, {merged.num_row_groups} row groups, "
              f"{(out / 'runs.parquet').stat().st_size / MIB:.1f} MiB")
        print(f"part files: {len(parts)} (runs per part: {min(sizes_runs):,}–{max(sizes_runs):,}; "
              f"{sum(p.stat().st_size for p in parts) / MIB:.1f} MiB in all)")
        for label, col in (("parent", 1), ("largest worker", 2), ("all processes", 3)):
            series = [s[col] / MIB for s in running] or [s[col] / MIB for s in samples]
            peak = max(s[col] for s in samples) / MIB
            print(f"RSS {label:>14}: peak {peak:7.1f} MiB, median {statistics.median(series):7.1f} MiB while "
                  f"running; 2nd quarter {quarter_median(series, 2):7.1f}, last quarter "
                  f"{quarter_median(series, 4):7.1f} MiB")
        if merge:
            print(f"RSS parent during the merge: peak {max(s[1] for s in merge) / MIB:.1f} MiB "
                  f"({len(merge)} samples)")
        print(stdout.strip())
        print(f"load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on "
              f"{os.cpu_count()} cores (other work on a shared machine slows the sweep)")


if __name__ == "__main__":
    main()
