"""A state lender (JBIC in the baseline): funds a package only if its equity earns its cost of funds and margin.

Sources for its parameters (values and ranges in ``runs/baseline.toml``):
    cost_of_funds_per_year: FACTS jbic-funding-spread (JBIC's dollar bonds, about 4.6%).
    required_margin_per_year: assumption, the lender's spread over its funding.
    state_backing_usd_bn: FACTS nexi-capital, filp-fy2026 (the budget's new backing); an assumption on how
        much expected loss the government stands behind.
    the projects' failure rates and recoveries: ``[deal.projects.*]`` (FACTS pf-default-recovery).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.contract import Actor
from negotiation.economics import Clock, Portfolio
from negotiation.issues import Package, Response
from negotiation.scenario import LenderParams, given

if TYPE_CHECKING:
    from negotiation.scenario import Spec

FUNDED_TOLERANCE = 1e-12  # an NPV this close to 0 (per $) is not a loss


@dataclass(frozen=True)
class LenderTerms:
    """What the lender weighs per $ of equity: its hurdle rate, what its insurer's cover costs it, the backing."""

    hurdle_rate_per_year: float
    cover_cost_per_usd: float  # the insurer's loading on the expected claims it covers, PV per $ of equity
    backing_per_usd: float = 0.0  # the state's backing, per $ of equity

    def npv_per_usd(self, portfolio: Portfolio, q: Any, s: Any) -> np.ndarray:
        """Expected NPV per $ of equity at deployment, at the hurdle, of the principal's part at shares (q, s).

        NPV(q, s) = (1 − q)·B + (1 − s)·A + R − 1 − λ·Σ p(1 − R)·c·e^(−h·b) + backing, with B, A and R the
        cash before and after recoup and the recoveries, valued at the hurdle from the deployment date (the
        recoup date moves with q). The cover the insurer sells at its loaded price pays the expected claims,
        so only the loading is a cost. Broadcasts over (q, s).
        """
        q, s = np.asarray(q, dtype=float), np.asarray(s, dtype=float)
        unique, inverse = np.unique(q.reshape(-1), return_inverse=True)
        v = portfolio.values(Clock(self.hurdle_rate_per_year), 0.0, 0.0, unique)
        before, after, recovery = (np.asarray(x)[inverse].reshape(q.shape) for x in (v.before, v.after, v.recovery))
        return (1.0 - q) * before + (1.0 - s) * after + recovery - 1.0 - self.cover_cost_per_usd \
            + self.backing_per_usd

    def one_share_limit(self, portfolio: Portfolio) -> float | None:
        """The highest share x it funds when the counterpart takes x throughout (``None``: it funds none).

        With one share the recoup date does not matter: NPV(x, x) = (1 − x)·W + R − 1 − cover + backing, W
        the whole cash, so the limit is 1 − (1 + cover − backing − R)/W, clipped to [0, 1].
        """
        at_zero = float(self.npv_per_usd(portfolio, 0.0, 0.0))
        at_one = float(self.npv_per_usd(portfolio, 1.0, 1.0))
        if at_zero < -FUNDED_TOLERANCE:
            return None
        if at_one >= -FUNDED_TOLERANCE:
            return 1.0
        return min(max(at_zero / (at_zero - at_one), 0.0), 1.0)


