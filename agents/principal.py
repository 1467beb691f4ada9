"""The principal government (Japan in the baseline): it invests, wants tariff relief, gives up profits.

It signs only what its Level-II ratifiers (its state lenders and its insurer) will fund (Putnam 1988): it
asks them, so it knows which packages they fund, and it never proposes beyond them. Without a deal it pays
the tariffs and keeps its money (invested on its own in the same projects only if that pays: its
disagreement value). Settling away from its public claim costs it (``agents/claims.py``).

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``, rows in docs/FACTS.md):
    discount_rate_per_year: FACTS jbic-funding-spread, its dollar funding cost (JBIC's dollar bonds): the deal's
        flows are in dollars and it funds them in dollars, not at the yen JGB rate (jgb10-2025).
    the value of relief: from its exports, who bears the duty and the volume lost (``deal.goods``; FACTS
        trade-base-2024, autos-base-2024, incidence rows, elasticity-blp-2023), or the article's
        ¥10t ≈ $68bn a year (FACTS relief-value-article) as the stated upper bound.
    claim_us_share, claim_reading: FACTS opening-ask (50:50), japan-framing (returns by contribution and risk;
        9:1 only on a limited portion).
    outside_option_share, the claim's costs: assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.bargaining import BeliefErrors, Government
from agents.counterpart import claim_of
from agents.preferences import DealPreferences, UnitPreferences
from negotiation.economics import Clock, Goods, TradeTerms
from negotiation.issues import Offer, Package, Response
from negotiation.scenario import PrincipalParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class PrincipalPreferences(DealPreferences):
    """The principal's utility of a package agreed at t, PV $bn at the talks' start at its rate ρ.

    u_P = E·[(1 − q)·B + (1 − s)·A + R − D(t)] − claim(q, s)·e^(−ρt)
          + Σ_g (1 − o)·W(t)·f·κ·[L_g(n_g) − L_g(τ_g)] + m_p·β_g·D(t)·(n_g − τ_g)

    E its equity, paid as deployed (D(t): the PV of a dollar deployed evenly from signing to the allocation
    deadline), B and A the PV per $ of the projects' cash before and after recoup (q, s the counterpart's
    shares), R recoveries on failed projects; L_g(τ) its yearly loss from the rate on group g
    (:meth:`~negotiation.economics.TradeTerms.principal_loss`), n_g the no-deal rate, W(t) the PV of a year
    while the deal's rates apply, o the share of the tariff damage it avoids anyway, κ a scale (1, or the
    article's ¥10t ≈ $68bn a year for full relief), f the counterpart's belief error on it (1 in its own
    view); m_p·β_g its suppliers' margin on the investors' extra build per unit cut. No deal is worth
    E·max(0, W_own − 1): the same projects held alone, if they pay.
    """

    outside_option_share: float = 0.0
    relief_scale: float = 1.0
    relief_value_factor: float = 1.0
    rates_only: ClassVar[tuple[str, ...]] = ("relief_value_factor",)  # fields only the rates' terms read
    parts_margin_per_rate: tuple[float, ...] = ()

    def fixed_part(self, q: np.ndarray, s: np.ndarray, times_years: np.ndarray) -> np.ndarray:
        """E·[(1 − q)·B + (1 − s)·A + R − D(t)] − its claim's cost: shape (K, O)."""
        t = np.atleast_1d(np.asarray(times_years, dtype=float)).reshape(-1)
        values = self.profit_values(t, q)
        q2, s2 = np.atleast_1d(q)[None, :], np.atleast_1d(s)[None, :]
        out = self.equity_usd_bn * values.principal(q2, s2)
        return np.asarray(out - self.claim_cost(q, s)[None, :] * self.clock.point(t)[:, None], dtype=float)

    def continuous_coefficients(self, times_years: np.ndarray) -> tuple[Any, Any, Any]:
        """Per bargained group of goods: what the rate costs it (and its suppliers' margin it forgoes)."""
        keep = (1.0 - self.outside_option_share) * self.relief_scale * self.relief_value_factor

        def per_group(c: int, g: Goods) -> tuple[float, float, float]:
            assert self.trade is not None
            a_loss, b_loss = self.trade.principal_loss(g)
            parts = self.parts_margin_per_rate[c] if c < len(self.parts_margin_per_rate) else 0.0
            return -keep * a_loss, -keep * b_loss, -parts

        return self.rate_coefficients(times_years, per_group)

    def seen_with(self, errors: BeliefErrors) -> PrincipalPreferences:
        """These preferences as the counterpart believes them: its errors on the value of relief and patience."""
        return replace(self.with_patience_error(errors.principal_patience),
                       relief_value_factor=self.relief_value_factor * errors.principal_relief_value)


