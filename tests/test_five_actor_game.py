"""The five-actor baseline and its comparative statics: properties, not typed-in numbers."""

import json
import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

from negotiation.model import NegotiationModel
from negotiation.scenario import load_scenario
from negotiation.solvers.bargaining import is_pareto_optimal

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "runs" / "baseline.toml"


def run(*sets, seed=0, path=BASELINE):
    model = NegotiationModel(load_scenario(path, list(sets)), rng=seed, collect_data=False)
    return model, model.run()


@pytest.fixture(scope="module")
def baseline_runs():
    return [run(seed=s) for s in range(20)]


def test_baseline_split_over_20_seeds_lands_in_the_reported_band(baseline_runs):
    shares = [r.package.us_profit_share for _, r in baseline_runs]
    assert all(r.agreed for _, r in baseline_runs)
    median = statistics.median(shares)
    assert 0.85 <= median <= 0.95
    assert all(abs(s - median) <= 0.05 for s in shares)
    assert all(m.relief_usd_bn_per_year(r.package) > 0 for m, r in baseline_runs)


def test_baseline_agreement_is_within_002_of_the_solved_equilibrium(baseline_runs):
    for m, r in baseline_runs:
        assert abs(r.package.us_profit_share - m.solve().spe.us_profit_share) <= 0.02


def test_complete_information_reduces_to_equilibrium_play():
    m, r = run("protocol.information=complete")
    spe = m.solve().spe
    assert r.steps == 1
    assert r.package.us_profit_share == pytest.approx(spe.us_profit_share, abs=1e-3)
    assert r.package.relief_fraction == pytest.approx(spe.relief_fraction, abs=0.02)


def test_offers_move_from_japans_opening_over_several_rounds():
    m = NegotiationModel(load_scenario(BASELINE), rng=0)
    r = m.run()
    first = m.offers[0]
    assert first.proposer == "japan"
    assert first.package.us_profit_share == m.spec.deal.japan_opening_us_share
    assert r.steps >= 4
    japan_shares = [o.package.us_profit_share for o in m.offers if o.proposer == "japan"]
    assert all(b >= a - 1e-12 for a, b in zip(japan_shares, japan_shares[1:], strict=False))  # Japan concedes
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == r.steps and frame["accepted"].iloc[-1]


def test_same_seed_same_run_and_different_seeds_differ_in_path():
    a, b = run(seed=5)[1], run(seed=5)[1]
    assert a == b
    paths = {run(seed=s)[1].steps for s in range(8)}
    assert len(paths) > 1  # beliefs are random, so paths differ


def test_lenders_fund_the_agreement_and_it_is_individually_rational_for_everyone(baseline_runs):
    for m, r in baseline_runs:
        assert m.lenders[0].respond(r.package).accepted and m.insurers[0].respond(r.package).accepted
        assert r.utilities["us"] >= m.counterpart.preferences.disagreement
        assert r.utilities["japan"] >= m.principal.preferences.disagreement
        assert min(r.utilities["jbic"], r.utilities["nexi"], r.utilities["tsmc"]) >= -1e-9


def _feasible_utilities(m):
    s, x = np.meshgrid(np.linspace(0, max(m.fundable_share, 0), 401), m.relief_grid, indexing="ij")
    s, x = s.ravel(), x.ravel()
    return m.counterpart.preferences.utility(s, x), m.principal.preferences.utility(s, x)


def test_complete_information_agreement_is_pareto_efficient_on_the_fundable_set():
    m, r = run("protocol.information=complete")
    uu, uj = _feasible_utilities(m)
    point = (r.utilities["us"], r.utilities["japan"])
    assert is_pareto_optimal(point, uu, uj, tol=0.01 * (uu.max() - uu.min()))


@settings(max_examples=15, deadline=None)
@given(seed=seeds, margin=st.floats(0.0, 0.02), yield_=st.floats(0.15, 0.4), relief=st.floats(0.0, 100.0),
       info=st.sampled_from(["complete", "incomplete"]), two_phase=st.booleans())
