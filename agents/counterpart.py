"""The counterpart government (the US in the baseline): it sets the tariff and wants a share of the profits.

It values equity-related profits and investment on its soil, and gives up tariff revenue when it grants
relief. It does not know the principal's lenders' limit: it believes one, and learns from the principal's
offers (the principal only proposes what its lenders fund) and from the lenders' refusals.

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``):
    discount_rate_per_year: assumption, the 10-year Treasury yield in 2025 (about 4.3%).
    onshore_value_per_usd: assumption, the value the administration puts on a dollar invested onshore.
    relief_cost_weight: assumption, the weight on forgone duty (part is paid by US buyers, docs/FACTS.md).
    duty_at_stake_usd_bn_per_year: docs/FACTS.md, "direct duty saved by the cut" (≈ $15bn a year).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.bargaining import BeliefErrors, Government, seen_patience
from agents.investor import no_build
from negotiation.economics import ProfitStreams, annuity, as_terms
from negotiation.issues import Offer, Package

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class CounterpartPreferences:
    """The counterpart's utility of a package, in present-value $bn at its own discount rate.

    u_C(s, x) = E·profits_C(s) + v·(F + ΔB(x)) − w·D·x·A(r, 0, T_relief)

    where E is the principal's equity in $bn, profits_C the counterpart's part of the equity-related profits
    per $ (two-phase rule included), v the value of a dollar invested onshore, F the fund, ΔB(x) the
    investors' extra build, w·D the weighted duty forgone per year and A an annuity to the end of the tariff
    regime. In the unit game (Rubinstein's), u_C = s.
    """

    affine_in_terms: ClassVar[bool] = True  # the agents work from the utility plane (tested)
    unit_surplus: bool = False
    discount_rate_per_year: float = 0.0
    equity_usd_bn: float = 0.0
    fund_usd_bn: float = 0.0
    onshore_value_per_usd: float = 0.0
    relief_cost_weight: float = 0.0
    duty_at_stake_usd_bn_per_year: float = 0.0
    relief_life_years: float = 0.0
    streams: ProfitStreams | None = None
    onshore_build_usd_bn: Callable[[Any], Any] = field(default=no_build)
    disagreement: float = 0.0

    def utility(self, us_share: Any, relief_fraction: Any, delay_years: float = 0.0) -> Any:
        """Utility (PV $bn) of each package agreed after ``delay_years``."""
        s, x = as_terms(us_share), as_terms(relief_fraction)
        if self.unit_surplus:
            return s + 0.0 * x
        r, d = self.discount_rate_per_year, delay_years
        profits = self.equity_usd_bn * self.streams.us_value(s, r, d)  # type: ignore[union-attr]
        onshore = self.onshore_value_per_usd * (self.fund_usd_bn + self.onshore_build_usd_bn(x)) * np.exp(-r * d)
        relief_cost = (self.relief_cost_weight * self.duty_at_stake_usd_bn_per_year * x
                       * annuity(r, d, self.relief_life_years))
        return profits + onshore - relief_cost

    def seen_with(self, errors: BeliefErrors) -> CounterpartPreferences:
        """These preferences as the principal believes them: its errors on the onshore value and relief cost."""
        if self.unit_surplus:
            return self
        return replace(self, onshore_value_per_usd=self.onshore_value_per_usd * errors.counterpart_onshore_value,
                       relief_cost_weight=self.relief_cost_weight * errors.counterpart_relief_cost)


class Counterpart(Government):
    """The counterpart government (Level I): proposes and accepts terms; holds the tariff threat."""

    role: ClassVar[str] = "counterpart"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "sets_tariff": True}

    @classmethod
    def ideal(cls, relief_at_stake: bool) -> Package:
        """All the profits after recoup, no relief."""
        return Package(1.0, 0.0)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Counterpart:
        """Preferences from the deal and ``agents.<key>``; patience from the cost of delay unless given."""
        params, deal = spec.agents[key], spec.deal
        if model.unit_surplus:
            preferences = CounterpartPreferences(unit_surplus=True)
        else:
            threat = deal.tariff_threat
            preferences = CounterpartPreferences(
                discount_rate_per_year=params.discount_rate_per_year, equity_usd_bn=model.equity_usd_bn,
                fund_usd_bn=deal.fund_usd_bn, onshore_value_per_usd=params.onshore_value_per_usd,
                relief_cost_weight=params.relief_cost_weight,
                duty_at_stake_usd_bn_per_year=deal.duty_at_stake_usd_bn_per_year if threat else 0.0,
                relief_life_years=deal.relief_life_years, streams=model.streams,
                onshore_build_usd_bn=model.onshore_build_usd_bn)
        discount = cls.discount_from(params.discount, preferences, model.relief_at_stake, model.round_years)
        # a provisional opening: the one it makes is set when it forms its beliefs about the lenders' limit
        opening = Package(max(min(model.fundable_share, 1.0), 0.0), 0.0)
        return cls(model, key, params.name, preferences, discount, opening, params.concession_beta)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the principal's preferences, patience and lenders' limit with this run's errors.

        Its opening asks for the whole share it believes the lenders fund, and no relief.
        """
        principal: Any = other
        believed = principal.preferences.seen_with(errors)
        cap = (principal.fundable_share if complete_information
               else principal.fundable_share_seen_with(errors))
        self.form_beliefs(believed, seen_patience(principal.discount, errors.principal_patience), cap,
                          complete_information)
        self.opening = Package(min(max(cap, 0.0), 1.0), 0.0)

    def learn_from_offer(self, offer: Offer) -> None:
        """An offer by the principal floors the believed limit: it only proposes what its lenders fund."""
        if self.complete_information:
            return
        if offer.proposer == self.model.principal.key and offer.package.us_profit_share > self.fundable_share_floor:
            cap = self.believed_fundable_share
            self.fundable_share_floor = min(offer.package.us_profit_share, self.fundable_share_ceiling)
            if self.believed_fundable_share != cap:
                self._forget(frontier_too=True)
