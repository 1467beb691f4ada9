"""The baseline over many seeds, a counterfactual beside it, and the solved equilibrium of each.

Run it from anywhere: ``uv run python docs/example.py``. docs/CONTRACT.md lists every field of a result.
"""

from pathlib import Path

from negotiation.distribution import summarise  # the same median and 95% interval as `chipdeal run --replicates`
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "runs" / "baseline.toml"
COUNTERFACTUAL = ["deal.threat_rate=0.35"]  # any --set KEY=VALUE strings (chipdeal keys lists the keys)


def describe(title, spec, seeds):
    """Run ``spec`` once per seed; print the agreement rate, the outcomes' spread and the equilibrium."""
    results = [NegotiationModel(spec, rng=seed).run() for seed in range(seeds)]
    agreed = [r for r in results if r.agreed]
    print(f"== {title} ==\n{len(agreed)} of {seeds} seeds agreed")
    if not agreed:
        return None
    shares = summarise([r.us_profit_share for r in agreed])  # a fraction in [0, 1]
    tariffs = summarise([r.measures["agreed_tariff_rate"] for r in agreed])  # the agreed all-in rate
    print(f"US share of profits after recoup: median {shares['median']:.3f}, "
          f"95% interval [{shares['p2_5']:.3f}, {shares['p97_5']:.3f}]")
    print(f"agreed tariff rate: median {tariffs['median']:.1%}, "
          f"95% interval [{tariffs['p2_5']:.1%}, {tariffs['p97_5']:.1%}]")
    eq = results[0].equilibrium  # solved from the outside: the same for every seed
    if eq.spe is not None:
        print(f"equilibrium ({eq.concept}): US share {eq.spe.us_profit_share:.3f}, tariff "
              f"{eq.spe_tariff_rate:.1%}, relief ${eq.spe.tariff_relief_usd_bn_per_year:.1f}bn a year")
    return tariffs["median"]


def main(seeds=20):
    """Describe the baseline and the counterfactual over ``seeds`` seeds each, then compare their tariffs."""
    base = describe("Baseline", load_scenario(BASELINE), seeds)
    other = describe(f"Counterfactual: {', '.join(COUNTERFACTUAL)}", load_scenario(BASELINE, COUNTERFACTUAL),
                     seeds)
    print("== Comparison ==")
    if base is None or other is None:
        print("no comparison: one scenario never agreed")
    else:
        print(f"median agreed tariff {base:.1%} -> {other:.1%} ({(other - base) * 100:+.1f} points)")


if __name__ == "__main__":
    main()
