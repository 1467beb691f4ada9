"""Check each "holds A–B" claim of runs/baseline.toml and, where an end fails, find how far toward the baseline
it holds: the test's rule (tests/model/test_baseline_ranges.py), bisected on the value.

Prints one line per end: the key, the claimed end, how many of seeds 0–9 keep the structure there, and for a
failing end the nearest value (to 2 significant digits) at which the rule holds. Use it to restate a claim
after a model change; the comment in runs/baseline.toml is then edited by hand, with the reason.

Usage: uv run python scripts/holds_ranges.py [KEY ...]
"""

import sys
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from model.test_baseline_ranges import AT_LEAST, BASELINE, SEEDS, claimed_ranges, in_structure  # noqa: E402

from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario_files import load_scenario, value_at  # noqa: E402


def held(key: str, value: float) -> tuple[int, bool]:
    """(seeds of 0–9 whose agreement keeps the structure, whether the solved equilibrium does) at key = value."""
    spec = load_scenario(BASELINE, [f"{key}={value}", 'protocol.breakdown="conditioned"'])
    models = [NegotiationModel(spec, rng=seed, collect_data=False) for seed in SEEDS]
    results = [m.run(solve=False) for m in models]
    return sum(r.agreed and in_structure(r.package) for r in results), in_structure(models[0].solve().spe)


def ok(key: str, value: float) -> bool:
    count, spe = held(key, value)
    return spe and count >= AT_LEAST


def main() -> None:
    wanted = set(sys.argv[1:])
    ends = [(k, v) for k, v in claimed_ranges() if not wanted or k in wanted]
    for key, end in tqdm(ends, desc="ends", file=sys.stderr):
        base = value_at(load_scenario(BASELINE), key)
        integer = isinstance(base, int) and not isinstance(base, bool)
        count, spe = held(key, int(end) if integer else end)
        line = f"{key} = {end:g}: {count} of {len(SEEDS)} seeds, equilibrium {'in' if spe else 'out'}"
        if not (spe and count >= AT_LEAST) and not integer:
            good, bad = float(base), float(end)
            for _ in range(8):
                mid = 0.5 * (good + bad)
                good, bad = (mid, bad) if ok(key, mid) else (good, mid)
            line += f"; holds to {good:.4g}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
