"""JBIC, Japan's state lender: funds the deemed allocation only if it earns its cost of funds and margin.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    cost_of_funds_per_year: assumption, JBIC's dollar funding near 6-month SOFR (FACTS.md: the MOU's
        interest is "6-month SOFR + spread").
    required_margin_per_year: assumption, JBIC's lending spread over its funding.
    project_failure_probability, recovery_fraction: assumptions in ``[deal]`` (shared with NEXI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import mesa

from agents.base import Actor
from negotiation.economics import ProfitStreams
from negotiation.issues import Package, Response


@dataclass(frozen=True)
class LenderTerms:
    """What JBIC weighs per $ of equity: its hurdle rate and what NEXI's cover costs it."""

    hurdle_rate_per_year: float
    nexi_cost_per_usd: float  # NEXI's loading on the expected claims it covers, PV per $ of equity

    def npv_per_usd(self, streams: ProfitStreams, us_share: float) -> float:
        """JBIC's expected NPV per $ of equity: Japan's part of the profits at the hurdle, less 1 and cover.

        NPV(s) = profits_J(s; h) − 1 − λ·p·(1 − R)·c·e^(−h·b): the cover NEXI sells at its loaded price
        pays the expected claims, so only the loading is a cost to JBIC.
        """
        return float(streams.japan_value(us_share, self.hurdle_rate_per_year)) - 1.0 - self.nexi_cost_per_usd

    def fundable_share(self, streams: ProfitStreams) -> float:
        """The highest US share JBIC funds (NPV ≥ 0); −1 if it funds none, 1 if all.

        Japan's part of the profits is affine in the US share, so NPV(s) = NPV(0) − s·(NPV(0) − NPV(1)) and
        the limit is its root, nudged down (by a few ulps at most) until NPV is not negative in floating point.
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


class JBIC(Actor):
    """JBIC (Level II ratifier): lends the deemed allocation if its expected NPV at its hurdle is ≥ 0.

    Its participation constraint is derived from its own parameters, not a minimum share: with the
    two-phase rule the recoup phase repays principal and interest first, so what is left to decide is
    whether Japan's part after recoup covers expected losses on failed projects, JBIC's margin over the
    recoup rate, and NEXI's loading (Putnam 1988: a Level-II win-set).
    """

    key: ClassVar[str] = "jbic"
    name: ClassVar[str] = "JBIC"
    traits: ClassVar[dict[str, Any]] = {"role": "lender", "side": "japan", "has_veto": True,
                                        "proposes": False, "stochastic": False}

    def __init__(self, model: mesa.Model, terms: LenderTerms, streams: ProfitStreams, equity_usd_bn: float):
        super().__init__(model)
        self.terms = terms
        self.streams = streams
        self.equity_usd_bn = equity_usd_bn
        self.fundable_share = terms.fundable_share(streams)

    def respond(self, package: Package) -> Response:
        """Fund the package or say no."""
        if self.terms.npv_per_usd(self.streams, package.us_profit_share) >= -1e-12:
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """JBIC's expected NPV in $bn at the agreed package (0 with no deal)."""
        if package is None:
            return 0.0
        return self.equity_usd_bn * self.terms.npv_per_usd(self.streams, package.us_profit_share)


def nexi_cost_per_usd(loading: float, coverage_fraction: float, streams: ProfitStreams, rate: float) -> float:
    """NEXI's loading on the expected claims it covers, PV per $ of equity: λ·p·(1 − R)·c·e^(−r·b)."""
    expected_claims = streams.failure_probability * (1.0 - streams.recovery_fraction) * coverage_fraction
    return loading * expected_claims * math.exp(-rate * streams.build_years)
