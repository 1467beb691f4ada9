"""A state lender (JBIC in the baseline): funds the deemed allocation only if it earns its cost of funds and margin.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    cost_of_funds_per_year: FACTS jbic-funding-spread (JBIC's dollar bonds, about 4.6%).
    required_margin_per_year: assumption, the lender's spread over its funding.
    state_backing_usd_bn: FACTS nexi-capital, filp-fy2026 (the budget's new backing); an assumption on how
        much expected loss the government stands behind.
    the projects' failure rates and recoveries: ``[deal.projects.*]`` (FACTS pf-default-recovery).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import mesa

from agents.contract import Actor
from negotiation.economics import Portfolio
from negotiation.issues import Package, Response
from negotiation.scenario import LenderParams, given

if TYPE_CHECKING:
    from agents.bargaining import BeliefErrors
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class LenderTerms:
    """What the lender weighs per $ of equity: its hurdle rate and what its insurer's cover costs it."""

    hurdle_rate_per_year: float
    cover_cost_per_usd: float  # the insurer's loading on the expected claims it covers, PV per $ of equity

    backing_per_usd: float = 0.0  # the state's backing, per $ of equity

    def npv_per_usd(self, portfolio: Portfolio, us_share: float) -> float:
        """Expected NPV per $ of equity: what the principal receives at the hurdle, less 1 and the cover, plus backing.

        NPV(s) = W(h) − s·A(h) − 1 − λ·Σ p(1 − R)·c·e^(−h·b) + B/E: the cover the insurer sells at its loaded
        price pays the expected claims, so only the loading is a cost to the lender.
        """
        whole, after = portfolio.principal_values(self.hurdle_rate_per_year)
        return float(whole - us_share * after) - 1.0 - self.cover_cost_per_usd + self.backing_per_usd

    def fundable_share(self, portfolio: Portfolio) -> float:
        """The highest US share the lender funds (NPV ≥ 0); −1 if it funds none, 1 if all.

        NPV is affine in the US share, so NPV(s) = NPV(0) − s·(NPV(0) − NPV(1)) and the limit is its root,
        nudged down (by a few ulps at most) until NPV is not negative in floating point.
        """
        at_zero, at_one = self.npv_per_usd(portfolio, 0.0), self.npv_per_usd(portfolio, 1.0)
        if at_zero < 0:
            return -1.0
        if at_one >= 0:
            return 1.0
        share = at_zero / (at_zero - at_one)
        while share > 0 and self.npv_per_usd(portfolio, share) < 0:
            share = math.nextafter(share, 0.0)
        return share


class Lender(Actor):
    """A state lender (Level II ratifier): lends the deemed allocation if its expected NPV at its hurdle is ≥ 0.

    Its participation constraint is derived from its own parameters, not a minimum share: the principal's
    part of the profits, at the lender's cost of funds plus margin, must repay the equity, the insurer's
    loading and the expected losses the state does not stand behind (Putnam 1988: a Level-II win-set). At
    realistic project yields the principal never recoups, the post-recoup share then costs the lender
    nothing, and the constraint decides whether a deal can be funded at all rather than where the share
    lands.
    """

    role: ClassVar[str] = "lender"
    traits: ClassVar[dict[str, Any]] = {"level": "II", "has_veto": True, "proposes": False, "ratifies": True,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, cost_of_funds_per_year: float,
                 required_margin_per_year: float, portfolio: Portfolio, equity_usd_bn: float,
                 insurer: Any = None, state_backing_usd_bn: float = 0.0) -> None:
        super().__init__(model, key, name)
        self.cost_of_funds_per_year = cost_of_funds_per_year
        self.required_margin_per_year = required_margin_per_year
        self.portfolio = portfolio
        self.equity_usd_bn = equity_usd_bn
        self.insurer = insurer
        self.state_backing_usd_bn = state_backing_usd_bn
        self.terms = self.terms_seen_with(1.0, 1.0)
        self.fundable_share = self.terms.fundable_share(portfolio)
        if insurer is not None:
            insurer.sell_cover(equity_usd_bn * self.terms.cover_cost_per_usd)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Lender:
        """From ``agents.<key>`` and the deal's profit streams; it buys cover from the scenario's insurer."""
        params = spec.table(key, LenderParams)
        insurer = model.insurers[0] if model.insurers else None
        return cls(model, key, params.name, given(params.cost_of_funds_per_year),
                   given(params.required_margin_per_year), model.portfolio, model.equity_usd_bn, insurer,
                   params.state_backing_usd_bn)

    def terms_seen_with(self, margin_factor: float, failure_factor: float) -> LenderTerms:
        """Its hurdle and cover cost as someone whose beliefs scale its margin and the failure rate sees them."""
        hurdle = self.cost_of_funds_per_year + self.required_margin_per_year * margin_factor
        cover = 0.0 if self.insurer is None else self.insurer.cover_cost_per_usd(self.portfolio, hurdle,
                                                                                 failure_factor)
        backing = self.state_backing_usd_bn / self.equity_usd_bn if self.equity_usd_bn > 0 else 0.0
        return LenderTerms(hurdle, cover, backing)

    def fundable_share_seen_with(self, errors: BeliefErrors) -> float:
        """The limit the counterpart believes, with its errors on the margin and the failure rate."""
        return self.terms_seen_with(errors.lender_margin, errors.lender_failure).fundable_share(self.portfolio)

    def respond(self, package: Package) -> Response:
        """Fund the package or say no."""
        if self.terms.npv_per_usd(self.portfolio, package.us_profit_share) >= -1e-12:
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """Expected NPV in $bn at the agreed package, the state's backing included (0 with no deal)."""
        if package is None:
            return 0.0
        return self.equity_usd_bn * self.terms.npv_per_usd(self.portfolio, package.us_profit_share)

    def stance(self, package: Package | None) -> str:
        """Whether it would fund the package."""
        if package is None:
            return "—"
        return "would fund" if self.respond(package).accepted else "would NOT fund"