def test_every_run_ends_and_agreements_are_fundable_and_rational(seed, margin, yield_, relief, info, two_phase):
    m, r = run(f"agents.jbic.required_margin_per_year={margin}", f"deal.project_cash_yield_per_year={yield_}",
               f"deal.tariff_relief_max_usd_bn_per_year={relief}", f"protocol.information={info}",
               f"deal.two_phase={str(two_phase).lower()}", seed=seed)
    assert not m.running and r.steps <= m.max_rounds
    if r.agreed:
        assert 0.0 <= r.package.us_profit_share <= 1.0 and 0.0 <= r.package.relief_fraction <= 1.0
        assert m.lenders[0].respond(r.package).accepted
        assert r.utilities["us"] >= -1e-9 and r.utilities["japan"] >= -1e-9
        if info == "complete":
            uu, uj = _feasible_utilities(m)
            span = max(uu.max() - uu.min(), uj.max() - uj.min(), 1.0)
            assert is_pareto_optimal((r.utilities["us"], r.utilities["japan"]), uu, uj, tol=0.01 * span)


# --- comparative statics (complete information: the equilibrium play, no belief noise) ----------------------

def eq_outcome(*sets):
    m, r = run("protocol.information=complete", *sets)
    return r.package.us_profit_share if r.agreed else None, m.relief_usd_bn_per_year(r.package) if r.agreed else 0


def test_lenders_that_demand_more_shrink_what_japan_can_concede():
    shares = [eq_outcome(f"agents.jbic.required_margin_per_year={m}")[0] for m in (0.0, 0.005, 0.01, 0.015)]
    assert all(b < a for a, b in zip(shares, shares[1:], strict=False))


def test_the_less_relief_is_worth_to_japan_the_less_profit_it_gives_up():
    shares = [eq_outcome(f"deal.tariff_relief_max_usd_bn_per_year={v}")[0] for v in (0, 1, 15, 68)]
    assert all(b >= a - 1e-9 for a, b in zip(shares, shares[1:], strict=False))
    assert shares[0] < shares[-1]
    assert eq_outcome("deal.tariff_threat=false")[0] < eq_outcome()[0]


def test_a_more_patient_japan_gets_more_relief():
    reliefs = [eq_outcome(f"agents.japan.discount={d}")[1] for d in (0.9, 0.97, 0.99, 0.995)]
    assert all(b >= a - 1e-6 for a, b in zip(reliefs, reliefs[1:], strict=False)) and reliefs[-1] > reliefs[0]


def test_a_stronger_outside_option_for_japan_gets_it_more_relief():
    assert eq_outcome("agents.japan.outside_option_share=0.5")[1] > eq_outcome()[1]


def test_the_two_phase_rule_is_what_lets_lenders_fund_a_high_us_share():
    assert eq_outcome("deal.two_phase=false")[0] < eq_outcome()[0] - 0.1


def test_counterfactual_files_all_run():
    for path in sorted((ROOT / "runs" / "scenarios").glob("*.toml")):
        m, r = run(path=path)
        assert not m.running


# --- regression -----------------------------------------------------------------------------------------------

REGRESSION = ROOT / "tests" / "baseline_regression.json"


def test_baseline_matches_the_stored_regression_file():
    stored = json.loads(REGRESSION.read_text())
    m, r = run(seed=stored["seed"])
    now = {"us_profit_share": r.package.us_profit_share, "relief_fraction": r.package.relief_fraction,
           "steps": r.steps, "utilities": r.utilities}
    assert now["steps"] == stored["result"]["steps"]
    assert now["us_profit_share"] == pytest.approx(stored["result"]["us_profit_share"], abs=1e-9)
    assert now["relief_fraction"] == pytest.approx(stored["result"]["relief_fraction"], abs=1e-9)
    for k, v in stored["result"]["utilities"].items():
        assert now["utilities"][k] == pytest.approx(v, rel=1e-9, abs=1e-9)


