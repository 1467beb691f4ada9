"""The geometry behind a government's plan: the chain of share options and continuous terms, against its oracle.

Random small games (a few share options with any values, two continuous terms concave for one side and linear
for the other, as the tariffs are) are solved by the chain and by the plain definition on a fine grid
(:func:`agents.frontier.grid_best`); the package the chain names is re-valued exactly and must give what the
chain says.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.frontier import SEGMENTS, Values, along, best_for_other, best_for_own, build_chain, grid_best, ideal
from negotiation.issues import ContinuousTerm, PackageTerms


def game(draw_values):
    options, a_own, b_own, a_other, lows, highs = draw_values
    k = 1
    terms = PackageTerms(np.linspace(0, 1, len(options)), np.linspace(0, 1, len(options)),
                         tuple(ContinuousTerm(f"g{c}", lo, hi)
                               for c, (lo, hi) in enumerate(zip(lows, highs, strict=True))))
    own = Values(np.array([[o[0] for o in options]]), np.array([a_own]), np.array([b_own]))
    other = Values(np.array([[o[1] for o in options]]), np.array([a_other]), np.zeros((k, len(a_other))))
    return terms, own, other


values_strategy = st.tuples(
    st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=6),
    st.lists(st.floats(-20, 20), min_size=2, max_size=2),  # own: a·x …
    st.lists(st.floats(-60, 0), min_size=2, max_size=2),  # … + b·x², concave
    st.lists(st.floats(-40, -1), min_size=2, max_size=2),  # other: linear, wants the rates low
    st.just([0.10, 0.10]), st.just([0.275, 0.25]))


def exact(values, option, xs):
    return values.at(0, option, xs)


@settings(max_examples=60, deadline=None)
@given(values_strategy, st.floats(0.0, 1.0))
def test_the_chain_finds_the_oracles_best_package_and_names_a_real_one(drawn, where):
    terms, own, other = game(drawn)
    chain = build_chain(own, other, terms)
    lo = float(other.options[0].min()) - 10.0
    hi = (float(other.options[0].max() + chain.cum_other[0, -1])
          + float((chain.other_base[0] - other.options[0]).max()))
    v = lo + where * (hi - lo)
    found = best_for_own(chain, 0, v)
    oracle = grid_best(own, other, terms, 0, v, points=201)
    if found is None:
        assert oracle is None or oracle < -1e9
        return
    value, other_value, option, gain = found
    xs = chain.continuous_at(0, gain)
    # the package is real: it gives the other at least v, and own at least what the chain said
    assert exact(other, option, xs) >= v - 1e-7
    assert exact(own, option, xs) >= value - 1e-7
    # and it is as good as the grid's best, up to the chain's chords (SEGMENTS steps a term) and the grid's step
    bound = sum(abs(b) * ((hi_ - lo_) / SEGMENTS) ** 2 / 4
                for b, lo_, hi_ in zip(own.b[0], (0.10, 0.10), (0.275, 0.25), strict=True))
    assert oracle is not None and value >= oracle - bound - 1e-2 * (1 + abs(oracle)) * 0.01


@settings(max_examples=40, deadline=None)
@given(values_strategy, st.floats(0.0, 1.0))
def test_the_reverse_question_is_answered_on_the_same_chain(drawn, where):
    terms, own, other = game(drawn)
    chain = build_chain(own, other, terms)
    base_own = chain.own_base[0]
    v = float(base_own.min() + chain.cum_own[0, -1] + where * (base_own.max() - base_own.min() - chain.cum_own[0, -1]))
    found = best_for_other(chain, 0, v)
    if found is None:
        return
    own_value, other_value, option, gain = found
    xs = chain.continuous_at(0, gain)
    assert exact(own, option, xs) >= v - 1e-7
    assert exact(other, option, xs) == pytest.approx(other_value, abs=1e-7)


def test_ideal_is_the_vertex_of_a_concave_quadratic_or_an_end():
    a, b = np.array([[1.0, -1.0, 0.2, 0.0]]), np.array([[0.0, 0.0, -1.0, 0.0]])
    got = ideal(a, b, np.full((1, 4), 0.0), np.full((1, 4), 1.0))
    assert got[0, :3].tolist() == [1.0, 0.0, 0.1] and np.isnan(got[0, 3])


def test_along_takes_the_first_or_last_point_of_a_flat_stretch():
    xp, fp = np.array([0.0, 1.0, 1.0, 2.0]), np.array([5.0, 4.0, 3.0, 2.0])
    assert along(xp, fp, np.array([1.0])).tolist() == [4.0]
    assert along(xp, fp, np.array([1.0]), last=True).tolist() == [3.0]
    assert along(xp, fp, np.array([-1.0, 9.0])).tolist() == [5.0, 2.0]


def test_near_ties_go_to_the_option_better_for_the_other_then_the_first():
    """Options equal for own within TIE: the one better for the other side wins, whatever the last ulp says."""
    terms = PackageTerms(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0]), ())
    own = Values(np.array([[1.0, 1.0 + 1e-13, 1.0 - 1e-13]]), np.zeros((1, 0)), np.zeros((1, 0)))
    other = Values(np.array([[0.0, 0.0, 1.0]]), np.zeros((1, 0)), np.zeros((1, 0)))
    chain = build_chain(own, other, terms)
    assert best_for_own(chain, 0, -1.0)[2] == 2
    other_flat = Values(np.array([[0.0, 0.0, 0.0]]), np.zeros((1, 0)), np.zeros((1, 0)))
    assert best_for_own(build_chain(own, other_flat, terms), 0, -1.0)[2] == 0


def test_on_the_baselines_own_terms_each_rate_is_conceded_in_order_and_the_chain_matches_the_oracle():
    """The real economics: within each group the cost of a point of relief rises as the rate falls (a concave
    frontier, nothing for the running maximum to repair), and the chain agrees with the grid's best."""
    from negotiation.model import NegotiationModel
    from negotiation.scenario_files import load_scenario

    m = NegotiationModel(load_scenario(None, ["protocol.information=complete"]), rng=0, collect_data=False)
    us = m.values_for(m.counterpart.preferences, own="us")
    japan = m.values_for(m.principal.preferences, own="japan")
    for k in (0, 10, 40):
        for c, term in enumerate(m.terms.continuous):
            lo, hi = ideal(japan.a[k:k + 1, c:c + 1], japan.b[k:k + 1, c:c + 1], np.array([[term.low]]),
                           np.array([[term.high]]))[0, 0], ideal(us.a[k:k + 1, c:c + 1], us.b[k:k + 1, c:c + 1],
                                                                  np.array([[term.low]]), np.array([[term.high]]))[0, 0]
            x = np.linspace(hi, lo, 50)
            u, j = us.a[k, c] * x + us.b[k, c] * x * x, japan.a[k, c] * x + japan.b[k, c] * x * x
            cost = -np.diff(u) / np.diff(j)
            assert (np.diff(cost) >= -1e-9).all(), (k, term.name)
    small = np.flatnonzero((m.terms.q == 0.5) | (m.terms.q == 0.9))
    terms = PackageTerms(m.terms.q[small], m.terms.s[small], m.terms.continuous)
    us_s = Values(us.options[:, small], us.a, us.b)
    japan_s = Values(japan.options[:, small], japan.a, japan.b)
    chain = build_chain(us_s, japan_s, terms)
    base = float(chain.other_base[0].max())  # Japan's best option with every rate at the US's ideal
    for v in (base + 5.0, base + 15.0):
        found = best_for_own(chain, 0, v)
        oracle = grid_best(us_s, japan_s, terms, 0, v, points=121)
        assert found is not None and oracle is not None
        assert oracle - 0.01 <= found[0] <= oracle + 0.15  # the grid's 121 points per rate leave it a step short
