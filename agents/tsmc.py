"""TSMC: decides how much extra it builds in the US given the tariff relief on Japanese parts and tools.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    committed_usd_bn: FACTS.md, an additional $100bn committed to US investment.
    japanese_parts_share: assumption, the share of a US fab's capex bought from Japanese suppliers.
    parts_tariff_cut: FACTS.md, the tariff cut (25% → 15%: 10 points).
    margin_per_usd: assumption, TSMC's NPV margin per $ of US capex.
    japanese_parts_margin: assumption, Japanese suppliers' margin on what they sell.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mesa
import numpy as np

from agents.base import Actor
from negotiation.economics import as_terms
from negotiation.issues import Package


class TSMC(Actor):
    """TSMC (investor): chooses its US build to maximise profit, (μ + σ)·B − B²/(2K).

    μ is its margin per $ of capex and σ(x) = x·φ·τ the cost saving when relief x removes the tariff cut τ
    on the Japanese share φ of its capex. K = B₀/μ makes B₀ (the committed build) optimal with no relief,
    so B*(x) = B₀·(1 + σ(x)/μ): relief makes building in the US cheaper and TSMC builds more, with more
    Japanese parts. Its utility gain is K·((μ + σ)² − μ²)/2.
    """

    key: ClassVar[str] = "tsmc"
    name: ClassVar[str] = "TSMC"
    traits: ClassVar[dict[str, Any]] = {"role": "investor", "side": "neither", "has_veto": False,
                                        "proposes": False, "stochastic": False}

    def __init__(self, model: mesa.Model, committed_usd_bn: float, margin_per_usd: float,
                 japanese_parts_share: float, parts_tariff_cut: float) -> None:
        super().__init__(model)
        self.committed_usd_bn = committed_usd_bn
        self.margin_per_usd = margin_per_usd
        self.japanese_parts_share = japanese_parts_share
        self.parts_tariff_cut = parts_tariff_cut

    def cost_saving(self, relief_fraction: np.ndarray) -> np.ndarray:
        """σ(x): the saving per $ of capex from relief on the Japanese parts and tools it buys."""
        return as_terms(relief_fraction) * self.japanese_parts_share * self.parts_tariff_cut

    def build_usd_bn(self, relief_fraction: np.ndarray) -> np.ndarray:
        """B*(x): how much TSMC builds in the US at relief x."""
        return self.committed_usd_bn * (1.0 + self.cost_saving(relief_fraction) / self.margin_per_usd)

    def extra_build_usd_bn(self, relief_fraction: np.ndarray) -> np.ndarray:
        """B*(x) − B*(0): what the deal adds to TSMC's US build."""
        return self.build_usd_bn(relief_fraction) - self.committed_usd_bn

    def outcome_utility(self, package: Package | None) -> float:
        """TSMC's profit gain over no deal, $bn."""
        x = 0.0 if package is None else package.relief_fraction
        mu, sigma = self.margin_per_usd, float(self.cost_saving(x))
        k = self.committed_usd_bn / mu
        return 0.5 * k * ((mu + sigma) ** 2 - mu**2)
