"""A state lender (JBIC in the baseline): funds the deemed allocation only if it earns its cost of funds and margin.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    cost_of_funds_per_year: assumption, the lender's dollar funding near 6-month SOFR (docs/FACTS.md: the
        MOU's interest is "6-month SOFR + spread").
    required_margin_per_year: assumption, the lender's spread over its funding.
    project_failure_probability, recovery_fraction: assumptions in ``[deal]`` (shared with the insurer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import mesa

from agents.contract import Actor
from negotiation.economics import ProfitStreams
from negotiation.issues import Package, Response

if TYPE_CHECKING:
    from agents.bargaining import BeliefErrors
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class LenderTerms:
    """What the lender weighs per $ of equity: its hurdle rate and what its insurer's cover costs it."""

    hurdle_rate_per_year: float
    cover_cost_per_usd: float  # the insurer's loading on the expected claims it covers, PV per $ of equity

    def npv_per_usd(self, streams: ProfitStreams, us_share: float) -> float:
        """Expected NPV per $ of equity: the principal's part of the profits at the hurdle, less 1 and cover.

        NPV(s) = profits_P(s; h) − 1 − λ·p·(1 − R)·c·e^(−h·b): the cover the insurer sells at its loaded price
        pays the expected claims, so only the loading is a cost to the lender.
        """
        return float(streams.japan_value(us_share, self.hurdle_rate_per_year)) - 1.0 - self.cover_cost_per_usd

    def fundable_share(self, streams: ProfitStreams) -> float:
        """The highest US share the lender funds (NPV ≥ 0); −1 if it funds none, 1 if all.

        The principal's part of the profits is affine in the US share, so NPV(s) = NPV(0) − s·(NPV(0) − NPV(1))
        and the limit is its root, nudged down (by a few ulps at most) until NPV is not negative in floating
        point.
        """
        at_zero, at_one = self.npv_per_usd(streams, 0.0), self.npv_per_usd(streams, 1.0)
        if at_zero < 0:
            return -1.0
        if at_one >= 0:
            return 1.0
        share = at_zero / (at_zero - at_one)
        while share > 0 and self.npv_per_usd(streams, share) < 0:
            share = math.nextafter(share, 0.0)
        return share


class Lender(Actor):
    """A state lender (Level II ratifier): lends the deemed allocation if its expected NPV at its hurdle is ≥ 0.

    Its participation constraint is derived from its own parameters, not a minimum share: with the
    two-phase rule the recoup phase repays principal and interest first, so what is left to decide is
    whether the principal's part after recoup covers expected losses on failed projects, the lender's margin
    over the recoup rate, and the insurer's loading (Putnam 1988: a Level-II win-set).
    """

    role: ClassVar[str] = "lender"
    traits: ClassVar[dict[str, Any]] = {"level": "II", "has_veto": True, "proposes": False, "ratifies": True,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, cost_of_funds_per_year: float,
                 required_margin_per_year: float, streams: ProfitStreams, equity_usd_bn: float,
                 insurer: Any = None) -> None:
        super().__init__(model, key, name)
        self.cost_of_funds_per_year = cost_of_funds_per_year
        self.required_margin_per_year = required_margin_per_year
        self.streams = streams
        self.equity_usd_bn = equity_usd_bn
        self.insurer = insurer
        self.terms = self.terms_seen_with(1.0, 1.0)
        self.fundable_share = self.terms.fundable_share(streams)
        if insurer is not None:
            insurer.sell_cover(equity_usd_bn * self.terms.cover_cost_per_usd)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Lender:
        """From ``agents.<key>`` and the deal's profit streams; it buys cover from the scenario's insurer."""
        params = spec.agents[key]
        insurer = model.insurers[0] if model.insurers else None
        return cls(model, key, params.name, params.cost_of_funds_per_year, params.required_margin_per_year,
                   model.streams, model.equity_usd_bn, insurer)

    def terms_seen_with(self, margin_factor: float, failure_factor: float) -> LenderTerms:
        """Its hurdle and cover cost as someone whose beliefs scale its margin and the failure rate sees them."""
        hurdle = self.cost_of_funds_per_year + self.required_margin_per_year * margin_factor
        cover = 0.0 if self.insurer is None else self.insurer.cover_cost_per_usd(self.streams, hurdle, failure_factor)
        return LenderTerms(hurdle, cover)

    def fundable_share_seen_with(self, errors: BeliefErrors) -> float:
        """The limit the counterpart believes, with its errors on the margin and the failure rate."""
        return self.terms_seen_with(errors.lender_margin, errors.lender_failure).fundable_share(self.streams)

    def respond(self, package: Package) -> Response:
        """Fund the package or say no."""
        if self.terms.npv_per_usd(self.streams, package.us_profit_share) >= -1e-12:
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """Expected NPV in $bn at the agreed package (0 with no deal)."""
        if package is None:
            return 0.0
        return self.equity_usd_bn * self.terms.npv_per_usd(self.streams, package.us_profit_share)

    def stance(self, package: Package | None) -> str:
        """Whether it would fund the package."""
        if package is None:
            return "—"
        return "would fund" if self.respond(package).accepted else "would NOT fund"
