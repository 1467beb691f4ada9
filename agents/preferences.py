"""What both governments' preferences share: how a package's utility is put together, and the unit game.

A government values a package agreed at date t (years from the talks' start) in PV $bn at the talks' start:

    u(q, s, x; t) = fixed(q, s; t) + c0(t) + Σ_c a_c(t)·x_c + b_c(t)·x_c²

``fixed`` holds what depends on the shares (the profits each side receives, the investment, the cost of
settling away from its public claim: ``agents/claims.py``); the sum holds the continuous terms (the tariff
rate on each group of goods), each concave (``agents/frontier.py`` relies on it). Each government's own
file (``agents/counterpart.py``, ``agents/principal.py``) writes its two parts from the deal's economics
(``negotiation/economics.py``). In the unit game (Rubinstein 1982) the one continuous term is the share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Self

import numpy as np

from agents.claims import Claim
from negotiation.economics import Clock, Goods, Portfolio, ProfitValues, TradeTerms
from negotiation.issues import Package


@dataclass(frozen=True)
class UnitPreferences:
    """Rubinstein's unit game: a share of a surplus of 1, patience δ a round.

    The counterpart values u_C = s·δ^(t/Δ), the principal u_P = (1 − s)·δ^(t/Δ); no deal is worth 0.
    """

    discount: float
    round_years: float
    wants_high_share: bool
    disagreement: float = 0.0

    def fixed_part(self, q: np.ndarray, s: np.ndarray, times_years: np.ndarray) -> np.ndarray:
        """Nothing depends on a share option (the share is the continuous term): zeros (K, O)."""
        return np.zeros((np.size(times_years), np.size(q)))

    def continuous_coefficients(self, times_years: np.ndarray) -> tuple[Any, Any, Any]:
        """c0, a, b for the share: (0, δ^k, 0) for the counterpart, (δ^k, −δ^k, 0) for the principal."""
        k = self.discount ** (np.atleast_1d(np.asarray(times_years, dtype=float)) / self.round_years)
        if self.wants_high_share:
            return 0.0 * k, k[:, None], 0.0 * k[:, None]
        return k, -k[:, None], 0.0 * k[:, None]

    def utility(self, package: Package, delay_years: float) -> float:
        """The share's value, discounted by δ per round of delay."""
        k = self.discount ** (delay_years / self.round_years)
        share = package.us_profit_share
        return float(k * (share if self.wants_high_share else 1.0 - share))

    def per_round_discount(self) -> float:
        """δ."""
        return self.discount

    def more_patient(self) -> Self:
        """δ halfway to 1."""
        return replace(self, discount=self.discount + 0.5 * (1.0 - self.discount))

    def with_patience_error(self, error: float) -> Self:
        """As seen by someone whose belief scales its impatience 1 − δ by ``error`` (capped below 1)."""
        return replace(self, discount=min(1.0 - (1.0 - self.discount) * error, 0.9999))


