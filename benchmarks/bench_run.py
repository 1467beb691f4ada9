"""Runs per second and peak memory of one negotiation: the reduced (Rubinstein) case and the baseline.

Prints, per case, medians over 5 repeats of 0.5 s (the machine is shared and noisy):
  * run only — the agents' run, the scenario's equilibrium already solved (a sweep's replicates, the page);
  * solve only (fresh scenario) — the exact, independent solve alone (``solve_package_game(model.game())``),
    as for a scenario never solved before (the model's cache of solutions is not used);
  * run + solve — a run of a scenario never seen before (the per-scenario cache cleared: economics, values
    and the equilibrium computed afresh).

Usage: uv run python benchmarks/bench_run.py
"""

import statistics
import time
import tracemalloc
from pathlib import Path

import negotiation.model as model_module
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario
from negotiation.solvers.package_game import solve_package_game

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "rubinstein (2 actors, 2000-round deadline)": (ROOT / "runs/scenarios/rubinstein.toml", []),
    "baseline (5 actors, incomplete info)": (ROOT / "runs/baseline.toml", []),
    "baseline, complete info": (ROOT / "runs/baseline.toml", ["protocol.information=complete"]),
}
MODES = ("run only", "solve only (fresh scenario)", "run + solve")


def one(spec, seed, mode):
    """One timed unit of ``mode``; returns the seconds it took."""
    if mode == "solve only (fresh scenario)":
        model = NegotiationModel(spec, rng=seed, collect_data=False)
        t0 = time.perf_counter()
        solve_package_game(model.game())
        return time.perf_counter() - t0
    t0 = time.perf_counter()
    if mode == "run + solve":
        model_module._DERIVED.clear()  # a fresh scenario: its economics, values and solution computed anew
    NegotiationModel(spec, rng=seed, collect_data=False).run(solve=mode == "run + solve")
    return time.perf_counter() - t0


for name, (path, sets) in CASES.items():
    spec = load_scenario(path, sets)
    for mode in MODES:
        times = []
        for rep in range(5):
            n, spent, t0 = 0, 0.0, time.perf_counter()
            while time.perf_counter() - t0 < 0.5:
                spent += one(spec, rep * 1000 + n, mode)
                n += 1
            times.append(spent / n)
        tracemalloc.start()
        one(spec, 0, mode)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        med = statistics.median(times)
        print(f"{name:45s} {mode:28s} {med * 1e3:8.2f} ms  {1 / med:8.1f} /s  peak {peak / 2**20:6.2f} MiB")
