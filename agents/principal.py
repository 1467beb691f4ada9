"""The principal government (Japan in the baseline): it invests, wants tariff relief, gives up profits.

It signs only what its Level-II ratifiers (its state lenders and its insurer) will fund (Putnam 1988): it
asks them, so it knows their limit, and it never proposes beyond it. Without a deal it pays the tariffs and
keeps its money (invested on its own in the same projects only if that pays: its disagreement value).

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``, rows in docs/FACTS.md):
    discount_rate_per_year: FACTS jbic-funding-spread, its dollar funding cost (JBIC's dollar bonds): the deal's
        flows are in dollars and it funds them in dollars, not at the yen JGB rate (jgb10-2025).
    the value of relief: from its exports, who bears the duty and the volume lost (``deal.goods``; FACTS
        trade-base-2024, autos-base-2024, incidence rows, elasticity-blp-2023), or the article's
        ¥10t ≈ $68bn a year (FACTS relief-value-article) as the stated upper bound.
    outside_option_share: assumption, the share of the tariff damage it could avoid without a deal.
    japan_opening_us_share: FACTS opening-ask, Japan opened at 50:50.
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
from negotiation.issues import Offer, Package, Response
from negotiation.scenario import PrincipalParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class PrincipalPreferences(DatedPlanePreferences):
    """The principal's utility of a package agreed at t, PV $bn at the talks' start at its rate ρ.

    u_P(s, x; t) = (1 − o)·R_P(x; t) + e^(−ρt)·[E·(W − s·A − 1) + m·φ·ΔB(x) − h·s]

    R_P(x; t) is what the deal's tariff saves it from t to the regime's end against the no-deal tariffs (the
    duty its exporters bear and the margin on the volume they keep), o the share of tariff damage it can
    avoid anyway (in both states, so it scales the relief); E its equity, paid at signing, W and A the PV
    per $ of all it receives with no post-recoup share for the counterpart and of the post-recoup flow;
    m·φ·ΔB its suppliers' margin on the investors' extra build; h its domestic cost of conceding the whole
    share. No deal is worth E·max(0, W_own − 1): the same projects held alone, if they pay. In the unit game,
    u_P = (1 − s)·δ^(t/Δ).
    """

    equity_usd_bn: float = 0.0
    outside_option_share: float = 0.0
    headline_cost_usd_bn: float = 0.0
    trade: TradeTerms | None = None
    cost_weights: tuple[float, ...] = ()
    portfolio: Portfolio | None = None
    parts_income_usd_bn: Callable[[Any], Any] = field(default=no_build)

    def plane_arrays(self, t: np.ndarray) -> tuple[Any, Any, Any]:
        """u(0, 0, t), ∂u/∂s and ∂u/∂x at the dates ``t``: the formula above, term by term."""
        if self.unit_discount is not None:
            k = self.unit_discount ** (t / self.round_years)
            return k, -k, 0.0 * k
        r = self.discount_rate_per_year
        later = discount(r, t)
        whole, after = self.portfolio.principal_values(r, t)  # type: ignore[union-attr]  # PVs at time 0
        relief0, relief_slope = (self.trade.relief_parts(list(self.cost_weights), r, t)
                                 if self.trade is not None else (0.0 * later, 0.0 * later))
        keep = 1.0 - self.outside_option_share
        parts0, parts1 = self.parts_income_usd_bn(0.0), self.parts_income_usd_bn(1.0)
        a0 = keep * relief0 + self.equity_usd_bn * (whole - later) + parts0 * later
        a1 = -(self.equity_usd_bn * after + self.headline_cost_usd_bn * later)
        a2 = keep * relief_slope + (parts1 - parts0) * later
        return a0, a1, a2

    def seen_with(self, errors: BeliefErrors) -> PrincipalPreferences:
        """These preferences as the counterpart believes them: its errors on the value of relief and patience."""
        if self.unit_discount is not None:
            return replace(self, unit_discount=seen_patience(self.unit_discount, errors.principal_patience))
        return replace(self, cost_weights=tuple(w * errors.principal_relief_value for w in self.cost_weights),
                       discount_rate_per_year=self.discount_rate_per_year * errors.principal_patience)


class Principal(Government):
    """The principal government (Level I): proposes and accepts terms its lenders will fund."""

    role: ClassVar[str] = "principal"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "invests": True}

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: PrincipalPreferences,
                 opening: Package, concession_beta: float, currency: str, currency_per_usd: float | None,
                 ratifiers: list[Any], fundable_share: float) -> None:
        super().__init__(model, key, name, preferences, opening, concession_beta)
        self.currency = currency
        self.currency_per_usd = currency_per_usd
        self.ratifiers = ratifiers
        self.fundable_share = fundable_share

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Principal:
        """Preferences and opening from the deal and ``agents.<key>``; its ratifiers' limit.

        Its ratifiers (the scenario's lenders and insurer, seated before it) fix the highest US share it
        can sign; it opens at the deal's opening share (capped at that limit) with all the relief.
        """
        params, deal = spec.table(key, PrincipalParams), spec.deal
        ratifiers = [*model.lenders, *model.insurers]
        fundable = fundable_share_of(model.lenders, model.insurers, model.unit_surplus)
        if model.unit_surplus:
            preferences = PrincipalPreferences(unit_discount=params.discount, round_years=model.round_years)
            opening_share = 0.0
        else:
            trade = model.trade
            weights = tuple(trade.principal_cost_weights()) if trade is not None else ()
            if trade is not None and deal.relief_value_basis == "article":  # full relief worth the article's figure
                full = sum(w * (g.rate_without_deal - trade.floor_rate) for w, g in zip(weights, trade.goods,
                                                                                       strict=True))
                weights = tuple(w * given(deal.tariff_relief_max_usd_bn_per_year) / full for w in weights)
            r = given(params.discount_rate_per_year)
            own = model.portfolio.own_investment_value(r)
            preferences = PrincipalPreferences(
                round_years=model.round_years, discount_rate_per_year=r, equity_usd_bn=model.equity_usd_bn,
                outside_option_share=given(params.outside_option_share),
                headline_cost_usd_bn=params.headline_cost_usd_bn,
                trade=trade, cost_weights=weights, portfolio=model.portfolio,
                parts_income_usd_bn=model.parts_income_usd_bn,
                disagreement=model.equity_usd_bn * max(0.0, own - 1.0))
            opening_share = given(deal.japan_opening_us_share)
        opening = Package(max(min(opening_share, fundable), 0.0), 1.0 if model.relief_at_stake else 0.0)
        return cls(model, key, params.name, preferences, opening, params.concession_beta,
                   params.currency, params.currency_per_usd, ratifiers, fundable)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the counterpart's preferences with this run's errors; know the lenders' limit."""
        self.errors = errors
        self.form_beliefs(other.preferences.seen_with(errors), self.fundable_share, complete_information)
        self.fundable_share_floor = self.fundable_share_ceiling = self.fundable_share

    def fundable_share_seen_with(self, errors: BeliefErrors) -> float:
        """The limit an outsider with these belief errors believes the lenders set (the counterpart's view)."""
        if not self.model.lenders:
            return self.fundable_share
        cap = min(lender.fundable_share_seen_with(errors) for lender in self.model.lenders)
        if any(not insurer.within_capacity for insurer in self.model.insurers):
            cap = -1.0
        return cap

    def ratify(self, package: Package) -> tuple[Response, ...]:
        """Level II: each of its ratifiers (lenders, then insurers) says whether it funds the package."""
        return tuple(ratifier.respond(package) for ratifier in self.ratifiers)

    def respond(self, offer: Offer, ratification: tuple[Response, ...] = ()) -> Response:
        """Refuse what a ratifier will not fund; otherwise accept by AC_next like any government."""
        refused = [r for r in ratification if not r.accepted]
        if refused:
            return Response(self.key, False, refused[0].reason)
        return super().respond(offer)


def fundable_share_of(lenders: list[Any], insurers: list[Any], unit_surplus: bool) -> float:
    """The highest US share every ratifier funds: the lowest lender's limit; −1 if an insurer is over capacity.

    1 with no lenders (nothing limits the share) and in the unit game.
    """
    if unit_surplus:
        return 1.0
    share = min((lender.fundable_share for lender in lenders), default=1.0)
    if any(not insurer.within_capacity for insurer in insurers):
        share = -1.0
    return share
