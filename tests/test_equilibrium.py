"""Solvers against the papers' worked examples, and each solver's output against its checker."""

import numpy as np
import pytest
from hypothesis import given
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
