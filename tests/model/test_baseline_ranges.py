"""The ranges `runs/baseline.toml` claims for its assumptions are the model's: checked at both ends.

Each ASSUMPTION comment says "holds A–B" (or "holds ≥ A"): with that key alone moved to A or B, others at
baseline, seed 0, the talks agree and the US share after recoup stays in the target band 0.85–0.95 (README,
"Where the result holds"; how far the calibrated tariff moves over each range is tabled there too). A
comment that drifts from the model fails here.
"""

import re
from pathlib import Path

import pytest

from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario, value_at

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "runs" / "baseline.toml"
BAND = (0.85, 0.95)


def claimed_ranges() -> list[tuple[str, float]]:
    """(dotted key, end of its claimed range) for every "holds" comment of the baseline."""
    ends, table = [], None
    for line in BASELINE.read_text().splitlines():
        header = re.match(r"\[(.+)\]", line)
        if header:
            table = header.group(1)
            continue
        claim = re.match(r"(\w+)\s*=.*#.*\bholds (?:([0-9.]+)\s*–\s*([0-9.]+)|≥ ([0-9.]+))", line)
        if claim and table:
            key = f"{table}.{claim.group(1)}"
            ends += [(key, float(v)) for v in claim.group(2, 3, 4) if v is not None]
    return ends


def test_the_baseline_states_its_ranges():
    keys = {k for k, _ in claimed_ranges()}
    assert len(keys) >= 20  # the free assumptions and the uncertain facts each say where the result holds
    assert {"deal.projects.energy.cash_yield_per_year", "agents.jbic.required_margin_per_year",
            "deal.relief_life_years", "protocol.round_months", "protocol.breakdown_hazard_per_year"} <= keys


@pytest.mark.parametrize(("key", "value"), claimed_ranges(), ids=lambda v: str(v))
def test_the_share_stays_in_the_band_at_each_end_of_a_claimed_range(key, value):
    current = value_at(load_scenario(BASELINE), key)
    if isinstance(current, int) and not isinstance(current, bool):
        value = int(value)
    model = NegotiationModel(load_scenario(BASELINE, [f"{key}={value}"]), rng=0, collect_data=False)
    result = model.run(solve=False)
    assert result.agreed, f"{key}={value}: no agreement"
    assert BAND[0] <= result.package.us_profit_share <= BAND[1], (key, value, result.package.us_profit_share)
