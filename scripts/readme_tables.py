"""Print the README's result tables from the current code (medians over seeds): counterfactual scenarios and
one assumption at a time over its stated range.

Usage: uv run python scripts/readme_tables.py [--seeds N]
"""

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from model.test_baseline_ranges import claimed_ranges  # noqa: E402

from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario_files import load_scenario, value_at  # noqa: E402

SEEDS = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 10
BASELINE = ROOT / "runs" / "baseline.toml"


def medians(path, sets=()):
    spec = load_scenario(path, list(sets))
    results = [NegotiationModel(spec, rng=s, collect_data=False).run(solve=s == 0) for s in range(SEEDS)]
    ok = [r for r in results if r.agreed]
    eq = results[0].equilibrium

    def med(measure):
        values = [v for v in (measure(r) for r in ok) if v is not None]
        return statistics.median(values) if values else None

    spe = eq.spe if eq else None
    return {"agreed": len(ok) / len(results), "q": med(lambda r: r.us_share_before_recoup),
            "s": med(lambda r: r.us_profit_share), "autos": med(lambda r: r.measures.get("tariff_rate_autos")),
            "other": med(lambda r: r.measures.get("tariff_rate_other")),
            "tariff": med(lambda r: r.measures.get("agreed_tariff_rate")),
            "value": med(lambda r: r.measures.get("relief_value_to_principal_usd_bn_per_year")),
            "round": med(lambda r: r.steps),
            "spe": None if spe is None else f"{spe.us_share_before_recoup:.2f} / {spe.us_profit_share:.2f}, "
                                            f"{spe.tariff_rate:.1%}"}


def fmt(v, f):
    return "—" if v is None else format(v, f)


print(f"### Counterfactuals (medians over {SEEDS} seeds; agreed: the runs whose talks did not collapse)\n")
print("| scenario | agreed | US share before / after recoup | cars | other goods | all-in | "
      "value to Japan $bn/yr | round | SPE (before / after, all-in) |")
print("|---|---|---|---|---|---|---|---|---|")
for path in [BASELINE, *sorted((ROOT / "runs" / "scenarios").glob("*.toml"))]:
    if path.stem == "rubinstein":
        continue
    m = medians(path)
    print(f"| `{path.stem}` | {m['agreed']:.0%} | {fmt(m['q'], '.2f')} / {fmt(m['s'], '.2f')} | "
          f"{fmt(m['autos'], '.1%')} | {fmt(m['other'], '.1%')} | {fmt(m['tariff'], '.1%')} | "
          f"{fmt(m['value'], '.1f')} | {fmt(m['round'], '.0f')} | {m['spe'] or '—'} |")

print("\n### One assumption at a time over its stated range (seed 0 with the talks surviving, others at baseline)\n")
print("| key | at the low end: before / after, cars, other | at the high end |")
print("|---|---|---|")
ends: dict[str, list[float]] = {}
for key, value in claimed_ranges():
    ends.setdefault(key, []).append(value)
base = load_scenario(BASELINE)
for key, values in ends.items():
    cells = []
    for value in values:
        if isinstance(value_at(base, key), int) and not isinstance(value_at(base, key), bool):
            value = int(value)
        sets = [f"{key}={value}", 'protocol.breakdown="conditioned"']  # the terms struck, the talks surviving
        r = NegotiationModel(load_scenario(BASELINE, sets), rng=0, collect_data=False).run(solve=False)
        cells.append(f"{value:g}: " + (f"{r.us_share_before_recoup:.2f} / {r.us_profit_share:.2f}, "
                                        f"{r.measures['tariff_rate_autos']:.1%}, {r.measures['tariff_rate_other']:.1%}"
                                        if r.agreed else "no deal"))
    print(f"| `{key}` | {' | '.join(cells)} |")
