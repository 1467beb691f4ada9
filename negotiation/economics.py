"""The deal's economics, as pure functions: tariffs on a trade base, profit streams of project classes, time.

Everything is in years (from the talks' start) and $bn, with continuous discounting, and broadcasts over
NumPy arrays of agreement dates, so an actor values a package agreed in every round at once. Nothing here
knows about Mesa or about any one actor; the actors in ``agents/`` build their preferences from these.

* **Tariffs** (:class:`TradeTerms`): the counterpart sets one all-in rate on the principal's exports; the
  deal's rate is τ(x) = τ_threat − x·(τ_threat − τ_floor) for relief fraction x. Without a deal each group of
  goods pays its rate during the talks until the threat's effective date, then the threatened rate, until
  the tariff regime ends. Who bears a dollar of duty is split by incidence (the exporters' share θ), and lost
  volume costs the exporters their margin on it (import-demand elasticity ε): first-order, linear in τ.
* **Profits** (:class:`ProfitStreams`, one per project class; :class:`Portfolio`): equity paid in at
  signing earns a cash yield after a build time, for a life, with a failure probability; under the
  two-phase rule the counterpart takes ``phase1_us_share`` until the principal recoups its deemed allocation
  (principal plus interest at the recoup rate), then the bargained share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

Times = Any  # a float or a NumPy array of dates (years from the talks' start)


def annuity(rate_per_year: float, start_years: Times, end_years: Times) -> Any:
    """Present value at time 0 of a flow of 1 per year paid from ``start_years`` to ``end_years``.

    Continuous discounting: (e^(−r·a) − e^(−r·b)) / r, and b − a when r = 0; 0 when b ≤ a. Broadcasts.

    >>> round(float(annuity(0.0, 1.0, 3.0)), 6)
    2.0
    >>> round(float(annuity(0.05, 0.0, 20.0)), 4)  # (1 − e^−1)/0.05
    12.6424
    >>> annuity(0.05, np.array([0.0, 5.0]), 4.0).tolist()[1]
    0.0
    """
    if type(start_years) is float and type(end_years) is float:  # one date pair: plain floats, same formula
        lo, hi = start_years, max(start_years, end_years)
        if rate_per_year <= 1e-12:
            return hi - lo
        return math.exp(-rate_per_year * lo) * -math.expm1(-rate_per_year * (hi - lo)) / rate_per_year
    a, b = np.asarray(start_years, dtype=float), np.asarray(end_years, dtype=float)
    b = np.maximum(a, b)
    if rate_per_year <= 1e-12:  # a rate this small discounts nothing measurable
        out = b - a
    else:  # e^(−r·a)·(1 − e^(−r·(b − a)))/r, exact for small r too
        out = np.exp(-rate_per_year * a) * -np.expm1(-rate_per_year * (b - a)) / rate_per_year
    return float(out) if out.ndim == 0 else out


def discount(rate_per_year: float, at_years: Times) -> Any:
    """e^(−r·t): the value at time 0 of 1 paid at ``at_years``."""
    if type(at_years) is float and at_years == 0.0 and math.isfinite(rate_per_year):  # e^0 = 1 exactly
        return 1.0
    out = np.exp(-rate_per_year * np.asarray(at_years, dtype=float))
    return float(out) if out.ndim == 0 else out


def recoup_years(principal_phase1_share: float, cash_yield_per_year: float, recoup_rate_per_year: float,
                 build_years: float, end_years: float) -> float:
    """When the principal has recouped its deemed allocation (principal plus interest at the recoup rate).

    It receives ``principal_phase1_share`` of a project's cash yield from ``build_years`` on; it has recouped
    at the τ where the value of what it received, discounted at the recoup rate, equals the principal:
    share·yield·(e^(−i·b) − e^(−i·τ))/i = 1. Returns ``end_years`` if that never happens within the life.

    >>> round(recoup_years(0.5, 0.2, 0.0, 0.0, 30.0), 6)  # 0.1 a year repays 1 in 10 years
    10.0
    >>> recoup_years(0.5, 0.09, 0.05, 4.0, 29.0)  # 4.5% a year never covers 5% interest
    29.0
    """
    flow = principal_phase1_share * cash_yield_per_year
    if flow <= 0:
        return end_years
    i = recoup_rate_per_year
    if i <= 1e-12:  # as in annuity: no measurable interest
        return min(build_years + 1.0 / flow, end_years)
    x = (i / flow) * math.exp(i * build_years)  # τ = b − ln(1 − x)/i, written to stay exact as i → 0
    if x >= 1.0:
        return end_years
    return min(build_years - math.log1p(-x) / i, end_years)


# ---------------------------------------------------------------------------------------------------------
# Profits


@dataclass(frozen=True)
class ProfitStreams:
    """The timing of one project class's equity-related profits under the deal's split rule, per $ of equity.

    Projects pay ``cash_yield_per_year`` per $ of equity from ``build_years`` to ``end_years`` after
    signing, with probability ``1 − failure_probability`` (a failed project returns ``recovery_fraction``
    of the equity at ``build_years``). Under the two-phase rule the counterpart takes ``phase1_us_share``
    until ``recoup_years`` and the bargained share afterwards; with one phase the bargained share applies
    from the start (``recoup_years == build_years``).
    """

    cash_yield_per_year: float
    build_years: float
    end_years: float
    recoup_years: float
    phase1_us_share: float
    failure_probability: float
    recovery_fraction: float

    @classmethod
    def of(cls, cash_yield_per_year: float, build_years: float, life_years: float, failure_probability: float,
           recovery_fraction: float, two_phase: bool, phase1_us_share: float,
           recoup_rate_per_year: float) -> ProfitStreams:
        """A class's streams from its economics and the deal's split rule."""
        end = build_years + life_years
        tau = (recoup_years(1.0 - phase1_us_share, cash_yield_per_year, recoup_rate_per_year, build_years, end)
               if two_phase else build_years)
        return cls(cash_yield_per_year, build_years, end, tau, phase1_us_share, failure_probability,
                   recovery_fraction)

    def phase_values(self, rate_per_year: float, signed_years: Times = 0.0) -> tuple[Any, Any]:
        """Expected PV at time 0, per $ of equity signed at ``signed_years``, of the flows before and after recoup."""
        d = signed_years
        expected = (1.0 - self.failure_probability) * self.cash_yield_per_year
        before = expected * annuity(rate_per_year, self.build_years + d, self.recoup_years + d)
        after = expected * annuity(rate_per_year, self.recoup_years + d, self.end_years + d)
        return before, after

    def recovery_value(self, rate_per_year: float, signed_years: Times = 0.0) -> Any:
        """Expected PV of what a failed project returns to the principal (its equity claim is its own)."""
        return self.failure_probability * self.recovery_fraction * discount(rate_per_year,
                                                                            self.build_years + signed_years)


MEMO_ENTRIES = 4096  # a portfolio's memo of values by rate is emptied at this size (values are recomputed)


@dataclass(frozen=True)
class Portfolio:
    """Project classes and the share of the equity each takes (weights sum to 1)."""

    classes: tuple[ProfitStreams, ...]
    weights: tuple[float, ...]
    # values at signing, by side and discount rate: not part of the portfolio's identity
    _memo: dict[tuple[str, float], Any] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)

    def us_values(self, rate_per_year: float, signed_years: Times = 0.0) -> tuple[Any, Any]:
        """Per $ of equity: the counterpart's PV of its phase-1 part, and of the whole post-recoup flow.

        The counterpart's value is ``phase1 + s·after`` for a post-recoup share s. Every flow is dated from
        signing, so a deal signed at d is worth e^(−r·d) times the same deal signed now (the values at 0 are
        computed once per rate).
        """
        phase1, after = self._at_signing("us", rate_per_year)
        later = discount(rate_per_year, signed_years)
        return phase1 * later, after * later

    def principal_values(self, rate_per_year: float, signed_years: Times = 0.0) -> tuple[Any, Any]:
        """Per $ of equity: the principal's PV with no post-recoup share for the counterpart, and the post-recoup flow.

        The principal's value is ``whole − s·after`` (its phase-1 part, all of the post-recoup flow, and
        recoveries on failed projects); e^(−r·d) times its value at signing, as in :meth:`us_values`.
        """
        whole, after = self._at_signing("principal", rate_per_year)
        later = discount(rate_per_year, signed_years)
        return whole * later, after * later

    def _at_signing(self, side: str, rate_per_year: float) -> tuple[float, float]:
        """:meth:`us_values` or :meth:`principal_values` for a deal signed now, memoised by rate."""
        key = (side, rate_per_year)
        memo = self._memo
        if key not in memo:
            if len(memo) >= MEMO_ENTRIES:  # a sweep's runs bring their own belief rates: keep memory flat
                memo.clear()
            first, after = 0.0, 0.0
            for w, c in zip(self.weights, self.classes, strict=True):
                b, a = c.phase_values(rate_per_year)
                if side == "us":
                    first += w * c.phase1_us_share * b
                else:
                    first += w * ((1.0 - c.phase1_us_share) * b + a + c.recovery_value(rate_per_year))
                after += w * a
            memo[key] = (float(first), float(after))
        return memo[key]

    def own_investment_value(self, rate_per_year: float) -> float:
        """PV per $ of the same projects held alone (all the profits), now: what the money earns without a deal.

        Memoised by rate, like :meth:`_at_signing` (a scenario's replicates ask for the same rate).
        """
        key = ("own", rate_per_year)
        memo = self._memo
        if key not in memo:
            if len(memo) >= MEMO_ENTRIES:
                memo.clear()
            total = 0.0
            for w, c in zip(self.weights, self.classes, strict=True):
                alone = replace(c, recoup_years=c.end_years, phase1_us_share=0.0)
                b, _ = alone.phase_values(rate_per_year)
                total += w * (b + alone.recovery_value(rate_per_year))
            memo[key] = float(total)
        return memo[key]

    def recoup_years(self) -> float:
        """The equity-weighted recoup date after signing (a class that never recoups counts its end)."""
        return float(sum(w * c.recoup_years for w, c in zip(self.weights, self.classes, strict=True)))

    def never_recoups(self) -> float:
        """The share of the equity in classes that never reach the post-recoup phase."""
        return float(sum(w for w, c in zip(self.weights, self.classes, strict=True) if c.recoup_years >= c.end_years))

    def yearly_profit(self) -> float:
        """Expected cash yield per $ of equity a year in steady operation."""
        return float(sum(w * (1.0 - c.failure_probability) * c.cash_yield_per_year
                         for w, c in zip(self.weights, self.classes, strict=True)))


# ---------------------------------------------------------------------------------------------------------
# Tariffs


@dataclass(frozen=True)
class Goods:
    """One group of the principal's exports and what it pays without a deal."""

    exports_usd_bn_per_year: float
    rate_during_talks: float
    rate_without_deal: float
    exporters_share_of_duty: float


@dataclass(frozen=True)
class TradeTerms:
    """The tariff side of the deal: the rates, the goods, and the clocks they run on.

    Args:
        goods: the export groups.
        threat_rate: the top of the bargained all-in rate (relief fraction 0): the threat, or less where an
            unthreatened good pays less without a deal.
        floor_rate: the lowest rate the counterpart grants anyone (relief fraction 1).
        threat_effective_years: when the threatened rates apply without a deal (the talks' deadline).
        regime_end_years: when the tariff regime, and with it threat and relief, ends.
        trade_elasticity: import-demand elasticity of the principal's exports (first order).
        exporters_margin: producer surplus the exporters lose per $ of lost exports.

    """

    goods: tuple[Goods, ...]
    threat_rate: float
    floor_rate: float
    threat_effective_years: float
    regime_end_years: float
    trade_elasticity: float
    exporters_margin: float

    def rate(self, relief_fraction: Any) -> Any:
        """The deal's all-in tariff rate at relief fraction x: τ_threat − x·(τ_threat − τ_floor)."""
        return self.threat_rate - np.asarray(relief_fraction, dtype=float) * (self.threat_rate - self.floor_rate)

    def principal_cost_weights(self) -> list[float]:
        """Per group, the principal's yearly loss per unit of tariff rate: V·(θ + m·ε·(1 − θ))."""
        return [g.exports_usd_bn_per_year * (g.exporters_share_of_duty + self.exporters_margin
                                             * self.trade_elasticity * (1.0 - g.exporters_share_of_duty))
                for g in self.goods]

    def counterpart_gain_weights(self, buyers_duty_weight: float) -> list[float]:
        """Per group, the counterpart's yearly gain per unit of tariff rate: V·(θ + ω·(1 − θ)).

        The duty its own buyers pay is a transfer within the counterpart's economy; ``buyers_duty_weight``
        (ω) is the weight its government puts on it anyway.
        """
        return [g.exports_usd_bn_per_year * (g.exporters_share_of_duty + buyers_duty_weight
                                             * (1.0 - g.exporters_share_of_duty)) for g in self.goods]

    def relief_value(self, weights: list[float], rate_per_year: float, relief_fraction: Any,
                     signed_years: Times) -> Any:
        """PV at 0 of Σ_g w_g·(no-deal rate − deal rate) from signing to the regime's end.

        With the principal's cost weights this is what relief is worth to it; with the counterpart's gain
        weights, what granting it costs the counterpart. Linear in the relief fraction.
        """
        t = np.asarray(signed_years, dtype=float)
        end = self.regime_end_years
        switch = np.minimum(np.maximum(t, self.threat_effective_years), end)
        before, after, whole = annuity(rate_per_year, t, switch), annuity(rate_per_year, switch, end), \
            annuity(rate_per_year, t, end)
        without = sum(w * (g.rate_during_talks * before + g.rate_without_deal * after)
                      for w, g in zip(weights, self.goods, strict=True))
        return without - sum(weights) * self.rate(relief_fraction) * whole

    def relief_parts(self, weights: list[float], rate_per_year: float, signed_years: Times) -> tuple[Any, Any]:
        """:meth:`relief_value` as (its value at relief fraction 0, its slope in the relief fraction)."""
        t = np.asarray(signed_years, dtype=float)
        end = self.regime_end_years
        switch = np.minimum(np.maximum(t, self.threat_effective_years), end)
        before, after = annuity(rate_per_year, t, switch), annuity(rate_per_year, switch, end)
        whole = before + after
        without = sum(w * (g.rate_during_talks * before + g.rate_without_deal * after)
                      for w, g in zip(weights, self.goods, strict=True))
        total = sum(weights)
        return without - total * self.threat_rate * whole, total * (self.threat_rate - self.floor_rate) * whole

    def duty_relief_usd_bn_per_year(self, relief_fraction: float) -> float:
        """Duty the deal's rate saves the principal's exporters a year against the threatened rates (2024 volumes)."""
        rate = float(self.rate(relief_fraction))
        return float(sum(g.exports_usd_bn_per_year * (g.rate_without_deal - rate) for g in self.goods))

    def principal_relief_usd_bn_per_year(self, relief_fraction: float) -> float:
        """What that relief is worth to the principal a year (its exporters' share of the duty, and volume kept)."""
        rate = float(self.rate(relief_fraction))
        return float(sum(w * (g.rate_without_deal - rate)
                         for w, g in zip(self.principal_cost_weights(), self.goods, strict=True)))
