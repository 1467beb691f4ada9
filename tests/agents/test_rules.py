"""Each behaviour rule of the governments, made to fire against a fixed counterpart: a test that fails when the
rule is removed (offer: Faratin's concession curve, how far an offer concedes along it, the no-retraction box;
accept: AC_next with the acceptance belief and the lenders' veto; learn: the lenders' limit, the principal's
offers, errors and acceptance belief, and the plan redone when beliefs move). scripts/mutants.py checks that
each rule's mutant makes one of them fail; the ratifiers' and the investor's rules are in test_ratifiers.py."""

from dataclasses import replace
from pathlib import Path

import pytest

from agents.bargaining import BeliefErrors, faratin_alpha
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


@pytest.mark.parametrize("beta", [0.2, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("kappa", [0.0, 0.3])
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
    m = model()
    gov = m.governments[key]
    gov.offers_made = 1  # it has opened
    t_max = m.concession_rounds
    rounds = [t for t in range(2, t_max) if m.proposer_in(t) == key]
    assert rounds
    for t in rounds:
        start, goal = gov.utility_of(gov.opening_in(t), t), gov.utility_of(gov.target(t), t)
        assert start > goal + 1.0  # room to concede
        alpha = (t / t_max) ** (1.0 / gov.concession_beta)
        assert gov.utility_of(gov.propose(t), t) == pytest.approx(start + alpha * (goal - start), abs=1e-9)


def test_the_first_offer_is_the_opening_and_complete_information_offers_the_target():
    m = model()
    assert m.principal.propose(1) == m.principal.opening == Package(0.5, 1.0)
    c = model("protocol.information=complete")
    assert c.principal.propose(1) == c.principal.target(1)


def test_no_retraction_keeps_every_plan_between_the_openings():
    m = model("protocol.information=complete")
    assert m.share_range() == (0.5, 0.9)
    assert all(0.5 <= p.us_profit_share <= 0.9 for p in m.counterpart._targets.values() or [m.counterpart.target(2)])
    free = model("protocol.information=complete", "protocol.no_retraction=false")
    assert free.share_range() == (0.0, 1.0) and free.counterpart.target(2).us_profit_share > 0.9


# --- accept -----------------------------------------------------------------------------------------------

def test_ac_next_accepts_what_beats_its_next_offer_and_refuses_what_does_not():
    m = model("protocol.information=complete")
    us = m.counterpart
    t = 1
    threshold = us.next_offer_value(t)
    target = us.target(2)
    rich = Offer(t, "japan", "us", target)  # what it would ask next round, a round early: worth more
    assert us.utility_of(target, t) >= threshold and us.respond(rich).accepted
    poor = Offer(t, "japan", "us", Package(0.5, 1.0))  # Japan's opening
    assert us.utility_of(poor.package, t) < threshold and not us.respond(poor).accepted


def test_the_acceptance_belief_makes_a_government_take_an_offer_it_would_otherwise_haggle_over():
    m = model()
    us = m.counterpart
    t = next(k for k in range(m.concession_rounds + 1, m.max_rounds) if m.proposer_in(k) == "japan")  # conceded
    own_next = us.target(t + 1)
    offer = Offer(t, "japan", "us", Package(0.9, min(own_next.relief_fraction + 0.02, 1.0)))  # a little more relief
    assert not us.respond(offer).accepted  # sure its next offer will be taken, it refuses
    us.acceptance_belief = 0.0  # its targets keep being refused: it expects the same offer again instead
    assert us.respond(offer).accepted


def test_the_principal_refuses_what_its_lenders_will_not_fund_however_good():
    m = model("agents.jbic.state_backing_usd_bn=0")
    japan = m.principal
    offer = Offer(2, "us", "japan", Package(0.5, 1.0))  # its own opening
    ratification = japan.ratify(offer.package)
    assert not all(r.accepted for r in ratification)
    answer = japan.respond(offer, ratification)
    assert not answer.accepted and answer.reason == "not funded"


# --- learn ------------------------------------------------------------------------------------------------

def test_a_lenders_refusal_caps_what_the_counterpart_believes_fundable():
    m = model()
    us = m.counterpart
    before = us.believed_fundable_share
    offer = Offer(2, "us", "japan", Package(0.8, 0.0))
    us.learn_from_refusal(offer, Response("japan", False, "not funded"))
    assert us.believed_fundable_share < 0.8 <= before


def test_an_offer_by_the_principal_floors_the_counterparts_belief():
    m = model()
    us = m.counterpart
    us.fundable_share_prior, us.fundable_share_floor = 0.3, 0.0
    us.learn_from_offer(Offer(1, "japan", "us", Package(0.6, 1.0)))
    assert us.believed_fundable_share == pytest.approx(0.6)
    us.learn_from_offer(Offer(3, "us", "japan", Package(0.95, 1.0)))  # its own offers teach it nothing
    assert us.believed_fundable_share == pytest.approx(0.6)


def test_a_refused_target_halves_the_errors_and_the_acceptance_belief():
    m = model()
    us = m.counterpart
    us.errors = replace(us.errors, principal_relief_value=4.0)
    t = 2
    target = us.target(t)
    us.learn_from_refusal(Offer(t, "us", "japan", target), Response("japan", False, "worth less than my next offer"))
    assert us.errors.principal_relief_value == pytest.approx(2.0)
    assert us.acceptance_belief == 0.5
    assert us.opponent_preferences.cost_weights[0] == pytest.approx(m.principal.preferences.cost_weights[0] * 2.0)
    other = Offer(t, "us", "japan", Package(0.9, 0.0))  # not its target: nothing learnt
    us.learn_from_refusal(other, Response("japan", False, "worth less than my next offer"))
    assert us.acceptance_belief == 0.5


def test_a_change_of_beliefs_redoes_the_plan():
    """After a lenders' refusal or a refused target, the plan is the one made afresh under the new beliefs."""
    m, fresh = model(), model()
    us, new = m.counterpart, fresh.counterpart
    t = 2
    assert us.target(t).us_profit_share > 0.8  # planned under its prior: the lenders fund 0.9
    us.learn_from_refusal(Offer(t, "us", "japan", Package(0.8, 0.0)), Response("japan", False, "not funded"))
    assert us.target(t).us_profit_share <= us.believed_fundable_share < 0.8
    new.fundable_share_ceiling, new.fundable_share_floor = us.fundable_share_ceiling, us.fundable_share_floor
    assert us.plan() == pytest.approx(new.plan(), rel=1e-12) and us.target(t) == new.target(t)
    # a refused target: the errors halve and the opponent's planes move; the plan follows them
    m, fresh = model(), model()
    us, new = m.counterpart, fresh.counterpart
    before = dict(us.plan())
    refused = Response("japan", False, "worth less than my next offer")
    us.learn_from_refusal(Offer(t, "us", "japan", us.target(t)), refused)
    new.errors = us.errors
    new.form_beliefs(us.opponent_preferences, new.fundable_share_prior, False)
    assert us.plan() != pytest.approx(before, rel=1e-6)  # the beliefs moved the plan …
    assert us.plan() == pytest.approx(new.plan(), rel=1e-12) and us.target(t) == new.target(t)  # … as planned afresh


def test_belief_errors_are_drawn_in_their_declared_order_from_the_models_rng():
    import numpy as np

    a = BeliefErrors.draw(np.random.default_rng(5), 0.2)
    rng = np.random.default_rng(5)
    b = [float(np.exp(0.2 * rng.standard_normal())) for _ in range(7)]
    assert list(vars(a).values()) == pytest.approx(b)
    assert BeliefErrors.draw(np.random.default_rng(5), 0.0) == BeliefErrors(*([1.0] * 7))
