"""Print the README's result tables from the current code (medians over seeds): counterfactual scenarios,
one assumption at a time over its stated range, and the calibrated value's dependence on the assumptions.

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
    results = [NegotiationModel(spec, rng=s, collect_data=False).run() for s in range(SEEDS)]
    ok = [r for r in results if r.agreed]
    eq = results[0].equilibrium

    def med(measure):
        return statistics.median(measure(r) for r in ok) if ok else None

    return {"agreed": len(ok) / len(results), "share": med(lambda r: r.us_profit_share),
            "tariff": med(lambda r: r.measures.get("agreed_tariff_rate")),
            "duty": med(lambda r: r.tariff_relief_usd_bn_per_year),
            "value": med(lambda r: r.measures.get("relief_value_to_principal_usd_bn_per_year")),
            "round": med(lambda r: r.steps),
            "spe_share": eq.spe.us_profit_share if eq.spe else None, "spe_tariff": eq.spe_tariff_rate}


def fmt(v, f):
    return "—" if v is None else format(v, f)


print(f"### Counterfactuals (medians over {SEEDS} seeds)\n")
print("| scenario | agreed | US share | tariff | duty relief $bn/yr | value to Japan $bn/yr | round "
      "| SPE share | SPE tariff |")
print("|---|---|---|---|---|---|---|---|---|")
for path in [BASELINE, *sorted((ROOT / "runs" / "scenarios").glob("*.toml"))]:
    if path.stem == "rubinstein":
        continue
    m = medians(path)
    print(f"| `{path.stem}` | {m['agreed']:.0%} | {fmt(m['share'], '.3f')} | {fmt(m['tariff'], '.1%')} | "
          f"{fmt(m['duty'], '.1f')} | {fmt(m['value'], '.1f')} | {fmt(m['round'], '.0f')} | "
          f"{fmt(m['spe_share'], '.3f')} | {fmt(m['spe_tariff'], '.1%')} |")

print("\n### One assumption at a time over its stated range (seed 0, others at baseline)\n")
print("| key | at the low end: share, tariff | at the high end: share, tariff |")
print("|---|---|---|")
ends = {}
for key, value in claimed_ranges():
    ends.setdefault(key, []).append(value)
base = load_scenario(BASELINE)
for key, values in ends.items():
    cells = []
    for value in values:
        if isinstance(value_at(base, key), int) and not isinstance(value_at(base, key), bool):
            value = int(value)
        r = NegotiationModel(load_scenario(BASELINE, [f"{key}={value}"]), rng=0, collect_data=False).run(solve=False)
        cells.append(f"{value:g}: " + (f"{r.us_profit_share:.2f}, {r.measures['agreed_tariff_rate']:.1%}" if r.agreed
                                        else "no deal"))
    print(f"| `{key}` | {' | '.join(cells)} |")
