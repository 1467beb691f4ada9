"""Capital calls under an annual cap (``deal.capital_call_*``; ``negotiation.economics.CapitalCalls``).

The rule: C $bn of cash called at most K $bn a year is deployed evenly over [t, E(t)], E(t) = max(H, t + C/K),
so a dollar of it signed at t is worth D_K(t) = (Ψ(E(t)) − Ψ(t))/(E(t) − t); on a plain clock at rate r with
the cap binding, e^(−r·t)·(1 − e^(−r·C/K))/(r·C/K). The rest of the package is deployed evenly to H.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import BASELINE, ROOT

from negotiation.economics import CapitalCalls, Clock
from negotiation.inputs import ScenarioError
from negotiation.issues import Package
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

KOREA = ROOT / "runs" / "scenarios" / "korea.toml"
ROUNDS = np.array([0.0, 7 / 24, 1.0, 3.0])  # signing dates (years): rounds 1 and 8, a year, three years


def closed_form(rate: float, t: float, years: float) -> float:
    """e^(−r·t)·(1 − e^(−r·L))/(r·L): a dollar deployed evenly over L years from t, on a plain clock."""
    return math.exp(-rate * t) * (1.0 - math.exp(-rate * years)) / (rate * years)


def model_with(*sets: str, path=BASELINE) -> NegotiationModel:
    return NegotiationModel(load_scenario(path, list(sets)), rng=0, collect_data=False)


def test_a_binding_cap_deploys_the_cash_at_the_cap_and_the_pv_is_the_closed_form():
    calls, clock, h = CapitalCalls(200.0, 20.0), Clock(0.039), 3.78
    for t in ROUNDS:
        capped = float(clock.deployed_point(t, calls.end(t, h)))
        assert capped == pytest.approx(closed_form(0.039, t, 10.0), rel=1e-12)
        assert capped < float(clock.deployed_point(t, h))  # ten years at the cap, not H − t: later, worth less
    # a cap that does not bind (C/K below H − t) leaves the even deployment to H
    assert float(CapitalCalls(20.0, 20.0).end(0.0, h)) == h


def test_the_principals_equity_and_the_us_investment_follow_the_capped_schedule():
    """The rule in the model: remove it (D(t) to H for everything) and both sides' values move off the closed form."""
    m = model_with("deal.capital_call_cap_usd_bn_per_year=55")  # the baseline's $550bn at $55bn a year: 10 years
    us, japan = m.counterpart.preferences, m.principal.preferences
    v, fund, equity = us.onshore_value_per_usd, m.fund_usd_bn, m.equity_usd_bn
    t = ROUNDS
    # the principal pays its equity as called: E·D_K(t) on its plain clock (values.equity is per $ of equity)
    paid = japan.profit_values(t, 0.5).equity[:, 0]
    np.testing.assert_allclose(paid, [closed_form(0.046, x, 10.0) for x in t], rtol=1e-12)
    # the US values the package as deployed: v·F·D_F(t) with C = F (its clock weighs what follows its term by w)
    clock = us.clock
    expected = [v * fund * (clock.psi(x + 10.0) - clock.psi(x)) / 10.0 for x in t]
    no_share = np.zeros(1)
    fixed = us.fixed_part(no_share, no_share, t)[:, 0]
    profits = equity * us.profit_values(t, no_share).counterpart(0.0, 0.0)[:, 0]
    claim = us.claim_cost(no_share, no_share)[0] * clock.point(t)
    np.testing.assert_allclose(fixed - profits + claim, expected, rtol=1e-12)


def test_without_the_keys_the_baseline_is_unchanged_and_the_keys_validate():
    plain = model_with()
    assert plain.portfolio.calls is None
    loose = model_with("deal.capital_call_cap_usd_bn_per_year=1000")  # C/K = 0.55 years: never binds before H − t
    package = Package(0.5, 0.9, (0.15, 0.10))
    for t in (0.0, 0.29, 3.0):
        for a, b in ((plain.counterpart, loose.counterpart), (plain.principal, loose.principal)):
            assert b.preferences.utility(package, t) == pytest.approx(a.preferences.utility(package, t), rel=1e-12)
    with pytest.raises(ScenarioError, match="needs deal.capital_call_cap_usd_bn_per_year"):
        load_scenario(BASELINE, ["deal.capital_call_cash_usd_bn=100"])
    with pytest.raises(ScenarioError, match="above deal.fund_usd_bn"):
        load_scenario(BASELINE, ["deal.capital_call_cap_usd_bn_per_year=20", "deal.capital_call_cash_usd_bn=600"])
    with pytest.raises(ScenarioError, match="below the equity"):
        load_scenario(BASELINE, ["deal.capital_call_cap_usd_bn_per_year=20", "deal.capital_call_cash_usd_bn=5"])
    with pytest.raises(ScenarioError, match="greater than 0"):
        load_scenario(BASELINE, ["deal.capital_call_cap_usd_bn_per_year=0"])


def test_a_tighter_cap_lowers_the_us_gain_from_any_package_and_raises_the_rate_on_cars_in_the_spe():
    """Comparative static, sign written before running (2026-12-08).

    Predicted: on the baseline with the whole $550bn called under a cap K, a tighter cap (K from 1000, which
    never binds, to 110 and 55 $bn a year: 5 and 10 years) (a) lowers the US's utility of the same package
    signed at the same date, strictly (its v·F·D_F(t) falls; nothing else it values moves), and (b) raises,
    weakly, the solved equilibrium's rate on cars: the US gains less from a deal and concedes less relief,
    while Japan, whose equity pays back less than it costs (W < 1), loses less from paying it later.
    """
    package = Package(0.5, 0.9, (0.15, 0.10))
    caps = (1000, 110, 55)
    models = [model_with(f"deal.capital_call_cap_usd_bn_per_year={k}", "protocol.information=complete")
              for k in caps]
    us_values = [m.counterpart.preferences.utility(package, 7 / 24) for m in models]
    assert us_values[0] > us_values[1] > us_values[2]
    cars = [m.solve().spe.tariff_rates[0] for m in models]
    assert cars[0] <= cars[1] + 1e-9 and cars[1] <= cars[2] + 1e-9
    assert cars[2] > cars[0]


def test_korea_is_written_with_the_cap_and_validates():
    spec = load_scenario(KOREA)
    calls = spec.deal.capital_calls()
    assert calls is not None and calls.years_at_cap == pytest.approx(10.0)
