"""Each behaviour rule of the actors, made to fire against a fixed counterpart: a test that fails when the rule is
removed, named after the rule (offer: the ideal opening and the concession; accept: AC_next with the acceptance
belief and the lenders' veto; learn: the lenders' refusals, the principal's offers, errors and acceptance
belief; claims: what backing down and taking back cost, read by each audience; the ratifiers' and the
investor's responses)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from agents.bargaining import BeliefErrors, faratin_alpha
from agents.claims import Claim
from negotiation.issues import Offer, Package, Response
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def model(*sets, seed=3):
    return NegotiationModel(load_scenario(ROOT / "runs" / "baseline.toml", list(sets)), rng=seed, collect_data=False)


# --- offer ------------------------------------------------------------------------------------------------

def test_faratin_concession_moves_from_the_opening_to_the_target_by_the_deadline():
    m = model()
    us = m.counterpart
    us.opening = us.ideal(2)
    us.offers_made = 1  # it has opened
    t_max = m.concession_rounds
    values = []
    for t in range(2, t_max + 2, 2):  # the US proposes in even rounds
        package = us.propose(t)
        values.append(us.utility_of(package, t) - us.utility_of(us.target(t), t))
    assert all(v >= -1e-9 for v in values)  # never below its target
    assert values[0] > 1e-3  # before the deadline it asks for more than its target …
    assert values[-1] == pytest.approx(0.0, abs=1e-9)  # … and concedes all the way by it
    assert faratin_alpha(1, 4, 0.5) < faratin_alpha(1, 4, 2.0)  # Boulware concedes later than Conceder


def test_the_first_offer_is_its_ideal_and_complete_information_offers_the_target():
    m = model()
    japan = m.principal
    first = japan.propose(1)
    assert first == japan.opening == japan.ideal(1)
    assert japan.utility_of(first, 1) >= japan.utility_of(japan.target(1), 1)
    c = model("protocol.information=complete")
    assert c.principal.propose(1) == c.principal.target(1)


# --- accept -----------------------------------------------------------------------------------------------

def test_ac_next_accepts_what_beats_its_next_offer_and_refuses_what_does_not():
    m = model("protocol.information=complete")
    us = m.counterpart
    t = 1
    threshold = us.next_offer_value(t)
    target = us.target(2)
    rich = Offer(t, "japan", "us", target)  # what it would ask next round, a round early: worth more
    assert us.utility_of(target, t) >= threshold and us.respond(rich).accepted
    poor = Offer(t, "japan", "us", Package(0.5, 0.5, (0.10, 0.10)))  # Japan's claim, every rate at the floor
    assert us.utility_of(poor.package, t) < threshold and not us.respond(poor).accepted


def test_the_acceptance_belief_makes_a_government_take_an_offer_it_would_otherwise_haggle_over():
    m = model()
    us = m.counterpart
    t = next(k for k in range(m.concession_rounds + 1, m.max_rounds) if m.proposer_in(k) == "japan")  # conceded
    own_next = us.target(t + 1)
    cars, other = own_next.tariff_rates
    offer = Offer(t, "japan", "us", replace(own_next, tariff_rates=(max(cars - 0.005, 0.10), other)))
    assert not us.respond(offer).accepted  # sure its next offer will be taken, it refuses a little more relief
    us.acceptance_belief = 0.0  # its targets keep being refused: it expects the same offer again instead
    assert us.respond(offer).accepted


def test_the_principal_refuses_what_its_lenders_will_not_fund_however_good():
    m = model("agents.jbic.state_backing_usd_bn=0")
    japan = m.principal
    offer = Offer(2, "us", "japan", Package(0.5, 0.9, (0.10, 0.10)))
    ratification = japan.ratify(offer.package)
    assert not all(r.accepted for r in ratification)
    answer = japan.respond(offer, ratification)
    assert not answer.accepted and answer.reason == "not funded"


# --- learn ------------------------------------------------------------------------------------------------

def test_a_lenders_refusal_makes_the_counterpart_believe_no_worse_package_is_funded():
    m = model()
    us = m.counterpart
    refused = Package(0.8, 0.9, (0.2, 0.1))
    assert us.fundable(refused)
    us.learn_from_refusal(Offer(2, "us", "japan", refused), Response("japan", False, "not funded"))
    assert not us.fundable(refused)
    worse = us.believed_npv(np.array([0.9]), np.array([0.9]))[0] < us.believed_npv(np.array([0.8]), np.array([0.9]))[0]
    assert worse and not us.fundable(Package(0.9, 0.9, (0.2, 0.1)))
    assert us.fundable(Package(0.5, 0.9, (0.2, 0.1)))  # better for the lenders: still believed funded


def test_an_offer_by_the_principal_shows_the_counterpart_it_is_funded():
    m = model()
    us = m.counterpart
    us.threshold_low = float(us.believed_npv(np.array([0.3]), np.array([0.3]))[0])  # it believes little is funded
    us._forget()
    offered = Package(0.5, 0.9, (0.15, 0.1))
    assert not us.fundable(offered)
    us.learn_from_offer(Offer(1, "japan", "us", offered))
    assert us.fundable(offered)
    before = us.threshold_high
    us.learn_from_offer(Offer(3, "us", "japan", Package(0.9, 0.9, (0.2, 0.1))))  # its own offers teach it nothing
    assert us.threshold_high == before


def test_a_refused_target_halves_the_errors_and_the_acceptance_belief():
    m = model()
    us = m.counterpart
    us.errors = replace(us.errors, principal_relief_value=4.0)
    t = 2
    target = us.target(t)
    us.learn_from_refusal(Offer(t, "us", "japan", target), Response("japan", False, "worth less than my next offer"))
    assert us.errors.principal_relief_value == pytest.approx(2.0)
    assert us.acceptance_belief == 0.5
    assert us.opponent_preferences.relief_value_factor == pytest.approx(2.0)
    other = Offer(t, "us", "japan", Package(0.9, 0.9, (0.275, 0.25)))  # not its target: nothing learnt
    us.learn_from_refusal(other, Response("japan", False, "worth less than my next offer"))
    assert us.acceptance_belief == 0.5


def test_belief_errors_are_drawn_in_their_declared_order_from_the_models_rng():
    a = BeliefErrors.draw(np.random.default_rng(5), 0.2)
    rng = np.random.default_rng(5)
    b = [float(np.exp(0.2 * rng.standard_normal())) for _ in range(7)]
    assert list(vars(a).values()) == pytest.approx(b)
    assert BeliefErrors.draw(np.random.default_rng(5), 0.0) == BeliefErrors(*([1.0] * 7))


# --- claims -----------------------------------------------------------------------------------------------

def test_a_claim_costs_nothing_at_itself_and_prices_backing_down_and_taking_back_apart():
    us = Claim(0.9, "phase", True, concession_cost_usd_bn=5.0, retraction_cost_usd_bn=2.0)
    assert us.cost(0.9, 0.9, 1.0, 0.0) == 0.0
    assert us.cost(0.8, 0.8, 1.0, 0.0) == pytest.approx(0.5)  # backed down 10 points
    assert us.cost(1.0, 1.0, 1.0, 0.0) == pytest.approx(0.2)  # asked 10 points beyond its claim
    japan = Claim(0.5, "money", False, concession_cost_usd_bn=5.0, retraction_cost_usd_bn=2.0)
    assert japan.cost(0.6, 0.6, 1.0, 1.0) == pytest.approx(0.5)  # for the principal, a higher US share is backing down
    assert japan.cost(0.4, 0.4, 1.0, 1.0) == pytest.approx(0.2)


def test_a_claim_that_named_no_phase_is_honoured_by_the_phase_most_favourable_to_the_claimant():
    us = Claim(0.9, "phase", True, 5.0, 5.0)
    assert us.read(0.5, 0.9, 1.0, 0.0) == 0.9 and us.cost(0.5, 0.9, 1.0, 0.0) == 0.0
    japan = Claim(0.5, "phase", False, 5.0, 5.0)
    assert japan.read(0.5, 0.9, 1.0, 0.0) == 0.5 and japan.cost(0.9, 0.5, 1.0, 0.0) == 0.0


def test_an_audience_that_reads_the_money_weighs_each_phase_by_the_cash_it_carries():
    japan = Claim(0.5, "money", False, 5.0, 5.0)
    assert japan.read(0.5, 0.9, 1.0, 0.0) == pytest.approx(0.5)  # no cash after recoup: the 90% is free
    assert japan.read(0.5, 0.9, 1.0, 1.0) == pytest.approx(0.7)  # as much cash after recoup: half of it counts
    assert japan.cost(0.5, 0.9, 1.0, 1.0) == pytest.approx(1.0)


def test_the_principals_utility_carries_its_claims_cost_at_signing():
    m = model()
    prefs = m.principal.preferences
    off = replace(prefs, claim=None)
    package = Package(0.7, 0.7, (0.15, 0.1))
    gap = off.utility(package, 0.0) - prefs.utility(package, 0.0)
    assert gap == pytest.approx(prefs.claim.cost(0.7, 0.7, 1.0, 0.0))  # 20 points above its 50:50, read as money


# --- the counterpart's economics: its horizon and the Harberger triangle ----------------------------------

def test_the_counterpart_weights_the_cash_after_its_term_by_its_post_term_weight():
    m = model()
    prefs = m.counterpart.preferences
    t = np.array([0.0])
    q, s = np.array([0.5]), np.array([0.9])
    full = replace(prefs, clock=replace(prefs.clock, weight_after_term=1.0), claim=None)
    none = replace(prefs, clock=replace(prefs.clock, weight_after_term=0.0), claim=None)
    cash = lambda p: float(p.profit_values(t, q).counterpart(q, s)[0, 0])  # noqa: E731
    assert cash(none) < cash(prefs) < cash(full)
    assert cash(none) == pytest.approx(0.0, abs=1e-3)  # the projects pay after the term


def test_the_counterparts_gain_from_a_rate_carries_the_harberger_triangle():
    m = model()
    prefs = m.counterpart.preferences
    _, a, b = prefs.continuous_coefficients(np.array([0.0]))
    assert (b < 0).all()  # concave in every rate: the deadweight loss grows with the square of the rate
    no_dwl = replace(prefs, trade=replace(prefs.trade, trade_elasticity=0.0))
    _, _, b0 = no_dwl.continuous_coefficients(np.array([0.0]))
    assert (b0 == 0).all()


# --- ratifiers and the investor ---------------------------------------------------------------------------

def test_the_lender_rules_on_both_shares():
    m = model("deal.projects.energy.cash_yield_per_year=0.25", "deal.projects.fabs.cash_yield_per_year=0.25",
              "deal.projects.minerals.cash_yield_per_year=0.25")
    jbic = m.lenders[0]
    npv = lambda q, s: float(jbic.terms.npv_per_usd(jbic.portfolio, q, s))  # noqa: E731
    assert npv(0.6, 0.5) < npv(0.5, 0.5)  # more to the US before recoup: less for JBIC's equity
    assert npv(0.5, 0.9) < npv(0.5, 0.5)  # and after: the projects recoup within their lives here


def test_the_lenders_npv_pays_the_insurers_loading():
    m = model()
    jbic = m.lenders[0]
    covered = jbic.terms
    uncovered = replace(covered, cover_cost_per_usd=0.0)
    assert covered.cover_cost_per_usd > 0
    gap = float(uncovered.npv_per_usd(jbic.portfolio, 0.5, 0.9) - covered.npv_per_usd(jbic.portfolio, 0.5, 0.9))
    assert gap == pytest.approx(covered.cover_cost_per_usd)


def test_an_insurer_over_its_capacity_refuses_and_nothing_is_funded():
    m = model("agents.nexi.capacity_usd_bn=100")
    assert not m.insurers[0].within_capacity
    assert not m.insurers[0].respond(Package(0.5, 0.9, (0.15, 0.1))).accepted
    assert not m.principal.funded_options.any() and m.fundable_share is None


def test_with_two_lenders_the_strictest_binds():
    m = model("agents.jbic.required_margin_per_year=0.0")
    strict = model("agents.jbic.required_margin_per_year=0.04")
    loose_share, strict_share = m.fundable_share, strict.fundable_share
    assert strict_share < loose_share
    two = NegotiationModel(load_scenario(ROOT / "runs" / "scenarios" / "two_lenders.toml"), rng=0, collect_data=False)
    limits = [lender.terms.one_share_limit(lender.portfolio) for lender in two.lenders]
    assert len(limits) == 2 and two.fundable_share == pytest.approx(min(limits))
    funds = [lender.funds(two.terms.q, two.terms.s) for lender in two.lenders]
    assert (two.principal.funded_options == (funds[0] & funds[1])).all()


@pytest.mark.parametrize("margin", [0.6, 1.0, 2.5])
def test_the_investors_build_answers_the_cut_on_its_parts_in_closed_form(margin):
    m = model(f"agents.tsmc.margin_per_usd={margin}")
    tsmc = m.investors[0]
    package = Package(0.5, 0.9, (0.2, 0.15))
    cut = 0.25 - 0.15  # its parts pay the rate on other goods
    sigma = tsmc.principal_parts_share * cut
    assert tsmc.build_usd_bn(package) == pytest.approx(tsmc.committed_usd_bn * (1 + sigma / margin))
    assert tsmc.build_per_rate() == pytest.approx(tsmc.committed_usd_bn * tsmc.principal_parts_share / margin)
