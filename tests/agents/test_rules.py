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


def clock_model(*sets, seed=3):
    """The baseline with the concession clock (protocol.concession = "clock"): Faratin's concession, halving."""
    return model("protocol.concession=clock", *sets, seed=seed)


# --- offer ------------------------------------------------------------------------------------------------

def test_faratin_concession_moves_from_the_opening_to_the_target_by_the_deadline():
    m = clock_model()
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


def test_the_first_offer_is_its_public_claim_and_complete_information_offers_the_target():
    """It opens at its claim on both shares, each rate at its ideal; without a claim, at its ideal package."""
    m = model()
    for gov in (m.principal, m.counterpart):
        t = 1 if gov is m.principal else 2
        gov.offers_made = 0
        first = gov.propose(t)
        claim = gov.preferences.claim.us_share
        assert first == gov.opening
        assert first.us_share_before_recoup == first.us_profit_share == claim
        assert first.tariff_rates == gov.ideal(t).tariff_rates  # no claim on the rates: its ideal ones
        assert gov.utility_of(first, t) >= gov.utility_of(gov.target(t), t) - 1e-9
    assert m.principal.opening != m.principal.ideal(1)  # the claim is not what Japan would ask with none made
    off = model()
    off.principal.preferences = replace(off.principal.preferences, claim=None)  # a government that claimed nothing
    assert off.principal.propose(1) == off.principal.ideal(1)
    c = model("protocol.information=complete")
    assert c.principal.propose(1) == c.principal.target(1)


@pytest.mark.parametrize(("beta", "kappa"), [(0.5, 0.0), (1.0, 0.0), (2.0, 0.1)])
def test_the_concession_curve_is_faratins_alpha(beta, kappa):
    """α(t) = κ + (1 − κ)(min(t, t_max)/t_max)^(1/β): linear at β = 1, Conceder above, Boulware below."""
    t_max = 8
    for t in range(-1, t_max + 3):
        frac = min(max(t, 0), t_max) / t_max
        alpha = faratin_alpha(t, t_max, beta, kappa)
        assert alpha == pytest.approx(kappa + (1.0 - kappa) * frac ** (1.0 / beta), rel=1e-12, abs=1e-15)
        linear = kappa + (1.0 - kappa) * frac
        if beta == 1.0 or t <= 0 or t >= t_max:
            assert alpha == pytest.approx(linear, rel=1e-12)
        else:  # Conceder (β > 1) concedes sooner than linearly, Boulware (β < 1) later
            assert (alpha > linear) if beta > 1.0 else (alpha < linear)
    assert faratin_alpha(0, t_max, beta, kappa) == kappa and faratin_alpha(t_max, t_max, beta, kappa) == 1.0


@pytest.mark.parametrize("key", ["us", "japan"])
def test_an_offer_concedes_faratins_share_of_the_way_from_opening_to_target(key):
    """Before t_max, its offer gives it opening + α(t)·(target − opening) in its own utility (α in closed form)."""
    m = clock_model()
    gov = m.governments[key]
    rounds = [t for t in range(2, m.concession_rounds) if m.proposer_in(t) == key]
    assert rounds
    gov.opening = gov.ideal(rounds[0])
    gov.offers_made = 1  # it has opened
    for t in rounds:
        start, goal = gov.utility_of(gov.opening, t), gov.utility_of(gov.target(t), t)
        assert start > goal + 1.0  # room to concede
        alpha = (t / m.concession_rounds) ** (1.0 / gov.concession_beta)
        assert gov.utility_of(gov.propose(t), t) == pytest.approx(start + alpha * (goal - start), abs=1e-6)


# --- offer by screening (protocol.concession = "screening", the baseline's) ---------------------------------

def test_the_types_are_the_estimate_and_gauss_hermite_points_with_the_noises_variance():
    """Each government's prior: its point estimate and the Gauss–Hermite points of N(0, σ²) in logs along each
    parameter; each log-error has mean 0 and variance σ² (and the normal's fourth moment 3σ⁴)."""
    m = model()
    sigma = m.spec.protocol.belief_noise
    for gov in (m.counterpart, m.principal):
        w = gov.type_weights
        uncertain = [f for f in gov.type_fields if not f.endswith("_patience")]  # the package game's
        points = m.spec.protocol.type_points
        assert len(gov.types) == (points - 1) * len(uncertain) + 1 and w.sum() == pytest.approx(1.0)
        assert gov.types[0] is gov.opponent_preferences  # the estimate itself
        field = {"us": "relief_value_factor", "japan": "onshore_value_per_usd"}[gov.key]
        logs = np.log([getattr(t, field) / getattr(gov.types[0], field) for t in gov.types])
        assert float(w @ logs) == pytest.approx(0.0, abs=1e-12)
        assert float(w @ logs**2) == pytest.approx(sigma**2, rel=1e-9)
        assert float(w @ logs**4) == pytest.approx(3 * sigma**4, rel=1e-9)  # (Gauss–Hermite: exact to the fifth)
    exact = model("protocol.information=complete")
    assert len(exact.counterpart.types) == 1 and len(model("protocol.belief_noise=0").principal.types) == 1