@dataclass(frozen=True)
class DealPreferences:
    """The package game's common parts: the calendar, the government's clock and claim, the deal's projects.

    Subclasses write :meth:`fixed_part` and :meth:`continuous_coefficients` (their own economics).
    """

    round_years: float
    clock: Clock
    claim: Claim | None = None
    disagreement: float = 0.0
    equity_usd_bn: float = 0.0
    portfolio: Portfolio | None = None
    deployment_deadline_years: float = 0.0
    trade: TradeTerms | None = None

    def rate_coefficients(self, times_years: np.ndarray,
                          per_group: Callable[[int, Goods], tuple[float, float, float]]) -> tuple[Any, Any, Any]:
        """(c0, a, b) of the rates, each group's rate valued against its no-deal rate n_g, at each date.

        Σ_g [α_g(t)·(τ_g − n_g) + β_g(t)·(τ_g² − n_g²)] with α_g(t) = W(t)·w_a + D(t)·d_a and β_g(t) = W(t)·w_b,
        W(t) the PV of a year while the deal's rates apply and D(t) of a dollar deployed evenly to the
        allocation deadline (both on its clock); ``per_group(c, g)`` gives (w_a, w_b, d_a) for the c-th bargained
        group. So no deal is the zero point of the rates' part. Shapes (K,), (K, C), (K, C).
        """
        t = np.asarray(times_years, dtype=float)
        trade = self.trade
        if trade is None or not trade.bargained:
            return np.zeros(t.size), np.zeros((t.size, 0)), np.zeros((t.size, 0))
        window = trade.relief_window(self.clock, t)
        deployed = self.clock.deployed_point(t, self.deployment_deadline_years)
        c0, a_cols, b_cols = np.zeros(t.size), [], []
        for c, g in enumerate(trade.bargained):
            w_a, w_b, d_a = per_group(c, g)
            a, b, n = window * w_a + deployed * d_a, window * w_b, g.rate_without_deal
            a_cols.append(a)
            b_cols.append(b)
            c0 = c0 - (a * n + b * n * n)
        return c0, np.stack(a_cols, axis=1), np.stack(b_cols, axis=1)

    def profit_values(self, times_years: Any, q: Any) -> ProfitValues:
        """Per $ of equity on its own clock: cash before and after recoup, recoveries, equity; shape (K, O).

        ``times_years`` are K dates and ``q`` O shares before recoup (1-D or scalars). The projects' values
        depend on q through the recoup date only, so they are computed once per distinct q.
        """
        t = np.atleast_1d(np.asarray(times_years, dtype=float)).reshape(-1)
        qv = np.atleast_1d(np.asarray(q, dtype=float)).reshape(-1)
        if self.portfolio is None:
            zero = np.zeros((t.size, qv.size))
            return ProfitValues(zero, zero, zero, zero)
        unique, inverse = np.unique(qv, return_inverse=True)
        end = self.portfolio.deployment_end(t[:, None], self.deployment_deadline_years)  # E(t) under capital calls
        v = self.portfolio.values(self.clock, t[:, None], end, unique[None, :])
        return ProfitValues(v.before[:, inverse], v.after[:, inverse], v.recovery[:, inverse], v.equity[:, inverse])

    def fund_deployed(self, times_years: Any, fund_usd_bn: float) -> Any:
        """D_F(t): the PV of a dollar of the whole package signed at each date, as deployed, on its clock.

        D(t) (evenly to the allocation deadline) without capital calls; under them (``portfolio.calls``, the
        equity's cash C at most K a year) [C·D_K(t) + (F − C)·D(t)]/F
        (:meth:`~negotiation.economics.CapitalCalls.fund_deployed_point`), F = ``fund_usd_bn``.
        """
        t = np.atleast_1d(np.asarray(times_years, dtype=float)).reshape(-1)
        calls = None if self.portfolio is None else self.portfolio.calls
        if calls is None or not fund_usd_bn > 0:
            return self.clock.deployed_point(t, self.deployment_deadline_years)
        return calls.fund_deployed_point(self.clock, t, self.deployment_deadline_years, fund_usd_bn)

    def claim_cost(self, q: Any, s: Any) -> np.ndarray:
        """What settling on each (q, s) costs it with its audience or the other side, PV $bn at signing: (O,).

        A ``"money"`` reading weighs each phase by the cash it carries, valued at deployment at its own rate
        (a reading of the contract, the same whenever it is signed).
        """
        qv = np.atleast_1d(np.asarray(q, dtype=float)).reshape(-1)
        sv = np.atleast_1d(np.asarray(s, dtype=float)).reshape(-1)
        if self.claim is None:
            return np.zeros(qv.size)
        before = after = np.zeros(qv.size)
        if self.claim.reading == "money" and self.portfolio is not None:
            unique, inverse = np.unique(qv, return_inverse=True)
            v = self.portfolio.values(Clock(self.clock.rate_per_year), 0.0, 0.0, unique)
            before, after = np.asarray(v.before)[inverse], np.asarray(v.after)[inverse]
        return np.asarray(self.claim.cost(qv, sv, before, after), dtype=float)

    def fixed_part(self, q: np.ndarray, s: np.ndarray, times_years: np.ndarray) -> np.ndarray:
        """The part that depends on the shares alone, shape (K dates, O options) (subclasses)."""
        raise NotImplementedError

    def continuous_coefficients(self, times_years: np.ndarray) -> tuple[Any, Any, Any]:
        """(c0, a, b) of the continuous terms at each date (subclasses)."""
        raise NotImplementedError

    def utility(self, package: Package, delay_years: float) -> float:
        """Utility (PV $bn at 0) of ``package`` agreed ``delay_years`` after the talks' start."""
        t = np.array([float(delay_years)])
        fixed = self.fixed_part(np.array([package.us_share_before_recoup]), np.array([package.us_profit_share]), t)
        c0, a, b = self.continuous_coefficients(t)
        x = np.asarray(package.tariff_rates, dtype=float)
        total = float(np.ravel(fixed)[0]) + float(np.ravel(c0)[0])
        if x.size:
            total += float((np.asarray(a)[0] * x + np.asarray(b)[0] * x * x).sum())
        return total

    def per_round_discount(self) -> float:
        """Its pure time preference over one round, e^(−ρΔ)."""
        return math.exp(-self.clock.rate_per_year * self.round_years)

    def more_patient(self) -> Self:
        """The same preferences, more patient: half the discount rate."""
        return replace(self, clock=replace(self.clock, rate_per_year=0.5 * self.clock.rate_per_year))

    def with_patience_error(self, error: float) -> Self:
        """As seen by someone whose belief scales its discount rate by ``error``."""
        return replace(self, clock=replace(self.clock, rate_per_year=self.clock.rate_per_year * error))
