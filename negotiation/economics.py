"""Cash-flow arithmetic the actors share: present values of flows that start, stop and split over time.

Pure functions on floats and NumPy arrays, in years and $bn, with continuous discounting. The actors in
``agents/`` build their preferences from these; nothing here knows about Mesa or about any one actor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from negotiation.scenario import Deal


def annuity(rate_per_year: float, start_years: float, end_years: float) -> float:
    """Present value at time 0 of a flow of 1 per year paid from ``start_years`` to ``end_years``.

    Continuous discounting: (e^(−r·a) − e^(−r·b)) / r, and b − a when r = 0.

    >>> round(annuity(0.0, 1.0, 3.0), 6)
    2.0
    >>> round(annuity(0.05, 0.0, 20.0), 4)  # (1 − e^−1)/0.05
    12.6424
    """
    if end_years <= start_years:
        return 0.0
    if rate_per_year <= 0:
        return end_years - start_years
    return (math.exp(-rate_per_year * start_years) - math.exp(-rate_per_year * end_years)) / rate_per_year


def recoup_years(japan_phase1_share: float, cash_yield_per_year: float, recoup_rate_per_year: float,
                 build_years: float, end_years: float) -> float:
    """When Japan has recouped its deemed allocation (principal plus interest at the recoup rate).

    Japan receives ``japan_phase1_share`` of a project's cash yield from ``build_years`` on; it has recouped
    at the τ where the value of what it received, discounted at the recoup rate, equals the principal:
    share·yield·(e^(−i·b) − e^(−i·τ))/i = 1. Returns ``end_years`` if that never happens within the life.

    >>> round(recoup_years(0.5, 0.2, 0.0, 0.0, 30.0), 6)  # 0.1 a year repays 1 in 10 years
    10.0
    >>> recoup_years(0.5, 0.05, 0.05, 0.0, 30.0)  # 2.5% a year never covers 5% interest
    30.0
    """
    flow = japan_phase1_share * cash_yield_per_year
    if flow <= 0:
        return end_years
    i = recoup_rate_per_year
    if i <= 0:
        return min(build_years + 1.0 / flow, end_years)
    left = math.exp(-i * build_years) - i / flow
    if left <= 0:
        return end_years
    return min(-math.log(left) / i, end_years)


@dataclass(frozen=True)
class ProfitStreams:
    """The timing of equity-related profits under the deal's split rule, per $ of equity.

    Projects pay ``cash_yield_per_year`` per $ of equity from ``build_years`` to ``end_years`` with
    probability ``1 − failure_probability``. Under the two-phase rule the US takes ``phase1_us_share``
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
    def from_deal(cls, deal: Deal) -> ProfitStreams:
        """Derive the streams from the scenario's ``[deal]`` table."""
        end = deal.build_years + deal.profit_life_years
        if deal.two_phase:
            tau = recoup_years(1.0 - deal.phase1_us_share, deal.project_cash_yield_per_year,
                               deal.recoup_rate_per_year, deal.build_years, end)
        else:
            tau = deal.build_years
        return cls(deal.project_cash_yield_per_year, deal.build_years, end, tau,
                   deal.phase1_us_share, deal.project_failure_probability, deal.recovery_fraction)

    def phase_values(self, rate_per_year: float, delay_years: float = 0.0) -> tuple[float, float]:
        """Expected PV per $ of equity of the whole profit flow before and after recoup."""
        d = delay_years
        expected = (1.0 - self.failure_probability) * self.cash_yield_per_year
        before = expected * annuity(rate_per_year, self.build_years + d, self.recoup_years + d)
        after = expected * annuity(rate_per_year, self.recoup_years + d, self.end_years + d)
        return before, after

    def us_value(self, us_share: np.ndarray | float, rate_per_year: float, delay_years: float = 0.0):
        """Expected PV per $ of equity of the US's part of the profits."""
        before, after = self.phase_values(rate_per_year, delay_years)
        return self.phase1_us_share * before + as_terms(us_share) * after

    def japan_value(self, us_share: np.ndarray | float, rate_per_year: float, delay_years: float = 0.0):
        """Expected PV per $ of equity of Japan's part of the profits, with recovery on failed projects."""
        before, after = self.phase_values(rate_per_year, delay_years)
        recovery = self.failure_probability * self.recovery_fraction * math.exp(
            -rate_per_year * (self.build_years + delay_years))
        return (1.0 - self.phase1_us_share) * before + (1.0 - as_terms(us_share)) * after + recovery


def as_terms(values: np.ndarray | float) -> np.ndarray | float:
    """Terms (shares, relief fractions) as a float array, except a plain float, kept as one.

    Single packages (the lenders' answers, patience from the cost of delay) then skip NumPy's per-call
    overhead; the arithmetic is the same IEEE arithmetic either way.
    """
    return values if isinstance(values, float) else np.asarray(values, dtype=float)
