"""Japan's government: wants tariff relief on its exports, gives up equity-related profits.

Sources for its preference parameters (values and ranges in ``runs/baseline.toml``):
    tariff_relief_max_usd_bn_per_year: FACTS.md (the article's ¥10t ≈ $68bn a year, an upper bound; the
        duty saved, ≈ $15bn a year, is the lower reading).
    discount_rate_per_year: assumption, the 10-year JGB yield in 2025 (about 1.5%).
    outside_option_share: assumption, the share of the tariff damage Japan could avoid without a deal.
    japan_opening_us_share: FACTS.md, Japan opened at 50:50.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from agents.base import Government
from agents.us import _no_build
from negotiation.economics import ProfitStreams, annuity, as_terms


@dataclass(frozen=True)
class JapanPreferences:
    """Japan's utility of a package, in present-value $bn at its own discount rate.

    u_J(s, x) = V·x·A(r, 0, T_relief) + E·(profits_J(s) − 1) + m·φ·ΔB(x)

    where V is the relief's value to Japan per year, E its equity in $bn (paid in at signing and returned
    through its part of the profits), m·φ·ΔB the margin on Japanese parts in TSMC's extra US build. No deal
    is worth ``disagreement``: the share of the relief's value Japan could secure on its own. In the unit
    game, u_J = 1 − s.
    """

    affine_in_terms: ClassVar[bool] = True  # the agents work from the utility plane (tested)
    unit_surplus: bool = False
    discount_rate_per_year: float = 0.0
    equity_usd_bn: float = 0.0
    relief_value_usd_bn_per_year: float = 0.0
    relief_life_years: float = 0.0
    parts_margin_share: float = 0.0
    streams: ProfitStreams | None = None
    tsmc_extra_build_usd_bn: Callable[[np.ndarray], np.ndarray] = field(default=_no_build)
    disagreement: float = 0.0

    def utility(self, us_share: np.ndarray, relief_fraction: np.ndarray, delay_years: float = 0.0) -> np.ndarray:
        """Utility (PV $bn) of each package agreed after ``delay_years``."""
        s, x = as_terms(us_share), as_terms(relief_fraction)
        if self.unit_surplus:
            return 1.0 - s + 0.0 * x
        r, d = self.discount_rate_per_year, delay_years
        relief = self.relief_value_usd_bn_per_year * x * annuity(r, d, self.relief_life_years)
        equity = self.equity_usd_bn * (self.streams.japan_value(s, r, d) - np.exp(-r * d))
        parts = self.parts_margin_share * self.tsmc_extra_build_usd_bn(x) * np.exp(-r * d)
        return relief + equity + parts


class Japan(Government):
    """Japan's government (Level I principal): proposes and accepts terms its lenders will fund."""

    key: ClassVar[str] = "japan"
    name: ClassVar[str] = "Japan government"
    traits: ClassVar[dict[str, Any]] = {**Government.traits, "side": "principal"}