def test_a_screening_offer_is_the_best_in_expectation_over_the_types():
    """Its offer maximises Σ_k w_k·[A_jk·u_j + (1 − A_jk)·V_k] over the SPE offers to each type."""
    m = model()
    for gov, t in ((m.counterpart, 4), (m.principal, 3)):
        gov.offers_made = 1  # it has opened
        offer = gov.propose(t)
        candidates = []
        for k in range(len(gov.types)):
            found = gov._type_plan(k)[2].get(t)
            if found is not None:
                candidates.append(m.terms.package(found[0], gov._type_chains[k].continuous_at(t - 1, found[1])))
        values, _ = gov.expected_values(candidates, t)
        assert offer in candidates and len(set(candidates)) > 1  # the types disagree: there is a choice
        assert gov.expected_values([offer], t)[0][0] == pytest.approx(values.max(), abs=1e-9)


def test_with_one_type_the_screening_offer_is_the_spe_target():
    """Without noise the prior is the truth: the first offer after the openings is the SPE target, accepted."""
    m = model("protocol.belief_noise=0", "protocol.breakdown=conditioned")
    m.run(solve=False)
    assert m.outcome == "agreement" and m.agreement_round == 3
    fresh = model("protocol.belief_noise=0")
    assert m.agreement == fresh.principal.target(3)


def test_a_refusal_makes_the_types_likelier_to_refuse_it_likelier_by_bayes_rule():
    m = model()
    us = m.counterpart
    us.offers_made = 1
    t = 4
    offer = Offer(t, "us", "japan", us.propose(t))
    prior = us.type_weights.copy()
    refuse = np.array([us.acceptance_probability(k, offer.package, t, accept=False) for k in range(len(us.types))])
    us.learn_from_refusal(offer, Response("japan", False, "worth less than my next offer"))
    assert us.type_weights == pytest.approx(prior * refuse / (prior * refuse).sum(), rel=1e-12)
    tougher = refuse > float(prior @ refuse)  # the types more likely than average to refuse gain weight
    assert (us.type_weights[tougher] > prior[tougher]).all() and (us.type_weights[~tougher] < prior[~tougher]).all()
    assert len(us.types) > 1 and us.propose(t + 2) != offer.package  # and its next offer moves


def test_a_screening_responder_values_refusing_at_its_next_offer_as_its_offer_rule_values_it():
    """AC_next, consistent with its offers: it refuses what is worth less than d + π·(E − d), E the expected value
    over its types of the offer it would make next (so it accepts by the same reckoning it offers by)."""
    m = model()
    us = m.counterpart
    us.offers_made = 1
    t = 3
    d, keep = us.preferences.disagreement, m.survival
    nxt = us.propose(t + 1)
    expected = float(us.expected_values([nxt], t + 1)[0][0])
    assert us.next_offer_value(t) == pytest.approx(d + keep * (expected - d), rel=1e-12)
    assert expected == pytest.approx(us.screening_offer(t + 1)[1], rel=1e-12)  # the value its offer rule saw
    assert expected < us.utility_of(nxt, t + 1)  # it is not sure its next offer will be taken
    good = Offer(t, "japan", "us", nxt)  # its own next offer, a round early: worth more than waiting for it
    assert us.respond(good).accepted
    worse = Offer(t, "japan", "us", replace(nxt, tariff_rates=(0.10, 0.10)))
    assert us.utility_of(worse.package, t) < us.next_offer_value(t) and not us.respond(worse).accepted


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
    m = clock_model()
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
    m = clock_model()
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


def test_a_change_of_beliefs_redoes_the_plan():
    """After a lenders' refusal or a refused target, the plan is the one made afresh under the new beliefs."""
    m, fresh = clock_model(), clock_model()
    us, new = m.counterpart, fresh.counterpart
    t = 2
    refused_package = Package(0.8, 0.9, (0.2, 0.1))
    us.learn_from_refusal(Offer(t, "us", "japan", refused_package), Response("japan", False, "not funded"))
    new.threshold_low, new.threshold_high = us.threshold_low, us.threshold_high
    new._forget(preferences_moved=False)
    assert us.plan() == pytest.approx(new.plan(), rel=1e-12) and us.target(t) == new.target(t)
    assert us.fundable(us.target(t))  # its new target is one it believes funded
    # a refused target: the errors halve and the opponent's utility moves; the plan follows them
    m, fresh = clock_model(), clock_model()
    us, new = m.counterpart, fresh.counterpart
    before = dict(us.plan())
    refusal = Response("japan", False, "worth less than my next offer")
    us.learn_from_refusal(Offer(t, "us", "japan", us.target(t)), refusal)
    new.errors = us.errors
    new.form_beliefs(us.opponent_preferences, False)
    assert us.plan() != pytest.approx(before, rel=1e-6)  # the beliefs moved the plan …
    assert us.plan() == pytest.approx(new.plan(), rel=1e-12) and us.target(t) == new.target(t)  # … as planned afresh


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
