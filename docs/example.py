"""The baseline over many seeds, a counterfactual beside it, and the solved equilibrium of each.

Run it from anywhere: ``uv run python docs/example.py``. docs/CONTRACT.md lists every field of a result.
"""

from pathlib import Path

from negotiation.distribution import summarise  # the same median and 95% interval as `chipdeal run --replicates`
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "runs" / "baseline.toml"
COUNTERFACTUAL = ["agents.japan.claim_retraction_cost_usd_bn=0"]  # Japan may take back its public 50:50 freely
# (any --set KEY=VALUE strings: chipdeal keys lists the keys)


def spread(values, percent=False):
    """``median m, 95% interval [a, b]`` of a list of numbers (shares as fractions, rates as percentages)."""
    s = summarise(values)
    shown = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3f}")
    return f"median {shown(s['median'])}, 95% interval [{shown(s['p2_5'])}, {shown(s['p97_5'])}]"


def describe(title, spec, seeds):
    """Run ``spec`` once per seed; print the agreement rate, the terms' spread and the equilibrium."""
    results = [NegotiationModel(spec, rng=seed).run() for seed in range(seeds)]
    agreed = [r for r in results if r.agreed]
    print(f"== {title} ==\n{len(agreed)} of {seeds} seeds agreed")
    if not agreed:
        return None
    # a package: the US share before the principal recoups and after (fractions), and a rate on each group of goods
    print(f"US share of profits before recoup: {spread([r.us_share_before_recoup for r in agreed])}")
    print(f"US share of profits after recoup: {spread([r.us_profit_share for r in agreed])}")
    for group in agreed[0].terms.tariff_rates:  # every group of goods (those a deal cannot change at their rate)
        print(f"tariff rate on {group}: {spread([r.terms.tariff_rates[group] for r in agreed], percent=True)}")
    all_in = [r.measures["agreed_tariff_rate"] for r in agreed]  # the export-weighted average of the groups' rates
    print(f"agreed tariff rate (all-in): {spread(all_in, percent=True)}")
    spe = results[0].equilibrium.spe  # solved from the outside: the same for every seed
    if spe is not None:
        rates = ", ".join(f"{group} {rate:.1%}" for group, rate in spe.tariff_rates.items())
        print(f"equilibrium ({results[0].equilibrium.concept}): US {spe.us_share_before_recoup:.2f} before recoup, "
              f"{spe.us_profit_share:.2f} after; {rates} (all-in {spe.tariff_rate:.1%}), relief "
              f"${spe.tariff_relief_usd_bn_per_year:.1f}bn a year")
    return summarise(all_in)["median"]


def main(seeds=20):
    """Describe the baseline and the counterfactual over ``seeds`` seeds each, then compare their tariffs."""
    base = describe("Baseline", load_scenario(BASELINE), seeds)
    other = describe(f"Counterfactual: {', '.join(COUNTERFACTUAL)}", load_scenario(BASELINE, COUNTERFACTUAL),
                     seeds)
    print("== Comparison ==")
    if base is None or other is None:
        print("no comparison: one scenario never agreed")
    else:
        print(f"median agreed tariff (all-in) {base:.1%} -> {other:.1%} ({(other - base) * 100:+.1f} points)")


if __name__ == "__main__":
    main()
