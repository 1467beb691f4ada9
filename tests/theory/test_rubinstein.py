"""The reduced case: two governments, a unit surplus, complete information, the US first (DESIGN.md)."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import discounts

from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario
from negotiation.solvers.bargaining import is_spe, rubinstein_share

RUBINSTEIN = Path(__file__).resolve().parents[2] / "runs" / "scenarios" / "rubinstein.toml"


def simulate(d_us, d_japan, first="us"):
    spec = load_scenario(RUBINSTEIN, [f"agents.us.discount={d_us}", f"agents.japan.discount={d_japan}",
                                      f'protocol.first_proposer="{first}"'])
    return NegotiationModel(spec, rng=0, collect_data=False).run()


@settings(max_examples=25, deadline=None)  # ≈ 0.2 s an example (a 2,000-round plan)
@given(discounts, discounts)
def test_simulated_split_is_rubinsteins_for_any_patience(d_us, d_japan):
    result = simulate(d_us, d_japan)
    assert result.agreed and result.steps == 1  # immediate agreement, as in the SPE
    share = result.package.us_profit_share
    assert share == pytest.approx(rubinstein_share(d_us, d_japan), abs=0.01)
    assert is_spe(share, d_us, d_japan, tol=0.01)


@settings(max_examples=10, deadline=None)  # three runs an example
@given(discounts, discounts)
def test_the_more_patient_side_gets_more(d_us, d_japan):
    base = simulate(d_us, d_japan).package.us_profit_share
    more_patient_us = simulate(min(d_us + 0.005, 0.995), d_japan).package.us_profit_share
    more_patient_japan = simulate(d_us, min(d_japan + 0.005, 0.995)).package.us_profit_share
    assert more_patient_us >= base - 1e-9
    assert more_patient_japan <= base + 1e-9


def test_equal_patience_near_one_splits_evenly_and_japan_first_mirrors():
    assert simulate(0.99, 0.99).package.us_profit_share == pytest.approx(0.5, abs=0.01)
    us_first = simulate(0.9, 0.8).package.us_profit_share
    japan_first = simulate(0.8, 0.9, first="japan").package.us_profit_share
    assert 1 - japan_first == pytest.approx(us_first, abs=1e-6)
