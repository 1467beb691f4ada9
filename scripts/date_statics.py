"""Print README's table "What the date rests on": the date, collapses and the tariff over seeds, one input at a time.

Each row moves one input of the baseline (the sign expected was written in README before the runs); each cell
is over seeds 0–(N − 1) with the breakdown hazard drawn: the share of runs that agree and that collapse, the
agreement round (median and 95% interval over the runs that agree, with its date), the mean round, the median
rate on cars and how many agreed runs keep 0.5 before recoup.

Usage: uv run python scripts/date_statics.py [--seeds N]
"""

import datetime
import statistics
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario_files import load_scenario  # noqa: E402

SEEDS = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 200
START = datetime.date(2025, 4, 9)  # the talks' start (runs/baseline.toml)
ROWS = [
    ("baseline", ()),
    ("belief noise 0", ("protocol.belief_noise=0",)),
    ("belief noise 0.1", ("protocol.belief_noise=0.1",)),
    ("belief noise 0.3", ("protocol.belief_noise=0.3",)),
    ("belief noise 0.45", ("protocol.belief_noise=0.45",)),
    ("hazard 0", ("protocol.breakdown_hazard_per_year=0",)),
    ("hazard 1", ("protocol.breakdown_hazard_per_year=1",)),
    ("hazard 2", ("protocol.breakdown_hazard_per_year=2",)),
    ("threat from 0.2 years", ("deal.talks_deadline_years=0.2",)),
    ("threat from 0.6 years", ("deal.talks_deadline_years=0.6",)),
    ("relief's life 2.5 years", ("deal.relief_life_years=2.5",)),
    ("relief's life 10 years", ("deal.relief_life_years=10",)),
    ("round of 0.25 months", ("protocol.round_months=0.25",)),
    ("round of 1 month", ("protocol.round_months=1",)),
    ("5 type points", ("protocol.type_points=5",)),
    ("answer noise 0.01", ("protocol.answer_noise=0.01",)),
    ("answer noise 0.2", ("protocol.answer_noise=0.2",)),
    ("concession clock", ("protocol.concession=clock",)),
]


def row(sets: tuple[str, ...]) -> str:
    spec = load_scenario(ROOT / "runs" / "baseline.toml", list(sets))
    months = spec.protocol.round_months
    rounds, cars, fifty, outcomes = [], [], 0, {"agreement": 0, "collapse": 0, "breakdown": 0, "unsignable": 0}
    for seed in range(SEEDS):
        m = NegotiationModel(spec, rng=seed, collect_data=False)
        m.run(solve=False)
        outcomes[m.outcome] = outcomes.get(m.outcome, 0) + 1
        if m.outcome == "agreement":
            rounds.append(m.agreement_round)
            cars.append(m.agreement.tariff_rates[0])
            fifty += abs(m.agreement.us_share_before_recoup - 0.5) < 1e-9
    if not rounds:
        return f"{outcomes['agreement']} | {outcomes['collapse']} | — | — | — | —"
    median = statistics.median_low(rounds)
    low, high = (int(x) for x in np.percentile(rounds, [2.5, 97.5], method="inverted_cdf"))
    date = START + datetime.timedelta(days=round((median - 1) * months * 365.25 / 12))
    return (f"{outcomes['agreement']} | {outcomes['collapse']} | {median} [{low}, {high}] ({date:%d %b}) | "
            f"{statistics.fmean(rounds):.1f} | {100 * statistics.median(cars):.1f}% | {fifty} of {len(rounds)}")


def main() -> None:
    print(f"| input (baseline = runs/baseline.toml) | agree | collapse | round: median [95%] (date) | mean round "
          f"| cars | 0.5 before recoup |   (seeds 0–{SEEDS - 1})")
    print("|---|---|---|---|---|---|---|")
    for name, sets in tqdm(ROWS, desc="rows", unit="row", file=sys.stderr):
        print(f"| {name} | {row(sets)} |", flush=True)


if __name__ == "__main__":
    main()