# --- the agents' planar frontier ------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=seeds, cap=st.floats(0.0, 1.0), relief=st.floats(0.0, 100.0), outside=st.floats(0.0, 0.9))
def test_planar_frontier_equals_the_full_grid_frontier(seed, cap, relief, outside):
    """The frontier built from the utility planes is the one every fundable grid package gives."""
    m, _ = run(f"deal.tariff_relief_max_usd_bn_per_year={relief}", f"agents.japan.outside_option_share={outside}",
               seed=seed)
    for gov in (m.counterpart, m.principal):
        gov.fundable_share_floor, gov.fundable_share_ceiling, gov.fundable_share_prior = 0.0, 1.0, cap
        gov._frontier = None
        planar, full = gov.frontier(), gov._builder.grid_frontier(gov.believed_fundable_share)
        assert (planar.own_utility.size == 0) == (full.own_utility.size == 0)
        if full.own_utility.size == 0:
            continue
        scale = max(1.0, float(np.abs(full.own_utility).max()), float(np.abs(full.opponent_utility).max()))
        # the same piecewise-linear frontier (the full grid may keep float-collinear points on an edge)
        np.testing.assert_allclose(planar.opponent_utility[[0, -1]], full.opponent_utility[[0, -1]],
                                   rtol=1e-12, atol=1e-12 * scale)
        for a, b in ((planar, full), (full, planar)):
            on_other = np.interp(a.opponent_utility, b.opponent_utility, b.own_utility)
            np.testing.assert_allclose(on_other, a.own_utility, rtol=1e-12, atol=1e-12 * scale)


@settings(max_examples=50, deadline=None)
@given(points=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=40))
def test_frontier_from_points_is_from_grid_on_lists(points):
    """The list twin of Frontier.from_grid keeps the same packages in the same order, ties included."""
    from agents.frontier import Frontier

    own = [float(a) for a, _ in points]
    opp = [float(b) for _, b in points]  # small integers: many ties and collinear points
    tags = [float(i) for i in range(len(points))]
    a = Frontier.from_points(own, opp, tags, tags)
    b = Frontier.from_grid(np.array(own), np.array(opp), np.array(tags), np.array(tags))
    assert a.us_share.tolist() == b.us_share.tolist()
    assert a.own_utility.tolist() == b.own_utility.tolist()
    assert np.all(np.diff(a.opponent_utility) > 0) and np.all(np.diff(a.own_utility) < 0)
    r = a.reversed()
    assert r.own_utility.tolist() == a.opponent_utility.tolist()[::-1]


@settings(max_examples=30, deadline=None)
@given(yield_=st.floats(0.1, 0.5), margin=st.floats(0.0, 0.02), failure=st.floats(0.0, 0.3),
       two_phase=st.booleans())
def test_jbic_limit_is_the_last_share_with_nonnegative_npv(yield_, margin, failure, two_phase):
    m, _ = run(f"deal.project_cash_yield_per_year={yield_}", f"agents.jbic.required_margin_per_year={margin}",
               f"deal.project_failure_probability={failure}", f"deal.two_phase={str(two_phase).lower()}")
    terms, cap = m.lenders[0].terms, m.lenders[0].fundable_share
    if 0.0 < cap < 1.0:
        assert terms.npv_per_usd(m.streams, cap) >= 0.0
        assert terms.npv_per_usd(m.streams, min(cap + 1e-9, 1.0)) < 0.0
    elif cap == 1.0:
        assert terms.npv_per_usd(m.streams, 1.0) >= 0.0
    else:
        assert terms.npv_per_usd(m.streams, 0.0) < 0.0


@settings(max_examples=20, deadline=None)
@given(yield_=st.floats(0.1, 0.4), relief=st.floats(0.0, 100.0), two_phase=st.booleans(),
       s=st.floats(0.0, 1.0), x=st.floats(0.0, 1.0), tsmc_margin=st.floats(0.05, 1.0))
