"""Runs per second and peak memory of one negotiation: the reduced (Rubinstein) case and the baseline.

Prints medians over repeats (the machine is shared and noisy). Usage: uv run python benchmarks/bench_run.py
"""

import statistics
import time
import tracemalloc
from pathlib import Path

import negotiation.model as model_module
from negotiation.model import NegotiationModel
from negotiation.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "rubinstein (2 actors, 2000-round deadline)": (ROOT / "runs/scenarios/rubinstein.toml", []),
    "baseline (5 actors, incomplete info)": (ROOT / "runs/baseline.toml", []),
    "baseline, complete info": (ROOT / "runs/baseline.toml", ["protocol.information=complete"]),
}


def one_run(spec, seed, solve):
    if solve:
        model_module._SOLUTIONS.clear()  # time a fresh solve (the model caches it per scenario)
    model = NegotiationModel(spec, rng=seed, collect_data=False)
    model.run(solve=solve)


for name, (path, sets) in CASES.items():
    spec = load_scenario(path, sets)
    for solve in (False, True):
        times = []
        for rep in range(5):
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.5:
                one_run(spec, rep * 1000 + n, solve)
                n += 1
            times.append((time.perf_counter() - t0) / n)
        tracemalloc.start()
        one_run(spec, 0, solve)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        med = statistics.median(times)
        label = "run + solve" if solve else "run only"
        print(f"{name:45s} {label:12s} {med * 1e3:8.2f} ms/run  {1 / med:8.1f} runs/s  peak {peak / 2**20:6.2f} MiB")
