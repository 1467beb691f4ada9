"""Print the "found" column of README's comparative statics table from the current code.

The SPE rows solve the game (complete information, seed 0) at both ends of one input, as
tests/model/test_baseline.py does; the collapse rows run the agents over seeds 0–(N − 1) at both ends: the
expected collapse rate is the mean over seeds of 1 − π^(T − 1), T the round the talks surviving every draw
agree in (no draw noise), and the drawn rate the share of drawn runs that collapse.

Usage: uv run python scripts/readme_statics.py [--seeds N]
"""

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario_files import load_scenario  # noqa: E402

SEEDS = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 200
BASELINE = ROOT / "runs" / "baseline.toml"
SPE_ROWS = [  # (key, low, high)
    ("agents.us.onshore_value_per_usd", 0.06, 0.10),
    ("agents.us.discount_rate_per_year", 0.03, 0.06),
    ("agents.japan.discount_rate_per_year", 0.03, 0.06),
    ("agents.us.post_term_weight", 0.0, 1.0),
    ("agents.japan.claim_us_share", 0.4, 0.6),
    ("agents.us.claim_us_share", 0.8, 0.96),
    ("agents.us.buyers_duty_weight", 0.0, 0.3),
    ("deal.floor_rate", 0.08, 0.12),
    ("deal.threat_rate", 0.15, 0.35),
    ("deal.goods.autos.exporters_share_of_duty", 0.6, 1.0),
    ("protocol.breakdown_hazard_per_year", 0.0, 2.0),
    ("deal.relief_life_years", 2.0, 10.0),
]
COLLAPSE_ROWS = [
    ("protocol.breakdown_hazard_per_year", 0.25, 2.0),
    ("deal.talks_deadline_years", 0.2, 0.6),
    ("protocol.belief_noise", 0.1, 0.4),
]


def spe(key, value):
    model = NegotiationModel(load_scenario(BASELINE, ["protocol.information=complete", f"{key}={value}"]), rng=0,
                             collect_data=False)
    p = model.solve().spe
    if p is None:
        return "no deal"
    cars, other = p.tariff_rates
    return (f"q {p.us_share_before_recoup:.2f}, s {p.us_profit_share:.2f}, cars {cars:.1%}, other {other:.1%}, "
            f"all-in {model.trade.all_in_rate(p.tariff_rates):.1%}, US {model.solve().spe_utilities[0]:.1f} $bn")


def collapses(key, value):
    kept = load_scenario(BASELINE, [f"{key}={value}", 'protocol.breakdown="conditioned"'])
    drawn = load_scenario(BASELINE, [f"{key}={value}"])
    expected, hits = [], 0
    for seed in range(SEEDS):
        m = NegotiationModel(kept, rng=seed, collect_data=False)
        m.run(solve=False)
        expected.append(1.0 - m.survival ** (m.agreement_round - 1) if m.outcome == "agreement" else 0.0)
        d = NegotiationModel(drawn, rng=seed, collect_data=False)
        d.run(solve=False)
        hits += d.outcome == "collapse"
    return f"expected {statistics.fmean(expected):.1%}, drawn {hits / SEEDS:.1%}"


def main() -> None:
    print("SPE (complete information, seed 0):")
    for key, low, high in SPE_ROWS:
        print(f"  {key} {low:g}: {spe(key, low)}\n  {key} {high:g}: {spe(key, high)}", flush=True)
    print(f"collapses (seeds 0–{SEEDS - 1}):")
    for key, low, high in COLLAPSE_ROWS:
        print(f"  {key} {low:g} → {high:g}: {collapses(key, low)} → {collapses(key, high)}", flush=True)


if __name__ == "__main__":
    main()
