"""The contract every actor keeps (Axelrod's TestPlayer): built from the scenario by its role, traits that the
model and views read, utilities at no deal and at the agreement, offers within what the protocol allows, and
a seeded run that replays exactly."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import seeds

from agents import ROLES
from agents.bargaining import Government
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [ROOT / "runs" / "baseline.toml", ROOT / "runs" / "scenarios" / "second_country.toml"]
TRAITS = {"level", "proposes", "ratifies", "has_veto", "stochastic"}


def model(path=SCENARIOS[0], seed=0, *sets):
    return NegotiationModel(load_scenario(path, list(sets)), rng=seed, collect_data=False)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_each_actor_is_built_by_its_role_and_declares_its_traits(path):
    m = model(path)
    spec = m.spec
    for actor in m.actors():
        assert type(actor) is ROLES[spec.agents[actor.key].role]
        assert actor.role == spec.agents[actor.key].role and actor.name == spec.agents[actor.key].name
        assert TRAITS <= set(actor.traits)
    # the model reads the traits: who proposes, who ratifies
    assert {a.key for a in m.actors() if a.traits["proposes"]} == set(m.governments)
    assert [a.key for a in m.actors() if a.traits["ratifies"]] == [r.key for r in m.principal.ratifiers]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_utilities_are_gains_over_no_deal(path):
    m = model(path)
    r = m.run(solve=False)
    for actor in m.actors():
        assert actor.outcome_utility(None) == 0.0
        assert actor.reservation_utility() == 0.0
        assert np.isfinite(actor.outcome_utility(r.package))
        assert isinstance(actor.stance(r.package), str)


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_every_offer_lies_within_the_openings_and_the_lenders_limit(seed):
    m = model(seed=seed)
    s_lo, s_hi = m.share_range()
    while m.running:
        m.step()
    for offer in m.offers:
        assert s_lo - 1e-12 <= offer.package.us_profit_share <= min(s_hi, m.fundable_share) + 1e-12
        assert 0.0 <= offer.package.relief_fraction <= 1.0


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_a_seeded_clone_replays_exactly(seed):
    def path(m):
        m.run(solve=False)
        return [(o.round, o.proposer, o.package) for o in m.offers], [rs for rs in m.responses]

    assert path(model(seed=seed)) == path(model(seed=seed))


def test_governments_plan_and_accept_by_the_same_contract():
    m = model()
    for gov in m.governments.values():
        assert isinstance(gov, Government)
        assert gov.plan() and all(isinstance(v, float) for v in gov.plan().values())
        target = gov.target(1 if m.proposer_in(1) == gov.key else 2)
        assert target is not None and gov.fundable(target)
