"""Each rule of the principal's Level-II ratifiers (its lenders and insurer) and of the investor, made to fire: a
test that fails when the rule is removed or changed (scripts/mutants.py checks that each one does).

Insurer: it guarantees while its exposure, guaranteed part of the fund plus covered part of the equity, is
within its capacity, and refuses otherwise, which leaves no package fundable. Lenders: each funds a package
where its NPV at its hurdle, after the insurer's loading on the claims it covers, is not negative; the
principal signs only what every lender funds, so the strictest binds, for the principal and in the
counterpart's beliefs. Investor: its build answers the cut on its parts' rate through its cost saving over its
margin, B* = B₀·(1 + σ/μ).
"""

import math
from pathlib import Path

import numpy as np
import pytest

from agents.bargaining import BeliefErrors
from negotiation.economics import Clock
from negotiation.issues import Offer, Package
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "runs" / "baseline.toml"
TWO_LENDERS = ROOT / "runs" / "scenarios" / "two_lenders.toml"


def model(*sets, path=BASELINE, seed=3):
    return NegotiationModel(load_scenario(path, list(sets)), rng=seed, collect_data=False)


PACKAGE = Package(0.5, 0.9, (0.15, 0.10))


# --- insurer ----------------------------------------------------------------------------------------------

def test_an_insurer_guarantees_while_its_exposure_is_within_its_capacity_and_refuses_beyond_it():
    m = model()
    deal, nexi = m.spec.deal, m.insurers[0]
    params = m.spec.agents["nexi"]
    exposure = (params.guaranteed_fraction_of_fund * deal.fund_usd_bn
                + params.coverage_fraction * deal.fund_usd_bn * deal.equity_fraction)  # g·F + c·E
    assert nexi.exposure_usd_bn == pytest.approx(exposure, rel=1e-12)
    at = model(f"agents.nexi.capacity_usd_bn={nexi.exposure_usd_bn!r}")  # exactly full: still guarantees
    assert at.insurers[0].respond(PACKAGE).accepted and at.principal.funded_options.any()
    over = model(f"agents.nexi.capacity_usd_bn={math.nextafter(nexi.exposure_usd_bn, 0.0)!r}")
    answer = over.insurers[0].respond(PACKAGE)
    assert not answer.accepted and answer.reason == "not funded"
    assert over.lenders[0].respond(PACKAGE).accepted  # the lender alone would fund it …
    assert over.fundable_share is None and not over.principal.funded_options.any()  # … but nothing can be signed
    assert not over.counterpart.believed_fundable().any() and not over.counterpart.fundable(PACKAGE)  # the US knows
    refused = over.principal.respond(Offer(2, "us", "japan", PACKAGE), over.principal.ratify(PACKAGE))
    assert not refused.accepted and refused.reason == "not funded"


# --- lenders ----------------------------------------------------------------------------------------------

def test_the_lenders_npv_includes_the_cost_of_the_insurers_cover():
    m = model()
    jbic, portfolio = m.lenders[0], m.portfolio
    lender, insurer = m.spec.agents["jbic"], m.spec.agents["nexi"]
    h = lender.cost_of_funds_per_year + lender.required_margin_per_year
    claims = sum(w * c.failure_probability * (1.0 - c.recovery_fraction) * math.exp(-h * c.build_years)
                 for w, c in zip(portfolio.weights, portfolio.classes, strict=True))
    cover = insurer.loading * insurer.coverage_fraction * claims  # λ·c·Σ w·p·(1 − R)·e^(−h·b), per $ of equity
    assert cover > 1e-3  # large enough to matter
    backing = lender.state_backing_usd_bn / m.equity_usd_bn
    for q, s in ((0.0, 0.0), (0.5, 0.9), (0.9, 0.9), (1.0, 1.0)):
        v = portfolio.values(Clock(h), 0.0, 0.0, q)
        expected = (1 - q) * float(v.before) + (1 - s) * float(v.after) + float(v.recovery) - 1.0 - cover + backing
        assert float(jbic.terms.npv_per_usd(portfolio, q, s)) == pytest.approx(expected, rel=1e-12)
    dearer = model("agents.nexi.loading=0.4")  # twice the loading: the cover costs the lender twice as much
    drop = float(jbic.terms.npv_per_usd(portfolio, 0.5, 0.9) - dearer.lenders[0].terms.npv_per_usd(dearer.portfolio,
                                                                                                  0.5, 0.9))
    assert drop == pytest.approx(cover, rel=1e-9)
    assert m.insurers[0].loading_income_usd_bn == pytest.approx(m.equity_usd_bn * cover, rel=1e-12)


