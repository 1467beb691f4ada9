"""A person in a government's seat (negotiation/play.py): the model consults the seat, the rest keep their rules."""

import pytest

from negotiation import play
from negotiation.issues import Offer, Package
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario, runs_file


@pytest.fixture(scope="module")
def baseline():
    return load_scenario()


@pytest.fixture(scope="module")
def rubinstein():
    return load_scenario(runs_file("scenarios/rubinstein.toml"))


def seated(spec, key, seed=0):
    model = NegotiationModel(spec, rng=seed, collect_data=False)
    return model, play.take_seat(model, key)


def test_a_seat_without_a_move_refuses_to_play_and_each_move_is_used_once(baseline):
    model, seat = seated(baseline, "japan")
    assert model.decider("japan") is seat and model.decider("us") is model.counterpart
    with pytest.raises(play.SeatNotReady):
        model.step()
    seat.offer(Package(0.6, 0.5, (0.2, 0.15)))
    assert seat.propose(1) == Package(0.6, 0.5, (0.2, 0.15))
    with pytest.raises(play.SeatNotReady):
        seat.propose(1)
    with pytest.raises(KeyError):
        play.take_seat(model, "jbic")


def mirror(model, key):
    """Play seat ``key`` exactly as its government would: the agents' own moves, made through the seat."""
    seat, gov = model.seats[key], model.governments[key]
    t = play.coming_round(model)
    if model.proposer_in(t) == key:
        seat.offer(gov.propose(t))
        return
    preview = play.agent_offer(model)
    if preview is not None:  # ask the government what step() would ask it
        offer = Offer(t, preview.proposer, key, preview.package)
        seat.answer(gov.respond(offer, preview.ratification).accepted)


@pytest.mark.parametrize("key", ["japan", "us"])
@pytest.mark.parametrize("seed", [0, 3])
def test_a_seat_that_plays_the_agents_moves_replays_the_agents_run(baseline, key, seed):
    agents = NegotiationModel(baseline, rng=seed, collect_data=False)
    agents.run(solve=False)
    model, _ = seated(baseline, key, seed)
    while model.running:
        mirror(model, key)
        model.step()
    assert model.offers == agents.offers and model.responses[-1][-1].accepted == agents.responses[-1][-1].accepted
    assert (model.outcome, model.agreement, model.steps) == (agents.outcome, agents.agreement, agents.steps)


def spread(model, k):
    """The k-th of a spread of offers over every term's bounds (most refused, some funded)."""
    b = play.bounds(model)
    lo, hi = b.share
    rates = {name: low + (k % 3) / 2 * (high - low) for name, (low, high) in b.rates.items()}
    return play.package_of(model, lo + (k % 4) / 3 * (hi - lo), lo + (k % 5) / 4 * (hi - lo), rates)


@pytest.mark.parametrize("key", ["japan", "us"])
def test_previews_are_the_answers_the_round_then_gets(key):
    # a two-month window (4 rounds): every answer is checked the same way in every round
    model, seat = seated(load_scenario(overrides=["deal.horizon_years=0.17"]), key, seed=1)
    k = 0
    while model.running:
        k += 1
        if play.proposer_of_coming_round(model) == key:
            package = spread(model, k)
            preview = play.preview_offer(model, package)
            seat.offer(package)
            model.step()
            *ratification, answer = model.responses[-1]
            assert tuple(ratification) == preview.ratification
            assert answer.accepted == bool(preview.signed)
            if preview.funded:
                assert answer == preview.answer
        else:
            preview = play.agent_offer(model)
            seat.answer(False)
            model.step()
            if preview is not None:
                assert model.offers[-1].package == preview.package
                assert model.responses[-1][:-1] == preview.ratification
            assert model.responses[-1][-1].reason in (play.REFUSED, "not funded")
        assert k <= model.max_rounds


