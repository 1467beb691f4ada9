"""Solvers against the papers' worked examples, and each solver's output against its checker."""

import numpy as np
import pytest
from hypothesis import given
from oracles import spe_by_brute_force
from strategies import unit_discounts

from negotiation.solvers import bargaining as eq


@pytest.mark.parametrize(("d1", "d2", "expected"), [(0.8, 0.8, 0.5556), (0.95, 0.9, 0.6897)])
def test_rubinstein_examples_from_facts(d1, d2, expected):
    assert eq.rubinstein_share(d1, d2) == pytest.approx(expected, abs=5e-5)


@given(unit_discounts, unit_discounts)
def test_rubinstein_solution_passes_the_spe_checker(d1, d2):
    assert eq.is_spe(eq.rubinstein_share(d1, d2), d1, d2, tol=1e-9)


@given(unit_discounts, unit_discounts)
def test_rubinstein_share_is_a_share_and_first_mover_gains_with_equal_patience(d1, d2):
    x = eq.rubinstein_share(d1, d2)
    assert 0.0 <= x <= 1.0
    d = min(d1, d2)
    assert eq.rubinstein_share(d, d) >= 0.5


@given(unit_discounts, unit_discounts)
def test_more_patient_responder_gets_more(d1, d2):
    # raising the responder's patience lowers the proposer's share
    hi = min(d2 + 0.0005, 0.9995)
    assert eq.rubinstein_share(d1, hi) <= eq.rubinstein_share(d1, d2) + 1e-12


def test_stahl_converges_to_rubinstein_and_differs_with_a_short_deadline():
    assert eq.stahl_share(0.95, 0.9, 4000) == pytest.approx(eq.rubinstein_share(0.95, 0.9), abs=1e-9)
    assert abs(eq.stahl_share(0.95, 0.9, 3) - eq.rubinstein_share(0.95, 0.9)) > 0.05
    # one round is an ultimatum: the proposer takes all
    assert eq.stahl_share(0.95, 0.9, 1) == 1.0


def test_stahl_matches_backward_induction_on_a_linear_frontier():
    u = np.linspace(0, 1, 101)
    for rounds in (1, 2, 3, 7, 20):
        out = eq.spe_on_frontier(u, 1 - u, (0.0, 0.0), (0.9, 0.7), rounds)
        assert out.u1 == pytest.approx(eq.stahl_share(0.9, 0.7, rounds), abs=1e-9)


def test_nash_linear_split_example():
    assert eq.nash_split(1.0, 0.2, 0.1, 0.5) == pytest.approx(0.55)


def test_nash_and_ks_on_the_quadratic_frontier_from_facts():
    u1 = np.linspace(0, 1, 200001)
    u2 = 1 - u1**2
    i = eq.nash_solution(u1, u2, (0.0, 0.0))
    assert u1[i] == pytest.approx(0.577350, abs=1e-4)
    assert u2[i] == pytest.approx(0.666667, abs=1e-4)
    assert eq.is_nash_solution((u1[i], u2[i]), u1, u2, (0.0, 0.0))
    ks = eq.kalai_smorodinsky(u1, u2, (0.0, 0.0))
    assert ks == pytest.approx((0.618034, 0.618034), abs=1e-4)
    assert eq.is_kalai_smorodinsky(ks, u1, u2, (0.0, 0.0))
    assert eq.is_pareto_optimal(ks, u1, u2, tol=1e-4)


def test_nash_with_power_moves_toward_the_stronger_side():
    u1 = np.linspace(0, 1, 10001)
    u2 = 1 - u1
    weak = u1[eq.nash_solution(u1, u2, (0.0, 0.0), power=0.3)]
    strong = u1[eq.nash_solution(u1, u2, (0.0, 0.0), power=0.7)]
    assert weak == pytest.approx(0.3, abs=1e-3) and strong == pytest.approx(0.7, abs=1e-3)


def test_pareto_frontier_points_pass_the_checker_and_dominated_ones_fail():
    rng = np.random.default_rng(1)
    u1, u2 = rng.random(500), rng.random(500)
    f = eq.pareto_frontier(u1, u2)
    assert all(eq.is_pareto_optimal((u1[i], u2[i]), u1, u2, tol=0.0) for i in f)
    others = np.setdiff1d(np.arange(500), f)
    assert not any(eq.is_pareto_optimal((u1[i], u2[i]), u1, u2, tol=0.0) for i in others[:50]
                   if np.any((u1 > u1[i]) & (u2 > u2[i])))


def test_solver_rejects_bad_inputs():
    with pytest.raises(ValueError):
        eq.rubinstein_share(1.0, 0.5)
    with pytest.raises(ValueError):
        eq.nash_split(0.1, 0.2, 0.1)


# --- piecewise-linear frontiers: exact Nash and K–S (terms along segments), dated SPE, breakdown risk ---------

from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _dense(u1, u2, n=4001):
    """Many points along a polyline (for the checkers, which compare against a sample)."""
    t = np.linspace(0, len(u1) - 1, n)
    return np.interp(t, np.arange(len(u1)), u1), np.interp(t, np.arange(len(u2)), u2)