def test_a_lender_funds_a_package_exactly_where_its_npv_is_not_negative():
    m = model()
    jbic = m.lenders[0]
    limit = jbic.terms.one_share_limit(jbic.portfolio)
    assert limit is not None and 0.0 < limit < 1.0
    assert float(jbic.terms.npv_per_usd(m.portfolio, limit, limit)) >= -1e-12
    assert float(jbic.terms.npv_per_usd(m.portfolio, limit + 1e-6, limit + 1e-6)) < 0.0
    assert jbic.respond(Package.one_share(limit, (0.15, 0.1))).accepted
    assert not jbic.respond(Package.one_share(min(limit + 1e-6, 1.0), (0.15, 0.1))).accepted
    funds = jbic.funds(m.terms.q, m.terms.s)
    npv = jbic.terms.npv_per_usd(m.portfolio, m.terms.q, m.terms.s)
    assert (funds == (npv >= -1e-12)).all() and funds.any() and not funds.all()


def test_with_two_lenders_the_strictest_limit_binds():
    m = model(path=TWO_LENDERS)
    strict, loose = sorted(m.lenders, key=lambda lender: lender.terms.one_share_limit(lender.portfolio))
    s_limit, l_limit = (lender.terms.one_share_limit(lender.portfolio) for lender in (strict, loose))
    assert 0.5 < s_limit < l_limit < 1.0  # two distinct limits, both above Japan's claim
    assert m.fundable_share == s_limit
    between = Package.one_share(0.5 * (s_limit + l_limit), (0.15, 0.1))
    answers = {r.actor: r for r in m.principal.ratify(between)}
    assert not answers[strict.key].accepted and answers[loose.key].accepted
    refused = m.principal.respond(Offer(2, "us", "japan", between), tuple(answers.values()))
    assert not refused.accepted and refused.reason == "not funded"
    assert all(r.accepted for r in m.principal.ratify(Package.one_share(s_limit, (0.15, 0.1))))
    both = strict.funds(m.terms.q, m.terms.s) & loose.funds(m.terms.q, m.terms.s)
    assert (m.principal.funded_options == both).all()


def test_the_counterpart_believes_the_strictest_lender_as_it_sees_each_one():
    m = model(path=TWO_LENDERS)
    us = m.counterpart
    us.lender_errors = (1.5, 0.8)
    q, s = m.terms.q, m.terms.s
    seen = [lender.terms_seen_with(1.5, 0.8).npv_per_usd(lender.portfolio, q, s) for lender in m.lenders]
    assert np.allclose(us.believed_npv(q, s), np.minimum(*seen))
    errors = BeliefErrors(1.0, 1.0, 1.0, 1.0, 1.0, lender_margin=1.5, lender_failure=0.8)
    assert us.errors is not None and errors.lender_margin == 1.5


# --- investor ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("margin", [0.25, 0.6, 2.0, 4.0])
def test_the_investors_build_rises_with_relief_by_its_cost_saving_over_its_margin(margin):
    m = model(f"agents.tsmc.margin_per_usd={margin}")
    tsmc, params = m.investors[0], m.spec.agents["tsmc"]
    b0, phi = params.committed_usd_bn, params.principal_parts_share
    threat = m.spec.deal.threat_rate  # its parts pay the rate on other goods, threatened
    for other_rate in (threat, 0.18, 0.10):
        package = Package(0.5, 0.9, (0.2, other_rate))
        sigma = phi * (threat - other_rate)
        assert tsmc.build_usd_bn(package) == pytest.approx(b0 * (1.0 + sigma / margin), rel=1e-12)
        k = b0 / margin  # B* maximises its profit (μ + σ)·B − B²/(2K) with K = B₀/μ

        def profit(b, sigma=sigma, k=k):
            return (margin + sigma) * b - b * b / (2.0 * k)

        best = tsmc.build_usd_bn(package)
        assert profit(best) >= max(profit(best - 1.0), profit(best + 1.0))
    assert tsmc.build_usd_bn(None) == b0
    other = [t.name for t in m.terms.continuous].index("other")
    assert m.build_per_rate[other] == pytest.approx(b0 * phi / margin, rel=1e-12)  # what the US sees per point
