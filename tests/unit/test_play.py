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
    seat.offer(Package(0.6, 0.5))
    assert seat.propose(1) == Package(0.6, 0.5)
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


@pytest.mark.parametrize("key", ["japan", "us"])
def test_previews_are_the_answers_the_round_then_gets(baseline, key):
    model, seat = seated(baseline, key, seed=1)
    b = play.bounds(model)
    k = 0
    while model.running:
        k += 1
        if play.proposer_of_coming_round(model) == key:  # a spread of offers, most refused, some funded
            share = b.share[0] + (k % 5) / 4 * (b.share[1] - b.share[0])
            rate = b.tariff_rate[0] + (k % 3) / 2 * (b.tariff_rate[1] - b.tariff_rate[0])
            package = play.package_of(model, share, rate)
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
    b = play.bounds(model)
    seat.offer(play.package_of(model, b.share[0], b.tariff_rate[0]))  # Japan's opening: refused
    model.step()
    assert model.running and model.responses[-1][-1].actor == "us"
    offer = play.agent_offer(model)
    seat.answer(True)
    model.step()
    assert model.outcome == "agreement" and model.agreement == offer.package and model.agreement_round == 2


def test_holding_out_at_the_opening_ends_in_breakdown_when_the_deadline_is_near():
    # a six-month window (12 rounds): the US never comes down to Japan's opening, and Japan refuses its offers
    model, seat = seated(load_scenario(overrides=["deal.horizon_years=0.5"]), "japan")
    while model.running:
        if play.proposer_of_coming_round(model) == "japan":
            seat.offer(model.principal.opening)
        else:
            seat.answer(False)
        model.step()
    assert model.outcome == "breakdown" and model.steps == model.max_rounds and model.agreement is None


def test_tariff_rates_map_to_relief_and_back_within_the_bounds(baseline):
    model, _ = seated(baseline, "us")
    b = play.bounds(model)
    assert b.share == model.share_range() and b.tariff_rate == (model.trade.floor_rate, model.trade.threat_rate)
    for rate in (b.tariff_rate[0], 0.17, b.tariff_rate[1]):
        assert model.tariff_rate(play.package_of(model, 0.8, rate)) == pytest.approx(rate)
    assert play.package_of(model, 0.8, b.tariff_rate[1]).relief_fraction == 0.0
    for share, rate in ((b.share[1] + 0.01, 0.15), (0.8, b.tariff_rate[0] - 0.01), (0.8, None)):
        with pytest.raises(ValueError):
            play.package_of(model, share, rate)


def test_the_unit_game_has_no_tariff_to_set(rubinstein):
    model, _ = seated(rubinstein, "japan")
    assert play.bounds(model) == play.Bounds((0.0, 1.0), None)
    assert play.package_of(model, 0.4) == Package(0.4, 0.0)


def test_delay_cost_is_the_utility_lost_by_agreeing_a_round_later(baseline):
    model, _ = seated(baseline, "japan")
    package = Package(0.7, 0.6)
    cost = play.delay_cost(model, "japan", package, 3)
    japan = model.principal
    assert cost.per_round_usd_bn == pytest.approx(japan.utility_of(package, 3) - japan.utility_of(package, 4))
    assert cost.per_month_usd_bn == pytest.approx(cost.per_round_usd_bn / baseline.protocol.round_months)
    assert cost.per_round_usd_bn != 0
    assert play.delay_cost(model, "japan", package, model.max_rounds) is None


def test_the_end_comparison_sets_the_deal_beside_the_agents_and_the_equilibrium(baseline):
    model, seat = seated(baseline, "japan", seed=2)
    seat.offer(play.package_of(model, 0.9, 0.25))  # all the US asks for: accepted at once
    model.step()
    assert model.outcome == "agreement"
    yours, agents_row, eq = play.comparison(model)
    assert yours.label == "your deal" and yours.round == 1 and yours.tariff_rate == pytest.approx(0.25)
    assert yours.gains_usd_bn["japan"] == pytest.approx(play.gain(model, "japan", model.agreement, 1))
    agents = NegotiationModel(baseline, rng=2, collect_data=False)
    agents.run(solve=False)
    assert (agents_row.us_profit_share, agents_row.round) == (agents.agreement.us_profit_share, agents.steps)
    spe = model.solve().spe
    assert eq.us_profit_share == spe.us_profit_share and eq.round == spe.round
    assert eq.gains_usd_bn["us"] == pytest.approx(spe.us_utility - model.counterpart.preferences.disagreement)
    assert agents_row.gains_usd_bn["japan"] > yours.gains_usd_bn["japan"]  # conceding everything costs Japan
