"""NEXI, Japan's export-credit insurer: guarantees what fits its capacity at a premium covering losses.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    capacity_usd_bn: FACTS.md (more than ¥1t of bonds plus ¥100bn of new capital, FY2025) and an assumed
        leverage on that capital.
    guaranteed_fraction_of_fund: assumption, the part of the $550bn package NEXI guarantees.
    coverage_fraction, loading: assumptions, the share of a failed project's loss NEXI covers and its
        premium loading over expected claims.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mesa

from agents.base import Actor
from negotiation.issues import Package, Response


class NEXI(Actor):
    """NEXI (Level II ratifier): guarantees the package if its exposure fits its capacity.

    It prices cover at (1 + loading) × expected claims, so every guarantee it writes pays its expected
    losses; its answer to an offer is then whether the exposure (guaranteed loans plus the covered part
    of the equity) fits within its capacity. Its utility is the loading it earns.
    """

    key: ClassVar[str] = "nexi"
    name: ClassVar[str] = "NEXI"
    traits: ClassVar[dict[str, Any]] = {"role": "insurer", "side": "japan", "has_veto": True,
                                        "proposes": False, "stochastic": False}

    def __init__(self, model: mesa.Model, exposure_usd_bn: float, capacity_usd_bn: float,
                 loading_income_usd_bn: float) -> None:
        super().__init__(model)
        self.exposure_usd_bn = exposure_usd_bn
        self.capacity_usd_bn = capacity_usd_bn
        self.loading_income_usd_bn = loading_income_usd_bn

    @property
    def within_capacity(self) -> bool:
        """Whether the exposure the package asks of NEXI fits its capacity."""
        return self.exposure_usd_bn <= self.capacity_usd_bn

    def respond(self, package: Package) -> Response:
        """Guarantee the package or say no."""
        if self.within_capacity:
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """NEXI's expected profit in $bn (the loading on its expected claims), 0 with no deal."""
        return 0.0 if package is None else self.loading_income_usd_bn