def test_japan_accepting_the_first_us_offer_agrees_on_it(baseline):
    model, seat = seated(baseline, "japan")
    seat.offer(play.opening_package(model, "japan"))  # Japan's own ideal package: refused
    model.step()
    assert model.running and model.responses[-1][-1].actor == "us"
    offer = play.agent_offer(model)
    seat.answer(True)
    model.step()
    assert model.outcome == "agreement" and model.agreement == offer.package and model.agreement_round == 2


def test_holding_out_at_its_ideal_ends_in_breakdown_when_the_deadline_is_near():
    # a six-month window (12 rounds): the US never comes down to Japan's ideal package, and Japan refuses its offers
    model, seat = seated(load_scenario(overrides=["deal.horizon_years=0.5"]), "japan")
    ideal = play.opening_package(model, "japan")
    while model.running:
        if play.proposer_of_coming_round(model) == "japan":
            seat.offer(ideal)
        else:
            seat.answer(False)
        model.step()
    assert model.outcome == "breakdown" and model.steps == model.max_rounds and model.agreement is None
    assert play.opening_package(model, "japan") == ideal  # the controls start again at its last offer


def test_an_offer_sets_both_shares_and_a_rate_for_every_bargained_group_within_the_terms(baseline):
    model, _ = seated(baseline, "us")
    b = play.bounds(model)
    terms = model.terms
    assert b.share == (terms.q.min(), terms.q.max()) == (0.0, 1.0) and b.two_phase
    assert b.rates == {t.name: (t.low, t.high) for t in terms.continuous} and len(b.rates) == 2
    package = play.package_of(model, 0.5, 0.9, {"autos": 0.15, "other": 0.1})
    assert package == Package(0.5, 0.9, (0.15, 0.1))
    assert model.tariff_rates(package)["autos"] == 0.15 and model.principal.fundable(package)
    assert play.package_of(model, 0.5, None, {"autos": 0.15, "other": 0.1}).us_profit_share == 0.5  # s = q
    top = {name: high for name, (_, high) in b.rates.items()}
    assert play.package_of(model, 0.5, 0.9, {k: v + 1e-12 for k, v in top.items()}).tariff_rates == tuple(top.values())
    for args in ((1.01, 0.9, top), (0.5, -0.01, top), (0.5, 0.9, {**top, "autos": 0.05}),
                 (0.5, 0.9, {"autos": 0.15}), (0.5, 0.9, {**top, "steel": 0.2}), (float("nan"), 0.9, top)):
        with pytest.raises(ValueError):
            play.package_of(model, *args)


def test_a_one_phase_deal_has_one_share(baseline):
    model, _ = seated(load_scenario(runs_file("scenarios/one_phase.toml")), "japan")
    b = play.bounds(model)
    assert not b.two_phase and set(b.rates) == {"autos", "other"}
    rates = {name: low for name, (low, _) in b.rates.items()}
    assert play.package_of(model, 0.6, None, rates) == Package.one_share(0.6, (0.1, 0.1))
    with pytest.raises(ValueError, match="one US share"):
        play.package_of(model, 0.5, 0.9, rates)


def test_the_unit_game_has_no_tariff_to_set(rubinstein):
    model, _ = seated(rubinstein, "japan")
    assert play.bounds(model) == play.Bounds((0.0, 1.0), False, {})
    assert play.package_of(model, 0.4) == Package.one_share(0.4)


def test_delay_cost_is_the_utility_lost_by_agreeing_a_round_later(baseline):
    model, _ = seated(baseline, "japan")
    package = Package(0.5, 0.9, (0.15, 0.1))
    cost = play.delay_cost(model, "japan", package, 3)
    japan = model.principal
    assert cost.per_round_usd_bn == pytest.approx(japan.utility_of(package, 3) - japan.utility_of(package, 4))
    assert cost.per_month_usd_bn == pytest.approx(cost.per_round_usd_bn / baseline.protocol.round_months)
    assert cost.per_round_usd_bn != 0
    assert play.delay_cost(model, "japan", package, model.max_rounds) is None