@dataclass(frozen=True)
class UnitPrincipalPreferences(UnitPreferences):
    """The principal in the unit game: u_P = (1 − s)·δ^(t/Δ)."""

    def seen_with(self, errors: BeliefErrors) -> UnitPrincipalPreferences:
        """As the counterpart believes it: its error on the principal's impatience."""
        return self.with_patience_error(errors.principal_patience)


class Principal(Government):
    """The principal government (Level I): proposes and accepts terms its lenders will fund."""

    role: ClassVar[str] = "principal"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "invests": True}
    # what it is unsure of about the counterpart (its types move these: agents/beliefs.py); in the package
    # game its patience error stays in the estimate (types on it moved nothing: docs/NOTEBOOK.md, 7 Dec 2026)
    type_fields: ClassVar[tuple[str, ...]] = ("counterpart_onshore_value", "counterpart_relief_cost",
                                              "counterpart_patience")

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: Any, concession_beta: float,
                 currency: str, currency_per_usd: float | None, ratifiers: list[Any]) -> None:
        super().__init__(model, key, name, preferences, concession_beta)
        self.currency = currency
        self.currency_per_usd = currency_per_usd
        self.ratifiers = ratifiers
        self.funded_options = fundable_options(ratifiers, self.table)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Principal:
        """Preferences from the deal and ``agents.<key>``; its ratifiers: the lenders and insurers seated before it."""
        table: Any = model
        params, deal = spec.table(key, PrincipalParams), spec.deal
        ratifiers = [*table.lenders, *table.insurers]
        preferences: Any
        if table.unit_surplus:
            preferences = UnitPrincipalPreferences(given(params.discount), table.round_years, False)
        else:
            trade: TradeTerms | None = table.trade
            scale = 1.0
            if trade is not None and trade.bargained and deal.relief_value_basis == "article":
                full = sum(trade.principal_loss_usd_bn_per_year(g, g.rate_without_deal)
                           - trade.principal_loss_usd_bn_per_year(g, g.deal_range(trade.floor_rate)[0])
                           for g in trade.bargained)  # full relief is worth the article's figure
                scale = given(deal.tariff_relief_max_usd_bn_per_year) / full if full > 0 else 1.0
            r = given(params.discount_rate_per_year)
            own = table.portfolio.own_investment_value(r)
            preferences = PrincipalPreferences(
                round_years=table.round_years, clock=Clock(r), claim=claim_of(params, wants_high_share=False),
                disagreement=table.equity_usd_bn * max(0.0, own - 1.0), equity_usd_bn=table.equity_usd_bn,
                portfolio=table.portfolio, deployment_deadline_years=table.deployment_deadline_years,
                outside_option_share=given(params.outside_option_share), trade=trade, relief_scale=scale,
                parts_margin_per_rate=tuple(float(x) for x in table.parts_margin_per_rate))
        return cls(model, key, params.name, preferences, params.concession_beta, params.currency,
                   params.currency_per_usd, ratifiers)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the counterpart's preferences with this run's errors; know its lenders' verdicts."""
        self.errors = errors
        self.form_beliefs(other.preferences.seen_with(errors), complete_information)
        self.form_types(errors, complete_information)

    def believed_fundable(self) -> np.ndarray:
        """It asks its lenders: the options they fund."""
        return self.funded_options

    def fundable(self, package: Package) -> bool:
        """Whether its ratifiers fund ``package`` (it asks them)."""
        return all(r.accepted for r in self.ratify(package))

    def ratify(self, package: Package) -> tuple[Response, ...]:
        """Level II: each of its ratifiers (lenders, then insurers) says whether it funds the package."""
        return tuple(ratifier.respond(package) for ratifier in self.ratifiers)

    def respond(self, offer: Offer, ratification: tuple[Response, ...] = ()) -> Response:
        """Refuse what a ratifier will not fund; otherwise accept by AC_next like any government."""
        refused = [r for r in ratification if not r.accepted]
        if refused:
            return Response(self.key, False, refused[0].reason)
        return super().respond(offer)


def fundable_options(ratifiers: list[Any], table: Any) -> np.ndarray:
    """Which share options every ratifier funds: each lender's NPV clears 0 and each insurer has room."""
    terms = table.terms
    ok = np.ones(terms.options, dtype=bool)
    if table.unit_surplus:
        return ok
    for ratifier in ratifiers:
        ok &= ratifier.funds(terms.q, terms.s)
    return ok
