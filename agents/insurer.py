"""The principal's export-credit insurer (NEXI in the baseline): guarantees what fits its capacity at a premium.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    capacity_usd_bn: FACTS nexi-capacity (¥40–50t of underwriting capacity).
    guaranteed_fraction_of_fund: assumption, the part of the package it guarantees.
    coverage_fraction, loading: assumptions, the share of a failed project's loss it covers and its premium
        loading over expected claims.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.contract import Actor
from negotiation.economics import Portfolio
from negotiation.issues import Package, Response
from negotiation.scenario import InsurerParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


class Insurer(Actor):
    """The insurer (Level II ratifier): guarantees the package if its exposure fits its capacity.

    It prices cover at (1 + loading) × expected claims, so every guarantee it writes pays its expected
    losses; its answer to an offer is then whether the exposure (guaranteed loans plus the covered part of
    the equity) fits within its capacity. Its utility is the loading it earns on the cover it sells.
    """

    role: ClassVar[str] = "insurer"
    traits: ClassVar[dict[str, Any]] = {"level": "II", "has_veto": True, "proposes": False, "ratifies": True,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, exposure_usd_bn: float, capacity_usd_bn: float,
                 coverage_fraction: float, loading: float) -> None:
        super().__init__(model, key, name)
        self.exposure_usd_bn = exposure_usd_bn
        self.capacity_usd_bn = capacity_usd_bn
        self.coverage_fraction = coverage_fraction
        self.loading = loading
        self.loading_income_usd_bn = 0.0  # set when a lender buys cover (sell_cover)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Insurer:
        """Exposure from the part of the fund it guarantees and the covered part of the equity."""
        params, deal = spec.table(key, InsurerParams), spec.deal
        table: Any = model
        coverage = given(params.coverage_fraction)
        exposure = (given(params.guaranteed_fraction_of_fund) * given(deal.fund_usd_bn)
                    + coverage * table.equity_usd_bn)
        return cls(model, key, params.name, exposure, given(params.capacity_usd_bn), coverage,
                   given(params.loading))

    def cover_cost_per_usd(self, portfolio: Portfolio, rate: float, failure_factor: float = 1.0) -> float:
        """Its loading on the expected claims it covers, PV per $ of equity: λ·Σ w·p·(1 − R)·c·e^(−r·b).

        ``failure_factor`` scales the failure probabilities (capped at 0.99), as a lender's belief might.
        """
        claims = 0.0
        for w, c in zip(portfolio.weights, portfolio.classes, strict=True):
            p = min(c.failure_probability * failure_factor, 0.99)
            claims += w * p * (1.0 - c.recovery_fraction) * math.exp(-rate * c.build_years)
        return self.loading * self.coverage_fraction * claims

    def sell_cover(self, loading_income_usd_bn: float) -> None:
        """A lender buys cover: the insurer earns its loading on it."""
        self.loading_income_usd_bn = loading_income_usd_bn

    @property
    def within_capacity(self) -> bool:
        """Whether the exposure the package asks of it fits its capacity."""
        return self.exposure_usd_bn <= self.capacity_usd_bn

    def funds(self, q: Any, s: Any) -> Any:
        """Whether it guarantees each (q, s): its exposure does not depend on the shares."""
        return np.full(np.shape(q), self.within_capacity, dtype=bool)

    def limit_if_none_funded(self, q: Any, s: Any) -> str | None:
        """Why it guarantees none of the options, in words, with its limit; ``None`` if it guarantees them."""
        if self.within_capacity:
            return None
        over = self.exposure_usd_bn - self.capacity_usd_bn
        return (f"{self.name} guarantees nothing (its exposure, ${self.exposure_usd_bn:,.0f}bn, is over its capacity, "
                f"${self.capacity_usd_bn:,.0f}bn: ${over:,.0f}bn more capacity, or that much less exposure, would do)")

    def respond(self, package: Package) -> Response:
        """Guarantee the package or say no."""
        if self.within_capacity:
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """Expected profit in $bn (the loading on its expected claims), 0 with no deal."""
        return 0.0 if package is None else self.loading_income_usd_bn

    def stance(self, package: Package | None) -> str:
        """Whether it would guarantee the package."""
        if package is None:
            return "—"
        return "would fund" if self.respond(package).accepted else "would NOT fund"