def test_the_end_comparison_without_the_agents_plays_no_second_run(baseline, monkeypatch):
    model = NegotiationModel(baseline, rng=3, collect_data=False)
    model.run(solve=False)
    full = play.comparison(model)
    monkeypatch.setattr(play, "agents_run", lambda model: pytest.fail("the agents' run was played"))
    assert play.comparison(model, with_agents=False) == [full[0], full[2]]


def test_the_end_comparison_sets_the_deal_beside_the_agents_and_the_equilibrium(baseline):
    model, seat = seated(baseline, "japan", seed=2)
    everything = model.counterpart.ideal(1)  # all the US asks for: accepted at once
    seat.offer(everything)
    model.step()
    assert model.outcome == "agreement"
    yours, agents_row, eq = play.comparison(model)
    assert yours.label == "your deal" and yours.round == 1 and yours.tariff_rates == model.tariff_rates(everything)
    assert (yours.us_share_before_recoup, yours.us_profit_share) == (everything.us_share_before_recoup,
                                                                      everything.us_profit_share)
    assert yours.tariff_rate == pytest.approx(model.tariff_rate(model.agreement))
    assert yours.gains_usd_bn["japan"] == pytest.approx(play.gain(model, "japan", model.agreement, 1))
    agents = NegotiationModel(baseline, rng=2, collect_data=False)
    agents.run(solve=False)
    assert agents_row.round == agents.steps
    assert (agents_row.us_share_before_recoup, agents_row.us_profit_share) == (
        agents.agreement.us_share_before_recoup, agents.agreement.us_profit_share)
    solution = model.solve()
    spe = solution.spe
    assert (eq.us_share_before_recoup, eq.us_profit_share, eq.round) == (
        spe.us_share_before_recoup, spe.us_profit_share, solution.spe_round)
    assert eq.tariff_rates == model.tariff_rates(spe)
    us_gain = solution.spe_utilities[0] - model.counterpart.preferences.disagreement
    # the row values the SPE's package exactly; the solver's utility is on its curve's chord (within 1e-3 $bn:
    # tests/model/test_plan_vs_solver.py)
    assert eq.gains_usd_bn["us"] == pytest.approx(us_gain, abs=1e-3)
    assert agents_row.gains_usd_bn["japan"] > yours.gains_usd_bn["japan"]  # conceding everything costs Japan


def test_the_preview_gives_the_chance_the_persons_side_believes_not_the_other_sides_price(baseline):
    """Under incomplete information the other side's price is private: the preview's chance is the seated
    government's own belief (its types and weights); with complete information there is nothing to believe."""
    model, seat = seated(baseline, "japan")
    package = Package(0.5, 0.9, (0.14, 0.10))
    preview = play.preview_offer(model, package)
    japan = model.governments["japan"]
    assert preview.believed_acceptance == pytest.approx(float(japan.expected_values([package], 1)[1][0]))
    assert 0.0 < preview.believed_acceptance < 1.0
    exact = NegotiationModel(load_scenario(overrides=["protocol.information=complete"]), rng=0, collect_data=False)
    play.take_seat(exact, "japan")
    assert play.preview_offer(exact, package).believed_acceptance is None


def test_the_agent_learns_from_a_persons_refusals(baseline):
    """A person who refuses the agent's offer moves the agent's beliefs by Bayes' rule, and so its next offer."""
    model, seat = seated(baseline, "japan", seed=3)
    us = model.counterpart
    seat.offer(Package(0.5, 0.5, (0.10, 0.10)))
    model.step()  # round 1: the person opens
    seat.answer(False)
    model.step()  # round 2: the US opens at its claim; refused
    seat.offer(Package(0.5, 0.5, (0.10, 0.10)))
    model.step()  # round 3
    before = us.type_weights.copy()
    offered = us.propose(4)
    seat.answer(False)
    model.step()  # round 4: the person refuses the US's first screening offer
    assert model.offers[-1].package == offered and not (us.type_weights == before).all()
    assert us.propose(6) != offered  # it offers something else two rounds on
