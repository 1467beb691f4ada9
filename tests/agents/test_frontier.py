"""The frontier seam against its oracle: the exact box frontier equals the frontier of a fine grid of packages."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from oracles import spe_by_brute_force

from agents.frontier import Frontier, box_frontier, grid_frontier, plane_chain
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

coef = st.one_of(st.just(0.0), st.floats(-50.0, -1e-3), st.floats(1e-3, 50.0))  # no float-noise slopes
unit = st.floats(0.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(st.tuples(coef, coef, coef), st.tuples(coef, coef, coef), unit, unit, unit, unit)
def test_box_frontier_is_the_grid_frontier(own, opp, a, b, c, d):
    box = (min(a, b), max(a, b), min(c, d), max(c, d))
    exact, grid = box_frontier(own, opp, box), grid_frontier(own, opp, box, points=41)
    assert 1 <= len(exact.own_values) <= 4  # a chain of the box's corners (three, but for float-collinear ones)
    scale = 1.0 + max(abs(v) for v in (*own, *opp))
    # every grid package is weakly below the exact frontier, and the exact ends are grid points
    for u_opp, u_own in zip(grid.opponent_values, grid.own_values, strict=True):
        located = exact.locate(u_opp)
        assert located is not None and located[0] >= u_own - 1e-9 * scale
    assert exact.opponent_values[0] == np.float64(grid.opponent_values[0]) or abs(
        exact.opponent_values[0] - grid.opponent_values[0]) <= 1e-9 * scale
    assert abs(exact.opponent_values[-1] - grid.opponent_values[-1]) <= 1e-9 * scale


def test_frontier_locate_and_package_interpolate_along_segments():
    f = Frontier([0.0, 1.0], [1.0, 0.0], [0.9, 0.9], [0.0, 1.0])
    value, i, w = f.locate(0.25)
    assert (value, i, w) == (0.75, 0, 0.25)
    assert f.package_at(i, w).relief_fraction == 0.25
    assert f.best_for_own(2.0) is None
    assert f.reversed().opponent_values == [1.0, 0.0][::-1] or f.reversed().own_values == [0.0, 1.0]


@settings(max_examples=50, deadline=None)
@given(points=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40))
def test_frontier_from_points_is_from_grid_on_lists(points):
    """The list twin of Frontier.from_grid keeps the same packages in the same order, ties included."""
    own = [float(a) for a, _ in points]
    opp = [float(b) for _, b in points]  # small integers: many ties and collinear points
    tags = [float(i) for i in range(len(points))]
    a = Frontier.from_points(own, opp, tags, tags)
    b = Frontier.from_grid(np.array(own), np.array(opp), np.array(tags), np.array(tags))
    assert a.share_values == b.share_values and a.own_values == b.own_values
    assert np.all(np.diff(a.opponent_utility) > 0) and np.all(np.diff(a.own_utility) < 0)


@settings(max_examples=300, deadline=None)
@given(st.tuples(coef, coef, coef), st.tuples(coef, coef, coef), unit, unit, unit, unit)
def test_the_plane_chain_is_the_general_corner_chain(own, opp, a, b, c, d):
    from agents.frontier import corner_chain_general, corner_values, plane_chain

    box = (min(a, b), max(a, b), min(c, d), max(c, d))
    o, p = corner_values([own], box)[0], corner_values([opp], box)[0]
    fast, general = plane_chain(own, opp, box), corner_chain_general(o, p)
    scale = 1.0 + max(abs(v) for v in (*own, *opp))
    # the same frontier: the same ends, and every vertex of one on the other (degenerate corners may differ)
    f1 = Frontier(fast[0], fast[1], fast[0], fast[0])
    f2 = Frontier(general[0], general[1], general[0], general[0])
    for f, g in ((f1, f2), (f2, f1)):
        for x, y in zip(f.opponent_values, f.own_values, strict=True):
            located = g.locate(x)
            assert located is not None and abs(located[0] - y) <= 1e-9 * scale


@settings(max_examples=300, deadline=None)
@given(st.tuples(coef, coef, coef), st.tuples(coef, coef, coef), st.floats(0.9, 1.0), st.floats(0.9, 1.0),
       st.floats(-1.0, 1.0), st.floats(-1.0, 1.0))
# two cases hypothesis found where the responder's value lies within ACCEPT_TOLERANCE of the frontier's end
@example((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0, 0.9375, 1.0, -5.960464477539063e-08)
@example((0.0, 0.0, 1.0), (0.0, 0.0, -1.0), 1.0, 0.9375, 0.0, 0.0)
def test_a_governments_plan_is_backward_induction_on_its_dated_frontiers(own, opp, decay_own, decay_opp, c_own, c_opp):
    """The plan's value of round 1 equals brute-force backward induction on the same dated frontiers: where even
    the proposer's best package gives the responder more than its value of waiting, the responder gets that."""
    m = NegotiationModel(load_scenario(Path(__file__).resolve().parents[2] / "runs" / "baseline.toml",
                                       ["protocol.information=complete"]), rng=0, collect_data=False)
    gov = m.counterpart
    d_own, d_opp = gov.preferences.disagreement, gov.opponent_preferences.disagreement
    box = (0.2, 0.8, 0.0, 1.0)
    rounds = m.max_rounds
    gov._own_planes = [(d_own + (c_own + own[0]) * decay_own**k, own[1] * decay_own**k, own[2] * decay_own**k)
                       for k in range(rounds)]
    gov._opponent_planes = [(d_opp + (c_opp + opp[0]) * decay_opp**k, opp[1] * decay_opp**k,
                             opp[2] * decay_opp**k) for k in range(rounds)]
    gov.box = lambda: box
    gov._forget()
    plan = gov.plan()
    frontiers = []
    for k in range(rounds):
        xs, ys, _ = plane_chain(gov._own_planes[k], gov._opponent_planes[k], box)
        frontiers.append((np.array(ys[::-1]), np.array(xs[::-1])))  # (own, opponent), own ascending
    first = 0 if m.proposer_in(1) == gov.key else 1
    _, _, values = spe_by_brute_force(frontiers, (d_own, d_opp), first, m.survival)
    assert plan[1] == pytest.approx(values[0], abs=1e-7 * (1 + max(map(abs, (*own, *opp, c_own, c_opp)))))
