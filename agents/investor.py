"""A third-party investor (TSMC in the baseline): builds more in the counterpart's market when relief cuts its costs.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    committed_usd_bn: docs/FACTS.md, TSMC's additional $100bn committed to US investment.
    principal_parts_share: assumption, the share of a fab's capex bought from the principal's suppliers.
    parts_goods: the group of the principal's goods its parts belong to; the tariff cut on its parts is the
        deal's cut on that group, n − τ (its no-deal rate less the deal's rate).
    margin_per_usd: assumption; 1/μ is the elasticity of its build to its cost (1 in the baseline, within the
        user-cost elasticities of investment the literature finds, ≈ 0.25–1.6).
    principal_parts_margin: assumption, the principal's suppliers' margin on what they sell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa

from agents.contract import Actor
from negotiation.issues import Package
from negotiation.scenario import InvestorParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec


class Investor(Actor):
    """The investor: chooses its build to maximise profit, (μ + σ)·B − B²/(2K).

    μ is its margin per $ of capex and σ = φ·(n − τ) the cost saving when the deal cuts the rate on its parts
    (the principal's share φ of its capex) from its no-deal rate n to τ. K = B₀/μ makes B₀ (the committed
    build) optimal with no deal, so B* = B₀·(1 + σ/μ): relief makes building cheaper and it builds more, with
    more of the principal's parts. Its utility gain is K·((μ + σ)² − μ²)/2.
    """

    role: ClassVar[str] = "investor"
    traits: ClassVar[dict[str, Any]] = {"level": None, "has_veto": False, "proposes": False, "ratifies": False,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, committed_usd_bn: float, margin_per_usd: float,
                 principal_parts_share: float, principal_parts_margin: float, parts_goods: str) -> None:
        super().__init__(model, key, name)
        self.committed_usd_bn = committed_usd_bn
        self.margin_per_usd = margin_per_usd
        self.principal_parts_share = principal_parts_share
        self.principal_parts_margin = principal_parts_margin
        self.parts_goods = parts_goods

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Investor:
        """From ``agents.<key>``."""
        p = spec.table(key, InvestorParams)
        return cls(model, key, p.name, given(p.committed_usd_bn), given(p.margin_per_usd),
                   given(p.principal_parts_share), given(p.principal_parts_margin), p.parts_goods)

    def build_per_rate(self) -> float:
        """dB*/d(cut): its extra build per unit the rate on its parts is cut, B₀·φ/μ."""
        return self.committed_usd_bn * self.principal_parts_share / self.margin_per_usd

    def parts_margin_per_rate(self) -> float:
        """The principal's suppliers' margin on its extra build per unit of cut: m_p·φ·B₀·φ/μ."""
        return self.principal_parts_margin * self.principal_parts_share * self.build_per_rate()

    def parts_cut(self, package: Package | None) -> float:
        """The cut in the rate on its parts a package brings (0 with no deal or no rate on them)."""
        table: Any = self.model
        trade = table.trade
        if package is None or trade is None:
            return 0.0
        for term, rate in zip(table.terms.continuous, package.tariff_rates, strict=False):
            if term.name == self.parts_goods:
                return term.high - rate
        return 0.0

    def build_usd_bn(self, package: Package | None) -> float:
        """B*: how much it builds under a package."""
        sigma = self.principal_parts_share * self.parts_cut(package)
        return self.committed_usd_bn * (1.0 + sigma / self.margin_per_usd)

    def outcome_utility(self, package: Package | None) -> float:
        """Its profit gain over no deal, $bn."""
        mu, sigma = self.margin_per_usd, self.principal_parts_share * self.parts_cut(package)
        k = self.committed_usd_bn / mu
        return 0.5 * k * ((mu + sigma) ** 2 - mu**2)

    def stance(self, package: Package | None) -> str:
        """How much it builds under the package."""
        return f"builds ${self.build_usd_bn(package):.0f}bn"
