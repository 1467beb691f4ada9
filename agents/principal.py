"""The principal government (Japan in the baseline): it invests, wants tariff relief, gives up profits.

It signs only what its Level-II ratifiers (its state lenders and its insurer) will fund (Putnam 1988): it
asks them, so it knows their limit, and it never proposes beyond it.

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``):
    tariff_relief_max_usd_bn_per_year: docs/FACTS.md (the article's ¥10t ≈ $68bn a year, an upper bound;
        the duty saved, ≈ $15bn a year, is the lower reading).
    discount_rate_per_year: assumption, the 10-year JGB yield in 2025 (about 1.5%).
    outside_option_share: assumption, the share of the tariff damage it could avoid without a deal.
    japan_opening_us_share: docs/FACTS.md, Japan opened at 50:50.
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
from negotiation.issues import Offer, Package, Response

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class PrincipalPreferences:
    """The principal's utility of a package, in present-value $bn at its own discount rate.

    u_P(s, x) = V·x·A(r, 0, T_relief) + E·(profits_P(s) − 1) + m·φ·ΔB(x)

    where V is the relief's value to the principal per year, E its equity in $bn (paid in at signing and
    returned through its part of the profits), m·φ·ΔB the margin on its suppliers' parts in the investors'
    extra build. No deal is worth ``disagreement``: the share of the relief's value it could secure on its
    own. In the unit game, u_P = 1 − s.
    """

    affine_in_terms: ClassVar[bool] = True  # the agents work from the utility plane (tested)
    unit_surplus: bool = False
    discount_rate_per_year: float = 0.0
    equity_usd_bn: float = 0.0
    relief_value_usd_bn_per_year: float = 0.0
    relief_life_years: float = 0.0
    streams: ProfitStreams | None = None
    parts_income_usd_bn: Callable[[Any], Any] = field(default=no_build)
    disagreement: float = 0.0

    def utility(self, us_share: Any, relief_fraction: Any, delay_years: float = 0.0) -> Any:
        """Utility (PV $bn) of each package agreed after ``delay_years``."""
        s, x = as_terms(us_share), as_terms(relief_fraction)
        if self.unit_surplus:
            return 1.0 - s + 0.0 * x
        r, d = self.discount_rate_per_year, delay_years
        relief = self.relief_value_usd_bn_per_year * x * annuity(r, d, self.relief_life_years)
        equity = self.equity_usd_bn * (self.streams.japan_value(s, r, d) - np.exp(-r * d))  # type: ignore[union-attr]
        parts = self.parts_income_usd_bn(x) * np.exp(-r * d)
        return relief + equity + parts

    def seen_with(self, errors: BeliefErrors) -> PrincipalPreferences:
        """These preferences as the counterpart believes them: its error on the value of relief."""
        if self.unit_surplus:
            return self
        return replace(self, relief_value_usd_bn_per_year=self.relief_value_usd_bn_per_year
                       * errors.principal_relief_value)


class Principal(Government):
    """The principal government (Level I): proposes and accepts terms its lenders will fund."""

    role: ClassVar[str] = "principal"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "invests": True}

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: PrincipalPreferences,
                 discount: float, opening: Package, concession_beta: float, currency: str,
                 currency_per_usd: float | None, ratifiers: list[Any], fundable_share: float) -> None:
        super().__init__(model, key, name, preferences, discount, opening, concession_beta)
        self.currency = currency
        self.currency_per_usd = currency_per_usd
        self.ratifiers = ratifiers
        self.fundable_share = fundable_share

    @classmethod
    def ideal(cls, relief_at_stake: bool) -> Package:
        """No profit share to the counterpart, all the relief at stake."""
        return Package(0.0, 1.0 if relief_at_stake else 0.0)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Principal:
        """Preferences, opening and patience from the deal and ``agents.<key>``; its ratifiers' limit.

        Its ratifiers (the scenario's lenders and insurer, seated before it) fix the highest US share it
        can sign; it opens at the deal's opening share (capped at that limit) with all the relief.
        """
        params, deal = spec.agents[key], spec.deal
        ratifiers = [*model.lenders, *model.insurers]
        fundable = fundable_share_of(model.lenders, model.insurers, model.unit_surplus)
        if model.unit_surplus:
            preferences = PrincipalPreferences(unit_surplus=True)
            opening_share = 1.0
        else:
            relief_value = deal.tariff_relief_max_usd_bn_per_year if deal.tariff_threat else 0.0
            r = params.discount_rate_per_year
            preferences = PrincipalPreferences(
                discount_rate_per_year=r, equity_usd_bn=model.equity_usd_bn,
                relief_value_usd_bn_per_year=relief_value, relief_life_years=deal.relief_life_years,
                streams=model.streams, parts_income_usd_bn=model.parts_income_usd_bn,
                disagreement=params.outside_option_share * relief_value * annuity(r, 0.0, deal.relief_life_years))
            opening_share = deal.japan_opening_us_share
        discount = cls.discount_from(params.discount, preferences, model.relief_at_stake, model.round_years)
        opening = Package(max(min(opening_share, fundable), 0.0), 1.0 if model.relief_at_stake else 0.0)
        return cls(model, key, params.name, preferences, discount, opening, params.concession_beta,
                   params.currency, params.currency_per_usd, ratifiers, fundable)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the counterpart's preferences and patience with this run's errors; know the lenders' limit."""
        believed = other.preferences.seen_with(errors)  # type: ignore[attr-defined]
        self.form_beliefs(believed, seen_patience(other.discount, errors.counterpart_patience),
                          self.fundable_share, complete_information)
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
