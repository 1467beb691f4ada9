"""Our negotiation metrics agree with NegMAS's own on the exported GENIUS domain, outcome by outcome.

NegMAS is a development dependency; without it these tests skip, except under CI (CI=true), where they fail.
"""

import os

import numpy as np
import pytest
from helpers import BASELINE

from negotiation.interop.genius import export
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario
from negotiation.solvers.bargaining import clip_polyline, concave_envelope, nash_on_polyline
from negotiation.solvers.metrics import advantage, frontier_distance, welfare

try:
    import negmas  # noqa: F401

    HAVE_NEGMAS = True
except ImportError:
    HAVE_NEGMAS = False
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("NegMAS is missing under CI (it is in the dev dependency group)", pytrace=False)

pytestmark = pytest.mark.skipif(not HAVE_NEGMAS, reason="NegMAS not installed (dev dependency)")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from negotiation.interop.negmas_bridge import load

    folder = tmp_path_factory.mktemp("genius")
    model = NegotiationModel(load_scenario(BASELINE), rng=0, collect_data=False)
    grid = export(model, folder, 6, 3)["grid"]  # a coarse grid: 6 shares (q × s), 3 rates on each group
    scenario = load(folder)
    outcomes = list(scenario.outcome_space.enumerate_or_sample())
    utils = np.array([[float(u(o)) for u in scenario.ufuns] for o in outcomes])
    return model, grid, scenario, outcomes, utils


def test_pareto_and_nash_distances_and_welfare_equal_negmas_on_the_export(exported):
    from negmas.preferences.ops import calc_outcome_distances, calc_scenario_stats

    _, _, scenario, outcomes, utils = exported
    # NegMAS's continuous frontier (the convex hull's, P∞): ours is the upper concave envelope of the outcomes
    stats = calc_scenario_stats(scenario.ufuns, convex_hull=True)
    d = tuple(float(u.reserved_value) for u in scenario.ufuns)
    hull = concave_envelope(utils[:, 0], utils[:, 1])
    u1, u2 = utils[hull, 0].tolist(), utils[hull, 1].tolist()
    fu, fj, _ = clip_polyline(np.array(u1), np.array(u2), d)
    nash = nash_on_polyline(fu, fj, d)
    picks = np.random.default_rng(0).choice(len(outcomes), 30, replace=False)
    for i in [*picks, int(np.argmax(utils.sum(axis=1)))]:  # and a point on the frontier
        p = (float(utils[i, 0]), float(utils[i, 1]))
        theirs = calc_outcome_distances(p, stats)
        assert frontier_distance(p, u1, u2) == pytest.approx(theirs.pareto_dist, abs=1e-9)
        assert float(np.hypot(p[0] - nash[2], p[1] - nash[3])) == pytest.approx(theirs.nash_dist, abs=1e-6)
        # NegMAS's welfare (stored as max_welfare) sums the raw utilities; ours sums the gains over no deal
        assert welfare([p[0] - d[0], p[1] - d[1]]) == pytest.approx(theirs.max_welfare - sum(d), abs=1e-12)


def test_the_models_advantage_equals_negmas_on_the_export(exported):
    from negmas.preferences.ops import calc_negotiator_metrics

    model, grid, scenario, outcomes, utils = exported
    ranges = [u.minmax() for u in scenario.ufuns]
    reserved = [float(u.reserved_value) for u in scenario.ufuns]
    us, japan, _ = model.solve_frontier(1)  # the export is valued at the talks' start: round 1's frontier, PV $bn
    best = (float(np.max(us)), float(np.max(japan)))
    # GENIUS holds a reservation value in [0, 1]: one below every exported outcome (the US gains from every
    # package) is written as 0, the worst outcome, and NegMAS's advantage then counts from there. Compare
    # the governments whose reservation the export holds exactly (strictly inside (0, 1)).
    govs = [(k, gov) for k, gov in enumerate((model.counterpart, model.principal)) if 0.0 < reserved[k] < 1.0]
    assert [gov.key for _, gov in govs] == [model.principal.key]
    for i in np.random.default_rng(1).choice(len(outcomes), 10, replace=False):
        package = grid.package_of(outcomes[i])
        for k, gov in govs:
            theirs = calc_negotiator_metrics([], list(utils[i]), reserved, index=k, utility_ranges=ranges).advantage
            gain = float(gov.utility_of(package, 1)) - gov.preferences.disagreement
            ours = advantage(gain, best[k] - gov.preferences.disagreement)
            # GENIUS's normalisation is affine per party, and the advantage is invariant under it: the two agree
            # where the grid holds the party's best package (here Japan's: both shares low, every rate at the floor)
            assert ours == pytest.approx(theirs, abs=1e-9)
