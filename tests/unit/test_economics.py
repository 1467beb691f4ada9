"""The deal's economics: present values, recoup dates, the project portfolio, and the tariff side."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negotiation.economics import Goods, Portfolio, ProfitStreams, TradeTerms, annuity, recoup_years


@given(st.floats(0.0, 0.2), st.floats(0.0, 20.0), st.floats(0.0, 20.0))
def test_annuity_is_additive_over_adjacent_windows_and_vectorises(r, a, b):
    lo, hi = min(a, b), max(a, b)
    mid = 0.5 * (lo + hi)
    assert annuity(r, lo, hi) == pytest.approx(annuity(r, lo, mid) + annuity(r, mid, hi), rel=1e-9, abs=1e-12)
    assert annuity(r, hi, lo) == 0.0 or hi == lo
    assert np.allclose(annuity(r, np.array([lo, mid]), hi), [annuity(r, lo, hi), annuity(r, mid, hi)])


@given(st.floats(0.05, 0.5), st.floats(0.0, 0.1))
def test_recoup_repays_principal_and_interest_exactly(y, i):
    tau = recoup_years(0.5, y, i, 2.0, 200.0)
    if tau < 200.0:
        paid = 0.5 * y * annuity(i, 2.0, tau)
        assert paid == pytest.approx(1.0, rel=1e-9)
    else:  # by the end of the life, what was paid has not yet repaid principal and interest
        assert 0.5 * y * annuity(i, 2.0, 200.0) <= 1.0 + 1e-9


def _portfolio(y=0.09, two_phase=True):
    classes = (ProfitStreams.of(y, 4.0, 25.0, 0.07, 0.3, two_phase, 0.5, 0.05),
               ProfitStreams.of(0.25, 3.0, 15.0, 0.1, 0.3, two_phase, 0.5, 0.05))
    return Portfolio(classes, (0.7, 0.3))


def test_each_side_values_its_own_part_and_the_parts_add_up():
    p = _portfolio()
    rate = 0.03
    us_phase1, after = p.us_values(rate)
    whole, after_p = p.principal_values(rate)
    total = sum(w * sum(c.phase_values(rate)) for w, c in zip(p.weights, p.classes, strict=True))
    recovery = sum(w * c.recovery_value(rate) for w, c in zip(p.weights, p.classes, strict=True))
    assert after == pytest.approx(after_p)
    for s in (0.0, 0.5, 0.9, 1.0):  # the counterpart's and the principal's parts split the whole stream
        assert (us_phase1 + s * after) + (whole - s * after) == pytest.approx(total + recovery)


def test_realistic_energy_yields_never_recoup_and_rich_ones_do():
    assert _portfolio(0.09).classes[0].recoup_years == _portfolio(0.09).classes[0].end_years
    rich = _portfolio(0.25).classes[0]
    assert rich.recoup_years < rich.end_years
    assert _portfolio(0.09).never_recoups() == pytest.approx(0.7)


def trade(**kw):
    goods = (Goods(49.0, 0.275, 0.275, 0.8), Goods(95.9, 0.10, 0.25, 0.1))
    args = dict(goods=goods, threat_rate=0.25, floor_rate=0.10, threat_effective_years=0.3, regime_end_years=3.8,
                trade_elasticity=0.76, exporters_margin=0.1)
    args.update(kw)
    return TradeTerms(**args)


def test_relief_is_worth_more_to_the_principal_than_it_costs_the_counterpart():
    """First-order trade theory: the exporters' share of the duty is a transfer, lost volume a deadweight loss."""
    t = trade()
    def full_relief(weights):
        return t.relief_value(weights, 0.02, 1.0, 0.0) - t.relief_value(weights, 0.02, 0.0, 0.0)

    gain, cost = full_relief(t.principal_cost_weights()), full_relief(t.counterpart_gain_weights(0.0))
    assert gain > cost > 0
    assert t.duty_relief_usd_bn_per_year(1.0) > t.principal_relief_usd_bn_per_year(1.0) > 0
    no_volume = trade(trade_elasticity=0.0)
    assert (no_volume.principal_cost_weights() == pytest.approx(no_volume.counterpart_gain_weights(0.0)))


def test_relief_value_is_linear_in_relief_and_shrinks_as_the_regime_runs_out():
    t, w = trade(), trade().principal_cost_weights()
    v = [t.relief_value(w, 0.02, x, 0.5) for x in (0.0, 0.5, 1.0)]
    assert v[1] - v[0] == pytest.approx(v[2] - v[1])
    later = [t.relief_value(w, 0.02, 1.0, d) - t.relief_value(w, 0.02, 0.0, d) for d in (0.0, 1.0, 3.0, 3.8)]
    assert all(a > b for a, b in zip(later, later[1:], strict=False)) and later[-1] == pytest.approx(0.0)


def test_agreed_rate_spans_threat_to_floor_and_the_deadline_switches_the_no_deal_rate():
    t = trade()
    assert float(t.rate(0.0)) == 0.25 and float(t.rate(1.0)) == pytest.approx(0.10)
    w = t.principal_cost_weights()
    before = t.relief_value(w, 0.0, 0.0, 0.0) - t.relief_value(w, 0.0, 0.0, 0.3)  # signed at 0 vs at the deadline
    # agreeing at 25% all-in before the deadline costs the principal on other goods (10% → 25%) and saves on cars
    assert before == pytest.approx(0.3 * (w[0] * (0.275 - 0.25) + w[1] * (0.10 - 0.25)))


def test_the_portfolio_memo_stays_bounded_and_never_changes_a_value():
    import negotiation.economics as economics

    portfolio = _portfolio()
    rates = [0.01 + 1e-6 * k for k in range(economics.MEMO_ENTRIES + 50)]
    first = [portfolio.us_values(r) + portfolio.principal_values(r) for r in rates[:10]]
    for r in rates:
        portfolio.us_values(r)
        portfolio.principal_values(r)
        portfolio.own_investment_value(r)
    assert len(portfolio._memo) <= economics.MEMO_ENTRIES
    assert [portfolio.us_values(r) + portfolio.principal_values(r) for r in rates[:10]] == first