class Lender(Actor):
    """A state lender (Level II ratifier): funds a package if its expected NPV at its hurdle is ≥ 0.

    Its participation constraint is derived from its own parameters, not a minimum share: the principal's
    part of the profits, at the lender's cost of funds plus margin, must repay the equity, the insurer's
    loading and the expected losses the state does not stand behind (Putnam 1988: a Level-II win-set). It
    rules on both shares: the share before recoup carries most of the money at realistic yields; the share
    after recoup matters where the principal recoups within the projects' lives.
    """

    role: ClassVar[str] = "lender"
    traits: ClassVar[dict[str, Any]] = {"level": "II", "has_veto": True, "proposes": False, "ratifies": True,
                                        "stochastic": False}

    def __init__(self, model: mesa.Model, key: str, name: str, cost_of_funds_per_year: float,
                 required_margin_per_year: float, portfolio: Portfolio, equity_usd_bn: float,
                 insurer: Any = None, state_backing_usd_bn: float = 0.0) -> None:
        super().__init__(model, key, name)
        self.cost_of_funds_per_year = cost_of_funds_per_year
        self.required_margin_per_year = required_margin_per_year
        self.portfolio = portfolio
        self.equity_usd_bn = equity_usd_bn
        self.insurer = insurer
        self.state_backing_usd_bn = state_backing_usd_bn
        self.terms = self.terms_seen_with(1.0, 1.0)
        if insurer is not None:
            insurer.sell_cover(equity_usd_bn * self.terms.cover_cost_per_usd)

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Lender:
        """From ``agents.<key>`` and the deal's projects; it buys cover from the scenario's insurer."""
        table: Any = model
        params = spec.table(key, LenderParams)
        insurer = table.insurers[0] if table.insurers else None
        return cls(model, key, params.name, given(params.cost_of_funds_per_year),
                   given(params.required_margin_per_year), table.portfolio, table.equity_usd_bn, insurer,
                   params.state_backing_usd_bn)

    def terms_seen_with(self, margin_factor: float, failure_factor: float) -> LenderTerms:
        """Its hurdle and cover cost as someone whose beliefs scale its margin and the failure rate sees them."""
        hurdle = self.cost_of_funds_per_year + self.required_margin_per_year * margin_factor
        cover = 0.0 if self.insurer is None else self.insurer.cover_cost_per_usd(self.portfolio, hurdle,
                                                                                 failure_factor)
        backing = self.state_backing_usd_bn / self.equity_usd_bn if self.equity_usd_bn > 0 else 0.0
        return LenderTerms(hurdle, cover, backing)

    def funds(self, q: Any, s: Any) -> np.ndarray:
        """Whether it funds each (q, s): expected NPV ≥ 0 (within :data:`FUNDED_TOLERANCE`)."""
        return np.asarray(self.terms.npv_per_usd(self.portfolio, q, s) >= -FUNDED_TOLERANCE)

    def limit_if_none_funded(self, q: np.ndarray, s: np.ndarray) -> str | None:
        """Why it funds none of the options (q, s), in words, with its limit; ``None`` if it funds one."""
        npv = np.asarray(self.terms.npv_per_usd(self.portfolio, q, s))
        if bool((npv >= -FUNDED_TOLERANCE).any()):
            return None
        best = float(npv.max())
        needed = -best * self.equity_usd_bn  # the backing enters its NPV per $ one for one: backing / equity
        return (f"{self.name} funds no split of the profits (its expected NPV is at best {100 * best:.1f} cents per $ "
                f"of equity at its hurdle, {self.terms.hurdle_rate_per_year:.1%} a year; it lends at 0 or more: "
                f"${needed:,.2f}bn more of the state's backing would make it fund the split best for it)")

    def respond(self, package: Package) -> Response:
        """Fund the package or say no."""
        if bool(self.funds(package.us_share_before_recoup, package.us_profit_share)):
            return Response(self.key, True)
        return Response(self.key, False, "not funded")

    def outcome_utility(self, package: Package | None) -> float:
        """Expected NPV in $bn at the agreed package, the state's backing included (0 with no deal)."""
        if package is None:
            return 0.0
        return self.equity_usd_bn * float(self.terms.npv_per_usd(self.portfolio, package.us_share_before_recoup,
                                                                  package.us_profit_share))

    def stance(self, package: Package | None) -> str:
        """Whether it would fund the package."""
        if package is None:
            return "—"
        return "would fund" if self.respond(package).accepted else "would NOT fund"
