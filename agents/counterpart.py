"""The counterpart government (the US in the baseline): it sets the tariffs and wants a share of the profits.

It values investment on its soil as it is deployed, the profits it receives, and the tariffs on each group of
the principal's goods: the duty foreigners bear is a gain to its economy, the duty its own buyers pay a
transfer (weighted by ``buyers_duty_weight``), and the volume its buyers give up a deadweight loss (the
Harberger triangle), so on a group whose duty its buyers mostly pay, a high tariff costs it more than it
brings. What happens after its administration's term it weights by ``post_term_weight``. Settling away from
its public claim costs it (``agents/claims.py``). It does not know which packages the principal's lenders
fund: it believes so from its errors on their margin and on the projects' failure rate, and learns from the
lenders' refusals and from the principal's offers (the principal only proposes what its lenders fund).

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``, rows in docs/FACTS.md):
    discount_rate_per_year: FACTS ust10-2025, the 10-year Treasury yield (a sovereign discounts at its
        risk-free rate: Arrow & Lind 1970).
    claim_us_share, claim_reading: FACTS white-house-framing ("90% of the Profits", no phase named).
    term_end_years: FACTS allocation-deadline (19 Jan 2029, the end of the term: horizon-article).
    onshore_value_per_usd: the calibrated parameter (the agreed tariff is its target; docs/ODD.md).
    post_term_weight, buyers_duty_weight, the claim's costs: assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.bargaining import BeliefErrors, Government
from agents.claims import Claim
from agents.preferences import DealPreferences, UnitPreferences
from negotiation.economics import Clock, Goods
from negotiation.issues import Offer, Package
from negotiation.scenario import CounterpartParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


@dataclass(frozen=True)
class CounterpartPreferences(DealPreferences):
    """The counterpart's utility of a package agreed at t, PV $bn at the talks' start on its clock.

    u_C = v·F·D(t) + E·(q·B + s·A) − claim(q, s)·e^(−ρt) + Σ_g W(t)·f·[G_g(τ_g) − G_g(n_g)] + v·β_g·D(t)·(n_g − τ_g)

    v is the value of a dollar invested on its soil, F the fund, D(t) the PV of a dollar deployed evenly from
    signing to the allocation deadline (D_F(t) under capital calls: ``fund_deployed``); E the principal's
    equity, B and A the PV per $ of the projects' cash
    before and after recoup (q and s its shares); G_g(τ) its yearly gain from the rate on group g (the duty
    on the volume that still trades, less the Harberger triangle:
    :meth:`~negotiation.economics.TradeTerms.counterpart_gain`), n_g the no-deal rate, W(t) the PV of a year
    of it while the deal's rates apply; β_g the investors' extra build per unit cut of the rate on their
    parts. Every flow after its term is weighted by w (its :class:`~negotiation.economics.Clock`); f = 1 is
    its own view (the principal's belief error on its cost of relief scales it). No deal is worth 0.
    """

    onshore_value_per_usd: float = 0.0
    fund_usd_bn: float = 0.0
    buyers_duty_weight: float = 0.0
    relief_cost_factor: float = 1.0
    rates_only: ClassVar[tuple[str, ...]] = ("relief_cost_factor",)  # fields only the rates' terms read
    build_per_rate: tuple[float, ...] = ()

    def fixed_part(self, q: np.ndarray, s: np.ndarray, times_years: np.ndarray) -> np.ndarray:
        """v·F·D(t) + E·(q·B + s·A) − its claim's cost: shape (K, O)."""
        t = np.atleast_1d(np.asarray(times_years, dtype=float)).reshape(-1)
        values = self.profit_values(t, q)
        q2, s2 = np.atleast_1d(q)[None, :], np.atleast_1d(s)[None, :]
        invest = self.onshore_value_per_usd * self.fund_usd_bn * self.fund_deployed(t, self.fund_usd_bn)  # D_F(t)
        out = invest[:, None] + self.equity_usd_bn * values.counterpart(q2, s2)
        return np.asarray(out - self.claim_cost(q, s)[None, :] * self.clock.point(t)[:, None], dtype=float)

    def continuous_coefficients(self, times_years: np.ndarray) -> tuple[Any, Any, Any]:
        """Per bargained group of goods: its gain from the rate (less the investors' build it forgoes)."""

        def per_group(c: int, g: Goods) -> tuple[float, float, float]:
            assert self.trade is not None
            a_g, b_g = self.trade.counterpart_gain(g, self.buyers_duty_weight)
            build = self.build_per_rate[c] if c < len(self.build_per_rate) else 0.0
            f = self.relief_cost_factor
            return f * a_g, f * b_g, -self.onshore_value_per_usd * build

        return self.rate_coefficients(times_years, per_group)

    def seen_with(self, errors: BeliefErrors) -> CounterpartPreferences:
        """These preferences as the principal believes them: its errors on onshore value, relief cost, patience."""
        return replace(self.with_patience_error(errors.counterpart_patience),
                       onshore_value_per_usd=self.onshore_value_per_usd * errors.counterpart_onshore_value,
                       relief_cost_factor=self.relief_cost_factor * errors.counterpart_relief_cost)


@dataclass(frozen=True)
class UnitCounterpartPreferences(UnitPreferences):
    """The counterpart in the unit game: u_C = s·δ^(t/Δ)."""

    def seen_with(self, errors: BeliefErrors) -> UnitCounterpartPreferences:
        """As the principal believes it: its error on the counterpart's impatience."""
        return self.with_patience_error(errors.counterpart_patience)


def claim_of(params: Any, wants_high_share: bool) -> Claim | None:
    """A government's public claim from its scenario table (``None`` if it made none)."""
    if params.claim_us_share is None:
        return None
    return Claim(params.claim_us_share, params.claim_reading, wants_high_share,
                 params.claim_concession_cost_usd_bn, params.claim_retraction_cost_usd_bn)


class Counterpart(Government):
    """The counterpart government (Level I): proposes and accepts terms; holds the tariff threat."""

    role: ClassVar[str] = "counterpart"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "sets_tariff": True}
    # what it is unsure of about the principal (its types move these: agents/beliefs.py); in the package
    # game its patience error stays in the estimate (types on it moved nothing: docs/NOTEBOOK.md, 7 Dec 2026)
    type_fields: ClassVar[tuple[str, ...]] = ("principal_relief_value", "principal_patience")

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: Any, concession_beta: float) -> None:
        super().__init__(model, key, name, preferences, concession_beta)
        self.lender_errors: tuple[float, float] = (1.0, 1.0)  # its errors on the lenders' margin and failure rate
        self.threshold_low = -math.inf  # learnt: the lenders' believed NPV must exceed a refused package's
        self.threshold_high = math.inf  # learnt: … and is met by every package the principal proposed

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Counterpart:
        """Preferences from the deal and ``agents.<key>``."""
        table: Any = model
        params, deal = spec.table(key, CounterpartParams), spec.deal
        preferences: Any
        if table.unit_surplus:
            preferences = UnitCounterpartPreferences(given(params.discount), table.round_years, True)
        else:
            term = math.inf if params.term_end_years is None else params.term_end_years
            preferences = CounterpartPreferences(
                round_years=table.round_years,
                clock=Clock(given(params.discount_rate_per_year), term, params.post_term_weight),
                claim=claim_of(params, wants_high_share=True), equity_usd_bn=table.equity_usd_bn,
                portfolio=table.portfolio, deployment_deadline_years=table.deployment_deadline_years,
                onshore_value_per_usd=given(params.onshore_value_per_usd), fund_usd_bn=given(deal.fund_usd_bn),
                trade=table.trade, buyers_duty_weight=params.buyers_duty_weight,
                build_per_rate=tuple(float(x) for x in table.build_per_rate))
        return cls(model, key, params.name, preferences, params.concession_beta)

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Believe the principal's preferences and the lenders' terms with this run's errors."""
        self.errors = errors
        self.lender_errors = (1.0, 1.0) if complete_information else (errors.lender_margin, errors.lender_failure)
        self.form_beliefs(other.preferences.seen_with(errors), complete_information)
        self.form_types(errors, complete_information)

    def believed_npv(self, q: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The lowest expected NPV per $ among the lenders, as it believes them, of each (q, s)."""
        margin, failure = self.lender_errors
        out = np.full(np.shape(q), math.inf)
        for lender in self.table.lenders:
            out = np.minimum(out, lender.terms_seen_with(margin, failure).npv_per_usd(lender.portfolio, q, s))
        return out

    def believed_fundable(self) -> np.ndarray:
        """The options it believes funded: the insurers have room, and the lenders' believed NPV clears its bar.

        The bar is 0, raised above the believed NPV of any package the lenders refused and lowered to that of
        any package the principal proposed (learnt: :meth:`learn_not_funded`, :meth:`learn_from_offer`).
        """
        terms = self.table.terms
        if self.table.unit_surplus:
            return np.ones(terms.options, dtype=bool)
        if any(not insurer.within_capacity for insurer in self.table.insurers):
            return np.zeros(terms.options, dtype=bool)
        if not self.table.lenders:
            return np.ones(terms.options, dtype=bool)
        bar = min(max(0.0, self.threshold_low), self.threshold_high)
        return np.asarray(self.believed_npv(terms.q, terms.s) >= bar - 1e-12)

    def fundable(self, package: Package) -> bool:
        """Whether it believes the lenders fund ``package``: :meth:`believed_fundable`'s test, for any shares."""
        if self.table.unit_surplus:
            return True
        if any(not insurer.within_capacity for insurer in self.table.insurers):
            return False
        if not self.table.lenders:
            return True
        bar = min(max(0.0, self.threshold_low), self.threshold_high)
        return self._npv_of(package) >= bar - 1e-12

    def _npv_of(self, package: Package) -> float:
        return float(self.believed_npv(np.array([package.us_share_before_recoup]),
                                       np.array([package.us_profit_share]))[0])

    def learn_not_funded(self, package: Package) -> None:
        """A refusal by the lenders: only packages they are believed to fund better than this one are fundable."""
        if self.table.unit_surplus or not self.table.lenders:
            return
        npv = self._npv_of(package)
        if npv >= self.threshold_low:
            self.threshold_low = npv + 1e-9 * max(1.0, abs(npv))
            self.threshold_high = max(self.threshold_high, self.threshold_low)
            self._feasibility_moved()

    def learn_from_offer(self, offer: Offer) -> None:
        """An offer by the principal: every package its lenders are believed to fund at least as well is fundable."""
        if self.complete_information or self.table.unit_surplus or not self.table.lenders:
            return
        if offer.proposer != self.table.principal.key:
            return
        npv = self._npv_of(offer.package)
        if npv < self.threshold_high:  # the principal's offer is proof: it outweighs what refusals suggested
            self.threshold_high = npv
            self._feasibility_moved()
