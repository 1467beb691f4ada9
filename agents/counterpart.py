"""The counterpart government (the US in the baseline): it sets the tariff and wants a share of the profits.

It values investment on its soil, the profits it receives and the headline share it can announce, and gives
up tariff revenue when it grants relief (only the part of the duty foreign exporters bear is a gain to its
economy; the part its own buyers pay is a transfer, weighted by ``buyers_duty_weight``). It does not know
the principal's lenders' limit: it believes one, and learns from the principal's offers (the principal only
proposes what its lenders fund) and from the lenders' refusals.

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``, rows in docs/FACTS.md):
    discount_rate_per_year: FACTS ust10-2025, the 10-year Treasury yield (a sovereign discounts at its
        risk-free rate: Arrow & Lind 1970).
    opening_us_share: FACTS white-house-framing, "90% of the Profits".
    onshore_value_per_usd: the calibrated parameter (the agreed tariff is its target; docs/ODD.md).
    headline_value_usd_bn, buyers_duty_weight: assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.bargaining import BeliefErrors, Government, seen_patience
from agents.frontier import DatedPlanePreferences
from agents.investor import no_build
from negotiation.economics import Portfolio, TradeTerms, discount
from negotiation.issues import Offer, Package
from negotiation.scenario import CounterpartParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class CounterpartPreferences(DatedPlanePreferences):
    """The counterpart's utility of a package agreed at t, PV $bn at the talks' start at its rate ρ.

    u_C(s, x; t) = −R_C(x; t) + e^(−ρt)·[v·(F + ΔB(x)) + E·(P₁ + s·A) + h·s]

    R_C(x; t) is the duty revenue its economy forgoes from t to the regime's end (the foreign-borne part,
    plus ω times the part its buyers pay); v the value of a dollar invested on its soil, F the fund, ΔB(x)
    the investors' extra build; E the principal's equity, P₁ and A the PV per $ of its phase-1 part and of
    the whole post-recoup flow (ρ-discounted); h the value of announcing the whole post-recoup share. No deal
    is worth 0. In the unit game (Rubinstein's), u_C = s·δ^(t/Δ) with δ its patience per round.
    """

    equity_usd_bn: float = 0.0
    fund_usd_bn: float = 0.0
    onshore_value_per_usd: float = 0.0
    headline_value_usd_bn: float = 0.0
    trade: TradeTerms | None = None
    gain_weights: tuple[float, ...] = ()
    portfolio: Portfolio | None = None
    onshore_build_usd_bn: Callable[[Any], Any] = field(default=no_build)

    def plane_arrays(self, t: np.ndarray) -> tuple[Any, Any, Any]:
        """u(0, 0, t), ∂u/∂s and ∂u/∂x at the dates ``t``: the formula above, term by term."""
        if self.unit_discount is not None:
            k = self.unit_discount ** (t / self.round_years)
            return 0.0 * k, k, 0.0 * k
        r = self.discount_rate_per_year
        later = discount(r, t)
        phase1, after = self.portfolio.us_values(r, t)  # type: ignore[union-attr]  # PVs at time 0
        revenue0, revenue_slope = (self.trade.relief_parts(list(self.gain_weights), r, t)
                                   if self.trade is not None else (0.0 * later, 0.0 * later))
        build0, build1 = self.onshore_build_usd_bn(0.0), self.onshore_build_usd_bn(1.0)
        v = self.onshore_value_per_usd
        a0 = v * (self.fund_usd_bn + build0) * later + self.equity_usd_bn * phase1 - revenue0
        a1 = self.equity_usd_bn * after + self.headline_value_usd_bn * later
        a2 = v * (build1 - build0) * later - revenue_slope
        return a0, a1, a2

    def seen_with(self, errors: BeliefErrors) -> CounterpartPreferences:
        """These preferences as the principal believes them: its errors on onshore value, relief cost, patience."""
        if self.unit_discount is not None:
            return replace(self, unit_discount=seen_patience(self.unit_discount, errors.counterpart_patience))
        return replace(self, onshore_value_per_usd=self.onshore_value_per_usd * errors.counterpart_onshore_value,
                       gain_weights=tuple(w * errors.counterpart_relief_cost for w in self.gain_weights),
                       discount_rate_per_year=self.discount_rate_per_year * errors.counterpart_patience)


class Counterpart(Government):
    """The counterpart government (Level I): proposes and accepts terms; holds the tariff threat."""

    role: ClassVar[str] = "counterpart"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "sets_tariff": True}

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Counterpart:
        """Preferences from the deal and ``agents.<key>``."""
        params, deal = spec.table(key, CounterpartParams), spec.deal
        if model.unit_surplus:
            preferences = CounterpartPreferences(unit_discount=params.discount, round_years=model.round_years)
        else:
            trade = model.trade
            weights = tuple(trade.counterpart_gain_weights(params.buyers_duty_weight)) if trade is not None else ()
            preferences = CounterpartPreferences(
                round_years=model.round_years, discount_rate_per_year=given(params.discount_rate_per_year),
                equity_usd_bn=model.equity_usd_bn, fund_usd_bn=given(deal.fund_usd_bn),
                onshore_value_per_usd=given(params.onshore_value_per_usd),
                headline_value_usd_bn=params.headline_value_usd_bn, trade=trade, gain_weights=weights,
                portfolio=model.portfolio, onshore_build_usd_bn=model.onshore_build_usd_bn)
        # a provisional opening: the one it makes is set when it forms its beliefs about the lenders' limit
        opening = Package(model.share_range()[1], 0.0)
        return cls(model, key, params.name, preferences, opening, params.concession_beta)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the principal's preferences and lenders' limit with this run's errors.

        Its opening asks for its public demand (or what it believes the lenders fund, if less), no relief.
        """
        principal: Any = other
        cap = (principal.fundable_share if complete_information
               else principal.fundable_share_seen_with(errors))
        self.errors = errors
        self.form_beliefs(principal.preferences.seen_with(errors), cap, complete_information)
        self.opening = Package(min(max(cap, 0.0), self.model.share_range()[1]), 0.0)

    def learn_from_offer(self, offer: Offer) -> None:
        """An offer by the principal floors the believed limit: it only proposes what its lenders fund."""
        if self.complete_information:
            return
        if offer.proposer == self.model.principal.key and offer.package.us_profit_share > self.fundable_share_floor:
            cap = self.believed_fundable_share
            self.fundable_share_floor = min(offer.package.us_profit_share, self.fundable_share_ceiling)
            if self.believed_fundable_share != cap:
                self._forget()
