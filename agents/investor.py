"""A third-party investor (TSMC in the baseline): builds more in the counterpart's market when relief cuts its costs.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    committed_usd_bn: docs/FACTS.md, TSMC's additional $100bn committed to US investment.
    principal_parts_share: assumption, the share of a fab's capex bought from the principal's suppliers.
    the tariff cut on its parts: the deal's own cut, x·(τ_threat − τ_floor) at relief fraction x.
    margin_per_usd: assumption; 1/μ is the elasticity of its build to its cost (1 in the baseline, within the
        user-cost elasticities of investment the literature finds, ≈ 0.25–1.6).
    principal_parts_margin: assumption, the principal's suppliers' margin on what they sell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.contract import Actor
from negotiation.issues import Package
from negotiation.scenario import InvestorParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


def no_build(relief_fraction: Any) -> Any:
    """No extra build at any relief (no investor)."""
    return 0.0 * np.asarray(relief_fraction)


class Investor(Actor):
    """The investor: chooses its build to maximise profit, (μ + σ)·B − B²/(2K).

    μ is its margin per $ of capex and σ(x) = x·φ·τ the cost saving when relief x removes the tariff cut τ
    on the principal's share φ of its capex. K = B₀/μ makes B₀ (the committed build) optimal with no relief,
    so B*(x) = B₀·(1 + σ(x)/μ): relief makes building cheaper and it builds more, with more of the principal's
    parts. Its utility gain is K·((μ + σ)² − μ²)/2.
    """

    role: ClassVar[str] = "investor"
    traits: ClassVar[dict[str, Any]] = {"level": None, "has_veto": False, "proposes": False, "ratifies": False,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, committed_usd_bn: float, margin_per_usd: float,
                 principal_parts_share: float, parts_tariff_cut: float, principal_parts_margin: float) -> None:
        """``parts_tariff_cut`` is the cut in the tariff on its parts at full relief (x = 1)."""
        super().__init__(model, key, name)
        self.committed_usd_bn = committed_usd_bn
        self.margin_per_usd = margin_per_usd
        self.principal_parts_share = principal_parts_share
        self.parts_tariff_cut = parts_tariff_cut
        self.principal_parts_margin = principal_parts_margin

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Investor:
        """From ``agents.<key>``."""
        p = spec.table(key, InvestorParams)
        trade = model.trade
        cut = 0.0 if trade is None else trade.threat_rate - trade.floor_rate
        return cls(model, key, p.name, given(p.committed_usd_bn), given(p.margin_per_usd),
                   given(p.principal_parts_share), cut, given(p.principal_parts_margin))

    def cost_saving(self, relief_fraction: Any) -> Any:
        """σ(x): the saving per $ of capex from relief on the principal's parts and tools it buys."""
        return np.asarray(relief_fraction) * self.principal_parts_share * self.parts_tariff_cut

    def build_usd_bn(self, relief_fraction: Any) -> Any:
        """B*(x): how much it builds at relief x."""
        return self.committed_usd_bn * (1.0 + self.cost_saving(relief_fraction) / self.margin_per_usd)

    def extra_build_usd_bn(self, relief_fraction: Any) -> Any:
        """B*(x) − B*(0): what the deal adds to its build."""
        return self.build_usd_bn(relief_fraction) - self.committed_usd_bn

    def parts_income_usd_bn(self, relief_fraction: Any) -> Any:
        """The principal's suppliers' margin on the parts in the extra build, $bn."""
        return self.principal_parts_share * self.principal_parts_margin * self.extra_build_usd_bn(relief_fraction)

    def outcome_utility(self, package: Package | None) -> float:
        """Its profit gain over no deal, $bn."""
        x = 0.0 if package is None else package.relief_fraction
        mu, sigma = self.margin_per_usd, float(self.cost_saving(x))
        k = self.committed_usd_bn / mu
        return 0.5 * k * ((mu + sigma) ** 2 - mu**2)

    def stance(self, package: Package | None) -> str:
        """How much it builds at the package's relief."""
        relief = 0.0 if package is None else package.relief_fraction
        return f"builds ${float(self.build_usd_bn(relief)):.0f}bn"


def combined(investors: list[Investor],
             per_investor: Callable[[Investor], Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """The sum over investors of a response function of relief (``no_build`` when there are none)."""
    if not investors:
        return no_build
    if len(investors) == 1:
        return per_investor(investors[0])
    parts = [per_investor(i) for i in investors]
    return lambda x: sum(f(x) for f in parts)