def test_nash_on_a_flat_frontier_is_inside_a_segment_not_at_a_vertex():
    """A straight frontier with a vertex kept by float noise: the vertex-only search picks the wrong point."""
    u1, u2 = np.array([0.0, 0.3, 1.0]), np.array([1.0, 0.7, 0.0])  # collinear: one segment in fact
    i, lam, a, b = eq.nash_on_polyline(u1, u2, (0.0, 0.0))
    assert (a, b) == pytest.approx((0.5, 0.5))
    assert 0.0 < lam < 1.0  # interpolated along a segment
    assert eq.is_nash_solution((a, b), *_dense(u1, u2), (0.0, 0.0))
    assert eq.nash_solution(u1, u2, (0.0, 0.0)) in (1, 2) and u1[eq.nash_solution(u1, u2, (0.0, 0.0))] != 0.5


def test_ks_on_a_flat_frontier_solves_the_ray_exactly():
    u1, u2 = np.array([0.0, 0.2, 1.0]), np.array([1.0, 0.8, 0.0])
    i, lam, a, b = eq.ks_on_polyline(u1, u2, (0.0, 0.0))
    assert (a, b) == pytest.approx((0.5, 0.5))
    assert eq.is_kalai_smorodinsky((a, b), *_dense(u1, u2), (0.0, 0.0), tol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=2, max_size=6), st.floats(0.0, 0.3), st.floats(0.0, 0.3),
       st.floats(0.1, 0.9))
def test_polyline_nash_and_ks_pass_their_checkers_on_any_concave_frontier(slopes, d1, d2, power):
    # a concave decreasing frontier from steps with decreasing slopes (u1 ascending, u2 descending)
    steps = sorted(slopes, reverse=True)
    u1 = np.concatenate(([0.0], np.cumsum(np.full(len(steps), 1.0 / len(steps)))))
    u2 = 1.0 - np.concatenate(([0.0], np.cumsum(np.array(steps[::-1]) / len(steps))))
    found = eq.nash_on_polyline(u1, u2, (d1, d2), power)
    if found is not None:
        _, _, a, b = found
        assert eq.is_nash_solution((a, b), *_dense(u1, u2), (d1, d2), power=power, tol=1e-7)
    ks = eq.ks_on_polyline(u1, u2, (d1, d2))
    if ks is not None:
        a1, a2 = eq.clip_polyline(u1, u2, (d1, d2))[:2]
        assert eq.is_kalai_smorodinsky(ks[2:], *_dense(a1, a2), (d1, d2), tol=1e-3)  # the checker samples


@pytest.mark.parametrize("rounds", [1, 2, 3, 7, 20, 201])
def test_dated_frontiers_reproduce_stahl_with_stationary_discounting(rounds):
    u = np.array([0.0, 1.0])
    dated = [(u * 0.9 ** k, (1 - u) * 0.7 ** k) for k in range(rounds)]  # δ_1 = 0.9, δ_2 = 0.7 per round
    out = eq.spe_on_dated_frontiers(dated, (0.0, 0.0))
    assert out[0] == 1 and out[3] == pytest.approx(eq.stahl_share(0.9, 0.7, rounds), abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.01, 0.3))
def test_breakdown_risk_alone_splits_toward_nash(q):
    """Binmore, Rubinstein & Wolinsky (1986): no discounting, a refusal ends the talks with probability q.

    Stationary SPE: the proposer keeps x, the responder gets (1 − q)·x, so x = 1/(2 − q): → ½ (the Nash
    split) as q → 0 (with q = 0 and no discounting the last proposer takes all, however far away).
    """
    u = np.array([0.0, 1.0])
    out = eq.spe_on_dated_frontiers([(u, 1 - u)] * 4001, (0.0, 0.0), survival=1.0 - q)
    assert out[3] == pytest.approx(1.0 / (2.0 - q), abs=1e-6)


def test_a_proposer_who_gains_by_waiting_delays_the_equilibrium_agreement():
    u = np.array([0.0, 1.0])
    rounds = [(u * 0.1, (1 - u) * 0.1), (u, 1 - u)]  # round 1's pie is a tenth of round 2's: nobody offers in 1
    out = eq.spe_on_dated_frontiers(rounds, (0.0, 0.0))
    assert out[0] == 2 and out[3] == pytest.approx(0.0) and out[4] == pytest.approx(1.0)  # player 2 takes all


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(0.1, 2.0), st.floats(0.1, 2.0)), min_size=1, max_size=6),
       st.floats(-0.5, 0.5), st.floats(-0.5, 0.5), st.sampled_from([0, 1]), st.floats(0.5, 1.0))
def test_dated_spe_agrees_with_brute_force_backward_induction(rounds, d1, d2, first, survival):
    """Each round's frontier is a segment from (a, a + h2) to (a + h1, a): the responder's value of waiting may
    lie below what even the proposer's best point gives it, and then the responder's value is that point's."""
    frontiers = [(np.array([a, a + h1]), np.array([a + h2, a])) for a, h1, h2 in rounds]
    out = eq.spe_on_dated_frontiers(frontiers, (d1, d2), first=first, survival=survival)
    agreed, values, _ = spe_by_brute_force(frontiers, (d1, d2), first, survival)
    if out is None:
        assert agreed is None
    else:
        assert out[0] == agreed and out[3] == pytest.approx(values[0], abs=1e-9) and out[4] == pytest.approx(
            values[1], abs=2e-3)
