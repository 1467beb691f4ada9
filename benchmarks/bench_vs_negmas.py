"""The same negotiation, many times, by our engine and by NegMAS's SAO, in one process.

The baseline's issue space (the pairs of US shares the lenders fund × a rate on each bargained group of goods,
at export-genius's default resolution) is exported to GENIUS XML and loaded
by NegMAS once; then each engine negotiates it repeatedly for about two seconds per repeat: our five-actor
model (incomplete information, a new seed each time, no equilibrium solve) and NegMAS's SAO with the
same strategy on both sides. Prints negotiations per second (medians of 5 repeats) and the ratio.

Usage: uv run python benchmarks/bench_vs_negmas.py
"""

import statistics
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=SyntaxWarning)

from negotiation.interop.genius import export  # noqa: E402
from negotiation.interop.negmas_bridge import PAIRS, load, negotiate  # noqa: E402
from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario_files import load_scenario  # noqa: E402

SECONDS = 2.0
REPEATS = 5


def rate(fn) -> tuple[float, float]:
    """Median negotiations per second over the repeats, and the mean rounds per negotiation."""
    rates, rounds, count = [], 0, 0
    for _ in range(REPEATS):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < SECONDS:
            rounds += fn(count)
            n += 1
            count += 1
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates), rounds / count


def main() -> None:
    spec = load_scenario("runs/baseline.toml")
    model = NegotiationModel(spec, rng=0)
    with tempfile.TemporaryDirectory() as tmp:
        export(model, tmp)
        scenario = load(tmp)

    def ours(seed: int) -> int:
        return NegotiationModel(spec, rng=seed, collect_data=False).run(solve=False).steps

    ours_rate, ours_rounds = rate(ours)
    print(f"chipdeal (5 actors, incomplete information): {ours_rate:8.1f} negotiations/s "
          f"({ours_rounds:.1f} rounds on average)")
    for strategy in PAIRS:
        neg_rate, neg_rounds = rate(lambda _n, s=strategy: negotiate(scenario, s, spec.deadline_rounds)["rounds"])
        print(f"NegMAS SAO, {strategy:<10} on both sides:    {neg_rate:8.1f} negotiations/s ({neg_rounds:.1f} rounds)"
              f"   ours/NegMAS = {ours_rate / neg_rate:5.1f}×   per round: ours/NegMAS = "
              f"{(ours_rate * ours_rounds) / (neg_rate * neg_rounds):5.1f}×")


if __name__ == "__main__":
    main()
