"""The ranges `runs/baseline.toml` claims for its assumptions are the model's: checked at both ends.

Each ASSUMPTION comment says "holds A–B" (or "holds ≥ A"): with that key alone moved to A or B, others at
baseline, seed 0, the talks agree and the deal's structure comes out — the US share before recoup in Japan's
band 0.45–0.55, after recoup in the US's band 0.85–0.95 (README, "Where the result holds"; how far the tariff
rates move over each range is tabled there too). A comment that drifts from the model fails here.
"""

import re
from pathlib import Path

import pytest

from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario, value_at

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "runs" / "baseline.toml"
BEFORE, AFTER = (0.45, 0.55), (0.85, 0.95)


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
            "deal.relief_life_years", "protocol.round_months", "protocol.breakdown_hazard_per_year",
            "agents.us.post_term_weight", "agents.japan.claim_retraction_cost_usd_bn"} <= keys


@pytest.mark.parametrize(("key", "value"), claimed_ranges(), ids=lambda v: str(v))
def test_the_structure_holds_at_each_end_of_a_claimed_range(key, value):
    current = value_at(load_scenario(BASELINE), key)
    if isinstance(current, int) and not isinstance(current, bool):
        value = int(value)
    model = NegotiationModel(load_scenario(BASELINE, [f"{key}={value}"]), rng=0, collect_data=False)
    result = model.run(solve=False)
    assert result.agreed, f"{key}={value}: no agreement"
    p = result.package
    assert BEFORE[0] <= p.us_share_before_recoup <= BEFORE[1], (key, value, p)
    assert AFTER[0] <= p.us_profit_share <= AFTER[1], (key, value, p)
