"""Each rule of the principal's Level-II ratifiers (its lenders and insurer) and of the investor, made to fire: a
test that fails when the rule is removed or changed (scripts/mutants.py checks that each one does).

Insurer: it guarantees while its exposure, guaranteed part of the fund plus covered part of the equity, is
within its capacity, and refuses otherwise, which leaves no share fundable. Lenders: each funds a share where
its NPV at its hurdle, after the insurer's loading on the claims it covers, is not negative; the principal
signs only what every lender funds, so the strictest limit binds, for the principal and in the counterpart's
beliefs. Investor: its build answers relief through its cost saving over its margin, B*(x) = B₀·(1 + σ(x)/μ).
"""

import math
from pathlib import Path

import pytest

from agents.bargaining import BeliefErrors
from negotiation.issues import Offer, Package
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "runs" / "baseline.toml"
TWO_LENDERS = ROOT / "runs" / "scenarios" / "two_lenders.toml"
ONE_PHASE = ROOT / "runs" / "scenarios" / "one_phase.toml"


def model(*sets, path=BASELINE, seed=3):
    return NegotiationModel(load_scenario(path, list(sets)), rng=seed, collect_data=False)


# --- insurer ----------------------------------------------------------------------------------------------

def test_an_insurer_guarantees_while_its_exposure_is_within_its_capacity_and_refuses_beyond_it():
    m = model()
    deal, nexi = m.spec.deal, m.insurers[0]
    params = m.spec.agents["nexi"]
    exposure = (params.guaranteed_fraction_of_fund * deal.fund_usd_bn
                + params.coverage_fraction * deal.fund_usd_bn * deal.equity_fraction)  # g·F + c·E
    assert nexi.exposure_usd_bn == pytest.approx(exposure, rel=1e-12)
    package = Package(0.9, 0.5)
    at = model(f"agents.nexi.capacity_usd_bn={nexi.exposure_usd_bn!r}")  # exactly full: still guarantees
    assert at.insurers[0].respond(package).accepted and at.fundable_share == 1.0
    over = model(f"agents.nexi.capacity_usd_bn={math.nextafter(nexi.exposure_usd_bn, 0.0)!r}")
    answer = over.insurers[0].respond(package)
    assert not answer.accepted and answer.reason == "not funded"
    assert over.lenders[0].respond(package).accepted  # the lender alone would fund it …
    assert over.fundable_share == -1.0  # … but the principal can sign no share at all
    assert over.principal.fundable_share_seen_with(over.counterpart.errors) == -1.0  # and the US knows it
    refused = over.principal.respond(Offer(2, "us", "japan", package), over.principal.ratify(package))
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
    whole, after = portfolio.principal_values(h)
    backing = lender.state_backing_usd_bn / m.equity_usd_bn
    for share in (0.0, 0.5, 0.9, 1.0):
        assert jbic.terms.npv_per_usd(portfolio, share) == pytest.approx(whole - share * after - 1.0 - cover + backing,
                                                                         rel=1e-12)
    dearer = model("agents.nexi.loading=0.4")  # twice the loading: the cover costs the lender twice as much
    drop = jbic.terms.npv_per_usd(portfolio, 0.9) - dearer.lenders[0].terms.npv_per_usd(dearer.portfolio, 0.9)
    assert drop == pytest.approx(cover, rel=1e-9)
    assert m.insurers[0].loading_income_usd_bn == pytest.approx(m.equity_usd_bn * cover, rel=1e-12)


def test_a_lender_funds_a_share_exactly_where_its_npv_is_not_negative():
    m = model(path=ONE_PHASE)  # one phase: the share reaches the lender's NPV, and its limit is inside (0, 1)
    jbic = m.lenders[0]
    limit = jbic.fundable_share
    assert 0.0 < limit < 1.0
    assert jbic.terms.npv_per_usd(m.portfolio, limit) >= 0.0 > jbic.terms.npv_per_usd(m.portfolio, limit + 1e-6)
    assert jbic.respond(Package(limit, 0.0)).accepted
    assert not jbic.respond(Package(limit + 1e-6, 0.0)).accepted


def test_with_two_lenders_the_strictest_limit_binds():
    m = model(path=TWO_LENDERS)
    strict, loose = sorted(m.lenders, key=lambda lender: lender.fundable_share)
    assert 0.5 < strict.fundable_share < loose.fundable_share < 1.0  # two distinct limits, both inside the box
    assert m.fundable_share == m.principal.fundable_share == strict.fundable_share
    between = Package(0.5 * (strict.fundable_share + loose.fundable_share), 0.5)
    answers = {r.actor: r for r in m.principal.ratify(between)}
    assert not answers[strict.key].accepted and answers[loose.key].accepted
    refused = m.principal.respond(Offer(2, "us", "japan", between), tuple(answers.values()))
    assert not refused.accepted and refused.reason == "not funded"
    assert all(r.accepted for r in m.principal.ratify(Package(strict.fundable_share, 0.5)))  # at the limit: funded


def test_the_counterpart_believes_the_strictest_lenders_limit_as_it_sees_each_lender():
    m = model(path=TWO_LENDERS)
    errors = BeliefErrors(1.0, 1.0, 1.0, 1.0, 1.0, lender_margin=1.5, lender_failure=0.8)
    seen = sorted(lender.fundable_share_seen_with(errors) for lender in m.lenders)
    assert seen[0] < seen[1]
    assert m.principal.fundable_share_seen_with(errors) == seen[0]
    us = m.counterpart  # its prior, formed with this run's errors, is the strictest limit it sees
    assert us.fundable_share_prior == min(lender.fundable_share_seen_with(us.errors) for lender in m.lenders)


# --- investor ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("margin", [0.25, 0.6, 2.0, 4.0])
def test_the_investors_build_rises_with_relief_by_its_cost_saving_over_its_margin(margin):
    m = model(f"agents.tsmc.margin_per_usd={margin}")
    tsmc, params = m.investors[0], m.spec.agents["tsmc"]
    b0, phi = params.committed_usd_bn, params.principal_parts_share
    cut = m.spec.deal.threat_rate - m.spec.deal.floor_rate  # the tariff cut on its parts at full relief
    for x in (0.0, 0.3, 1.0):
        sigma = x * phi * cut
        assert float(tsmc.build_usd_bn(x)) == pytest.approx(b0 * (1.0 + sigma / margin), rel=1e-12)
        k = b0 / margin  # B*(x) maximises its profit (μ + σ)·B − B²/(2K) with K = B₀/μ

        def profit(b, sigma=sigma, k=k):
            return (margin + sigma) * b - b * b / (2.0 * k)

        best = float(tsmc.build_usd_bn(x))
        assert profit(best) >= max(profit(best - 1.0), profit(best + 1.0))
    assert float(m.onshore_build_usd_bn(1.0)) == pytest.approx(b0 * phi * cut / margin, rel=1e-12)  # what the US sees
