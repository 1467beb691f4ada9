"""The deal's economics: time and its weights, deployment, recoup dates, the portfolio, and tariffs per good."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from negotiation.economics import Clock, Goods, Portfolio, ProjectClass, TradeTerms, annuity, recoup_years


@given(st.floats(0.0, 0.2), st.floats(0.0, 20.0), st.floats(0.0, 20.0))
def test_annuity_is_additive_over_adjacent_windows_and_vectorises(r, a, b):
    lo, hi = min(a, b), max(a, b)
    mid = 0.5 * (lo + hi)
    assert annuity(r, lo, hi) == pytest.approx(annuity(r, lo, mid) + annuity(r, mid, hi), rel=1e-9, abs=1e-12)
    assert annuity(r, hi, lo) == 0.0 or hi == lo
    assert np.allclose(annuity(r, np.array([lo, mid]), hi), [annuity(r, lo, hi), annuity(r, mid, hi)])


def _weighted(r, big_t, w):
    return lambda u: math.exp(-r * u) * (1.0 if u < big_t else w)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.15), st.floats(0.0, 6.0), st.floats(0.0, 1.0), st.floats(0.0, 10.0), st.floats(0.0, 10.0))
def test_a_clock_is_the_integral_of_its_weighted_discount(r, big_t, w, a, b):
    """Ψ(b) − Ψ(a) = ∫ e^(−r·u)·ω(u) du, ω = 1 before the term's end and w after (checked by quadrature)."""
    lo, hi = min(a, b), max(a, b)
    clock = Clock(r, big_t, w)
    expected = integrate.quad(_weighted(r, big_t, w), lo, hi, points=[big_t] if lo < big_t < hi else None)[0]
    assert float(clock.flow(lo, hi)) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert float(Clock(r).flow(lo, hi)) == pytest.approx(float(annuity(r, lo, hi)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("r", "big_t", "w", "t", "deadline", "a", "b"), [
    (0.043, 3.78, 0.4, 0.2, 3.78, 3.0, 10.0), (0.043, 3.78, 0.4, 0.2, 3.78, 4.0, 29.0),
    (0.0, 2.0, 0.5, 1.0, 2.0, 0.5, 3.0), (0.05, math.inf, 1.0, 0.0, 3.78, 4.0, 26.0),
    (0.043, 3.78, 0.0, 3.78, 3.78, 1.0, 2.0)])
def test_what_is_deployed_evenly_is_valued_averaged_over_its_deployment_dates(r, big_t, w, t, deadline, a, b):
    clock, f = Clock(r, big_t, w), _weighted(r, big_t, w)
    if deadline - t > 1e-9:
        flow = integrate.quad(lambda d: integrate.quad(f, d + a, d + b, points=[big_t])[0], t, deadline)[0]
        flow /= deadline - t
        point = integrate.quad(lambda d: f(d + a), t, deadline, points=[big_t - a])[0] / (deadline - t)
    else:  # nothing left of the window: deployed at once
        flow, point = integrate.quad(f, t + a, t + b, points=[big_t])[0], f(t + a)
    assert float(clock.deployed_flow(t, deadline, a, b)) == pytest.approx(flow, rel=1e-8)
    assert float(clock.deployed_point(t, deadline, a)) == pytest.approx(point, rel=1e-8)


def test_what_follows_the_term_weighs_less_the_lower_its_weight():
    values = [float(Clock(0.043, 3.78, w).flow(0.0, 20.0)) for w in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]
    assert values[0] == pytest.approx(float(annuity(0.043, 0.0, 3.78)))


@given(st.floats(0.05, 0.5), st.floats(0.0, 0.1))
def test_recoup_repays_principal_and_interest_exactly(y, i):
    tau = float(recoup_years(0.5, y, i, 2.0, 200.0))
    if tau < 200.0:
        paid = 0.5 * y * annuity(i, 2.0, tau)
        assert paid == pytest.approx(1.0, rel=1e-9)
    else:  # by the end of the life, what was paid has not yet repaid principal and interest
        assert 0.5 * y * annuity(i, 2.0, 200.0) <= 1.0 + 1e-9


def _portfolio(y=0.09, two_phase=True):
    return Portfolio((ProjectClass(y, 4.0, 25.0, 0.07, 0.3), ProjectClass(0.25, 3.0, 15.0, 0.1, 0.3)), (0.7, 0.3),
                     0.05, two_phase)


def test_the_recoup_date_moves_with_the_share_before_recoup():
    p = _portfolio(0.25)
    dates = [p.recoup_after_deployment(q)[0] for q in (0.0, 0.3, 0.6)]
    assert dates[0] < dates[1] < dates[2]  # the less the principal keeps, the later it recoups
    assert float(p.recoup_after_deployment(0.99)[0]) == p.classes[0].end_years  # … or never


def test_realistic_energy_yields_never_recoup_at_a_half_share_and_rich_ones_do():
    p = _portfolio(0.09)
    assert p.never_recoups(0.5) == pytest.approx(0.7)
    assert _portfolio(0.25).never_recoups(0.5) == 0.0


@pytest.mark.parametrize("q", [0.0, 0.5, 0.9])
def test_the_two_sides_parts_and_the_recoveries_add_up_to_the_whole(q):
    p, clock = _portfolio(0.25), Clock(0.03)
    v = p.values(clock, np.array([0.0, 1.0]), 3.0, q)
    for s in (0.0, 0.9, 1.0):
        whole = v.before + v.after + v.recovery - v.equity
        assert np.allclose(v.counterpart(q, s) + v.principal(q, s), whole)


def test_a_plain_clock_values_every_date_as_the_deployment_value_times_a_deployed_dollar():
    """The shortcut for a clock without a term (every flow dated from its deployment) equals the direct sum."""
    p, clock = _portfolio(0.25), Clock(0.046)
    t, q = np.linspace(0.0, 3.7, 5)[:, None], np.linspace(0.0, 1.0, 6)[None, :]
    quick, direct = p.values(clock, t, 3.78, q), p.values(clock, t, 3.78, q, _direct=True)
    for a, b in zip((quick.before, quick.after, quick.recovery, quick.equity),
                    (direct.before, direct.after, direct.recovery, direct.equity), strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


def _trade(**kw):
    goods = (Goods("autos", 49.0, 0.275, 0.275, 0.8), Goods("other", 95.9, 0.10, 0.25, 0.1))
    args = dict(goods=goods, floor_rate=0.10, threat_effective_years=0.3, regime_end_years=3.8,
                trade_elasticity=0.76, exporters_margin=0.1)
    args.update(kw)
    return TradeTerms(**args)


@given(st.floats(0.01, 0.99), st.floats(0.1, 3.0), st.floats(0.0, 0.5))
def test_the_counterparts_best_tariff_is_the_optimal_tariff_in_closed_form(theta, eps, omega):
    """With ω = 0, U(τ) = V·[θ·τ − ½·ε·(1 − θ)(1 + θ)·τ²] peaks at τ* = θ/(ε(1 − θ)(1 + θ)); with ω, at
    (θ + ω(1 − θ))/(ε(1 − θ)(2(θ + ω(1 − θ)) + 1 − θ))."""
    trade = _trade(trade_elasticity=eps)
    g = Goods("g", 100.0, 0.0, 1.0, theta)
    a, b = trade.counterpart_gain(g, omega)
    tau = np.linspace(0.0, 5.0, 200_001)
    best = float(tau[np.argmax(a * tau + b * tau * tau)])
    weight = theta + omega * (1 - theta)
    assert best == pytest.approx(min(weight / (eps * (1 - theta) * (2 * weight + 1 - theta)), 5.0), abs=1e-4)
    a0, b0 = trade.counterpart_gain(g, 0.0)
    assert -a0 / (2 * b0) == pytest.approx(theta / (eps * (1 - theta) * (1 + theta)))


def test_the_counterparts_gain_is_the_duty_on_the_volume_kept_less_the_harberger_triangle():
    trade, g = _trade(), _trade().goods[1]
    tau, v, theta, eps = 0.25, g.exports_usd_bn_per_year, g.exporters_share_of_duty, trade.trade_elasticity
    wedge = (1 - theta) * tau  # the rise in the domestic price
    kept = v * (1 - eps * wedge)  # the volume that still trades
    triangle = 0.5 * wedge * eps * wedge * v
    assert trade.deadweight_loss_usd_bn_per_year(g, tau) == pytest.approx(triangle)
    a, b = trade.counterpart_gain(g, 0.0)
    assert a * tau + b * tau * tau == pytest.approx(theta * tau * kept - triangle)


@given(st.floats(0.01, 0.99), st.floats(0.0, 3.0), st.floats(0.0, 0.6))
def test_both_sides_lose_together_exactly_the_harberger_triangle(theta, eps, tau):
    """Linear supply and demand: the counterpart's gain less the principal's loss is −½·τ·ΔQ, ΔQ = ε(1 − θ)τV
    (the consumers' and the producers' triangles; the duty itself is a transfer between them)."""
    trade = _trade(trade_elasticity=eps, exporters_margin=0.0)
    g = Goods("g", 100.0, 0.0, 1.0, theta)
    a_us, b_us = trade.counterpart_gain(g, 0.0)
    a_loss, b_loss = trade.principal_loss(g)
    lost_volume = eps * (1 - theta) * tau * g.exports_usd_bn_per_year
    joint = (a_us * tau + b_us * tau * tau) - (a_loss * tau + b_loss * tau * tau)
    assert joint == pytest.approx(-0.5 * tau * lost_volume, rel=1e-9, abs=1e-9)


def test_the_exporters_loss_is_their_producer_surplus_under_a_linear_supply_curve():
    """Supply whose price falls θ·τ while the volume falls ε(1 − θ)·τ·V: the surplus lost is the trapezoid
    between the two prices, to the left of the supply curve; a margin m adds m per $ of volume lost."""
    for m in (0.0, 0.1):
        trade = _trade(exporters_margin=m)
        for g in trade.goods:
            tau, v, theta = 0.2, g.exports_usd_bn_per_year, g.exporters_share_of_duty
            price_cut, kept = theta * tau, v * (1 - trade.trade_elasticity * (1 - theta) * tau)
            trapezoid = price_cut * (kept + v) / 2  # ∫ supply from the new price to the old
            expected = trapezoid + m * (v - kept)
            assert trade.principal_loss_usd_bn_per_year(g, tau) == pytest.approx(expected, rel=1e-12)


def test_relief_on_goods_whose_duty_us_buyers_pay_costs_the_counterpart_least():
    """Per unit of the principal's gain, cutting the rate on other goods (θ = 0.1) costs the US far less than
    on cars (θ = 0.8): its buyers pay most of the first duty, and its Harberger triangle shrinks."""
    trade = _trade()
    ratios = []
    for g in trade.goods:
        a, b = trade.counterpart_gain(g, 0.0)
        a_loss, b_loss = trade.principal_loss(g)
        us_cost, japan_gain = a + 2.0 * b * 0.12, a_loss + 2.0 * b_loss * 0.12  # at 12%
        ratios.append(japan_gain / us_cost)
    assert ratios[1] > 3.0 * ratios[0] > 0


def test_a_group_already_at_the_floor_is_not_bargained_and_rates_map_back():
    trade = _trade(goods=(Goods("autos", 49.0, 0.275, 0.275, 0.8), Goods("drugs", 20.0, 0.0, 0.0, 0.5),
                          Goods("other", 95.9, 0.10, 0.25, 0.1)))
    assert [g.name for g in trade.bargained] == ["autos", "other"]
    assert trade.rates((0.15, 0.15)) == [0.15, 0.0, 0.15]  # exempt stays exempt
    assert trade.rates(None) == [0.275, 0.0, 0.25]
    total = 49.0 + 20.0 + 95.9
    assert trade.all_in_rate((0.15, 0.15)) == pytest.approx((49.0 + 95.9) * 0.15 / total)
    assert trade.duty_relief_usd_bn_per_year((0.15, 0.15)) == pytest.approx(49.0 * 0.125 + 95.9 * 0.10)


def test_the_deals_rates_replace_the_threat_from_its_date_or_signing_whichever_is_later():
    trade, clock = _trade(), Clock(0.0)
    assert float(trade.relief_window(clock, 0.0)) == pytest.approx(3.8 - 0.3)
    assert float(trade.relief_window(clock, 1.0)) == pytest.approx(3.8 - 1.0)
    assert float(trade.relief_window(clock, 5.0)) == 0.0
