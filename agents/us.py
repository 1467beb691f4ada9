"""The US government: wants equity-related profits and onshore investment, gives up tariff revenue.

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``):
    discount_rate_per_year: assumption, the 10-year Treasury yield in 2025 (about 4.3%).
    onshore_value_per_usd: assumption, the value the administration puts on a dollar invested onshore.
    relief_cost_weight: assumption, the weight on forgone duty (part is paid by US buyers, FACTS.md).
    duty_at_stake_usd_bn_per_year: FACTS.md, "direct duty saved by the cut" (≈ $15bn a year).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from agents.base import Government
from negotiation.economics import ProfitStreams, annuity, as_terms


def _no_build(relief_fraction: np.ndarray | float) -> np.ndarray | float:
    """No extra build at any relief (TSMC absent)."""
    return 0.0 * as_terms(relief_fraction)


@dataclass(frozen=True)
class USPreferences:
    """The US's utility of a package, in present-value $bn at its own discount rate.

    u_US(s, x) = E·profits_US(s) + v·(F + ΔB(x)) − w·D·x·A(r, 0, T_relief)

    where E is Japan's equity in $bn, profits_US the US part of the equity-related profits per $ (two-phase
    rule included), v the value of a dollar invested onshore, F the fund, ΔB(x) TSMC's extra US build,
    w·D the weighted duty forgone per year and A an annuity to the end of the tariff regime. In the unit
    game (Rubinstein's), u_US = s.
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
    tsmc_extra_build_usd_bn: Callable[[np.ndarray], np.ndarray] = field(default=_no_build)
    disagreement: float = 0.0

    def utility(self, us_share: np.ndarray, relief_fraction: np.ndarray, delay_years: float = 0.0) -> np.ndarray:
        """Utility (PV $bn) of each package agreed after ``delay_years``."""
        s, x = as_terms(us_share), as_terms(relief_fraction)
        if self.unit_surplus:
            return s + 0.0 * x
        r, d = self.discount_rate_per_year, delay_years
        profits = self.equity_usd_bn * self.streams.us_value(s, r, d)
        onshore = self.onshore_value_per_usd * (self.fund_usd_bn + self.tsmc_extra_build_usd_bn(x)) * np.exp(-r * d)
        relief_cost = (self.relief_cost_weight * self.duty_at_stake_usd_bn_per_year * x
                       * annuity(r, d, self.relief_life_years))
        return profits + onshore - relief_cost


class US(Government):
    """The US government (Level I counterpart): proposes and accepts terms; holds the tariff threat."""

    key: ClassVar[str] = "us"
    name: ClassVar[str] = "US government"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "side": "counterpart"}