def test_preferences_that_declare_affine_in_terms_are_planes(yield_, relief, two_phase, s, x, tsmc_margin):
    m, _ = run(f"deal.project_cash_yield_per_year={yield_}", f"deal.tariff_relief_max_usd_bn_per_year={relief}",
               f"deal.two_phase={str(two_phase).lower()}", f"agents.tsmc.margin_per_usd={tsmc_margin}")
    for prefs in (m.counterpart.preferences, m.principal.preferences):
        assert type(prefs).affine_in_terms
        u00, u10, u01 = prefs.utility(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
        u = prefs.utility(np.array([s]), np.array([x]))[0]
        assert u == pytest.approx(u00 + s * (u10 - u00) + x * (u01 - u00), rel=1e-9, abs=1e-9)


# --- the deadline -----------------------------------------------------------------------------------------------

def _without_last_word(spec):
    return spec.model_copy(update={"protocol": spec.protocol.model_copy(update={"last_proposer": None})})


@settings(max_examples=30, deadline=None)
@given(horizon=st.floats(0.25, 10.0), months=st.floats(0.25, 6.0))
def test_the_deadline_is_the_rounds_that_fit_in_the_horizon(horizon, months):
    spec = load_scenario(BASELINE, [f"deal.horizon_years={horizon}", f"protocol.round_months={months}"])
    rounds = _without_last_word(spec).deadline_rounds
    assert rounds >= 1
    if horizon * 12 / months >= 1:
        assert rounds * months <= horizon * 12 + 1e-6 < (rounds + 1) * months  # whole rounds inside the horizon
    assert spec.deadline_rounds in (rounds, rounds - 1)  # the US's last word may cost the final round
    explicit = _without_last_word(load_scenario(BASELINE, [f"deal.horizon_years={horizon}", "protocol.max_rounds=7"]))
    assert explicit.deadline_rounds == 7  # a scenario that fixes the rounds keeps them


def test_overrides_rederive_a_calendar_deadline_but_keep_a_fixed_one():
    from negotiation.scenario import with_overrides

    base = load_scenario(BASELINE)
    shorter = with_overrides(base, {"deal.horizon_years": base.deal.horizon_years / 2})
    assert shorter.protocol.max_rounds == base.protocol.max_rounds // 2
    fixed = with_overrides(base, {"protocol.max_rounds": 60})
    assert with_overrides(fixed, {"deal.horizon_years": 1.0}).protocol.max_rounds == 60


def test_rounds_scale_with_their_length_and_a_model_stops_at_its_deadline():
    def rounds(*sets):
        return _without_last_word(load_scenario(BASELINE, list(sets))).deadline_rounds

    assert rounds("protocol.round_months=3") == rounds() // 3
    assert rounds("protocol.round_months=0.5") == 2 * rounds()
    # lenders who fund nothing: no deal, and the talks end at the derived deadline
    m, r = run("deal.horizon_years=1", "agents.jbic.required_margin_per_year=0.5")
    assert m.max_rounds == load_scenario(BASELINE, ["deal.horizon_years=1"]).deadline_rounds
    assert not r.agreed and r.steps == m.max_rounds


@settings(max_examples=40, deadline=None)
@given(rounds=st.integers(1, 60), first=st.sampled_from(["us", "japan"]), last=st.sampled_from(["us", "japan"]))
def test_the_side_with_the_last_word_proposes_in_the_final_round(rounds, first, last):
    spec = load_scenario(BASELINE, [f"protocol.max_rounds={rounds}", f"protocol.first_proposer={first!r}",
                                    f"protocol.last_proposer={last!r}"])
    m = NegotiationModel(spec, rng=0, collect_data=False)
    assert m.max_rounds in (rounds, rounds - 1)
    assert m.proposer_in(m.max_rounds) == last or m.max_rounds == 1  # one round: only the first proposer
    assert _without_last_word(spec).deadline_rounds == rounds  # without a last word, plain alternation to the deadline


def test_the_last_word_is_bargaining_power():
    """Ståhl (1972): with a deadline, the final proposer's take-it-or-leave-it offer shifts the split to it."""
    us_last, japan_last = eq_outcome(), eq_outcome("protocol.last_proposer='japan'")
    assert japan_last[0] < us_last[0] - 0.1  # the US gets less of the profits
    assert japan_last[1] >= us_last[1]  # and Japan at least as much relief
