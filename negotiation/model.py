"""NegotiationModel: the US and Japan bargain round by round over a package, under Level-II ratification.

One ``step()`` is one bargaining round (``protocol.round_months`` of calendar time): the proposer offers a
package (US profit share, tariff relief), Japan's lenders say whether they would fund it, the responder
accepts or rejects, both sides learn from what they saw, and a DataCollector row is written. The model
stops itself on agreement, or at the deadline (``Spec.deadline_rounds``) with breakdown.

It follows the ODD description in docs/ODD.md; every behaviour lives in its actor's class in ``agents/``.
The same scenario is solved from the outside by ``negotiation.solvers`` (``model.solve()``), which the
agents never call.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from agents.base import Government, lognormal_factor
from agents.japan import Japan, JapanPreferences
from agents.jbic import JBIC, LenderTerms, nexi_cost_per_usd
from agents.nexi import NEXI
from agents.tsmc import TSMC
from agents.us import US, USPreferences
from negotiation.economics import ProfitStreams, annuity
from negotiation.issues import Offer, Package, Response
from negotiation.scenario import Spec, load_scenario, with_overrides
from negotiation.solvers.package_game import GameSolution, PackageGame, solve_package_game

SHARE_POINTS = 201  # the agents' grid over the US share (the solver uses its own, finer grid)
RELIEF_POINTS = 21  # the agents' grid over the relief fraction


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


_SHARE_GRID = _read_only(np.linspace(0.0, 1.0, SHARE_POINTS))  # shared by every model: never written
_RELIEF_GRID = _read_only(np.linspace(0.0, 1.0, RELIEF_POINTS))
_NO_RELIEF_GRID = _read_only(np.array([0.0]))
_SOLUTIONS: dict[str, GameSolution] = {}  # solved equilibria by scenario digest (see NegotiationModel.solve)
_SOLUTIONS_KEPT = 64


@dataclass
class Result:
    """What a run ended with: the agreement (or breakdown), each actor's utility, the equilibrium."""

    agreed: bool
    steps: int
    package: Package | None
    utilities: dict[str, float]
    equilibrium: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


class NegotiationModel(mesa.Model):
    """The negotiation table: builds the actors from a scenario and runs the bargaining protocol.

    Args:
        spec: a validated scenario; when ``None``, ``scenario_path`` (default: the baseline) is loaded.
        scenario_path: a scenario TOML file, used when ``spec`` is ``None``.
        overrides: dotted-key overrides (``{"deal.equity_fraction": 0.2}``), validated like the file.
        rng: the seed (or NumPy generator); every random draw comes from ``self.rng``.
        collect_data: record a DataCollector row per round (default: ``protocol.collect_data``).

    """

    def __init__(self, spec: Spec | None = None, *, scenario_path: str | Path | None = None,
                 overrides: dict[str, Any] | None = None, rng: Any = None,
                 collect_data: bool | None = None) -> None:
        super().__init__(rng=rng)
        if spec is None:
            spec = load_scenario(scenario_path)
        if overrides:
            spec = with_overrides(spec, overrides)
        self.spec = spec
        self.seed_value = rng if isinstance(rng, int) else None
        self.max_rounds = spec.deadline_rounds
        self.concession_rounds = spec.protocol.concession_rounds
        self.round_years = spec.protocol.round_months / 12.0
        self.unit_surplus = spec.deal.kind == "unit_surplus"
        self.share_grid = _SHARE_GRID
        self.relief_at_stake = (not self.unit_surplus and spec.deal.tariff_threat
                                and spec.deal.tariff_relief_max_usd_bn_per_year > 0)
        self.relief_grid = _RELIEF_GRID if self.relief_at_stake else _NO_RELIEF_GRID
        self.offers: list[Offer] = []
        self.responses: list[tuple[Response, ...]] = []
        self.agreement: Package | None = None
        self.outcome = "running"
        self._solution: GameSolution | None = None
        self._digest: str | None = None
        self._build_actors()
        self._form_beliefs()
        self.collect_data = spec.protocol.collect_data if collect_data is None else collect_data
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": lambda m: m.steps,
            "proposer": lambda m: m.offers[-1].proposer if m.offers else None,
            "us_profit_share": lambda m: m.offers[-1].package.us_profit_share if m.offers else None,
            "tariff_relief_usd_bn_per_year": lambda m: (m.relief_usd_bn_per_year(m.offers[-1].package)
                                                        if m.offers else None),
            "us_utility": lambda m: m.us.utility_of(m.offers[-1].package) if m.offers else None,
            "japan_utility": lambda m: m.japan.utility_of(m.offers[-1].package) if m.offers else None,
            "accepted": lambda m: bool(m.responses and m.responses[-1][-1].accepted),
            "lenders_fund": lambda m: (all(r.accepted for r in m.responses[-1] if r.actor in ("jbic", "nexi"))
                                       if m.responses else None),
            "tsmc_build_usd_bn": lambda m: (float(m.tsmc.build_usd_bn(m.offers[-1].package.relief_fraction))
                                            if m.offers and m.tsmc is not None else None),
            "us_believed_fundable_share": lambda m: m.us.believed_fundable_share,
        })

    # -- construction --------------------------------------------------------------------------------------
    def _build_actors(self) -> None:
        deal, a = self.spec.deal, self.spec.agents
        self.tsmc = self.jbic = self.nexi = None
        if self.unit_surplus:
            self.streams = None
            us_pref = USPreferences(unit_surplus=True)
            japan_pref = JapanPreferences(unit_surplus=True)
            self.equity_usd_bn = 0.0
            self.fundable_share = 1.0
        else:
            self.streams = ProfitStreams.from_deal(deal)
            self.equity_usd_bn = deal.fund_usd_bn * deal.equity_fraction
            extra_build = None
            if a.tsmc is not None:
                self.tsmc = TSMC(self, a.tsmc.committed_usd_bn, a.tsmc.margin_per_usd,
                                 a.tsmc.japanese_parts_share, a.tsmc.parts_tariff_cut)
                extra_build = self.tsmc.extra_build_usd_bn
            self.fundable_share = 1.0
            if a.jbic is not None:
                self.jbic = JBIC(self, self.lender_terms(), self.streams, self.equity_usd_bn)
                self.fundable_share = self.jbic.fundable_share
            if a.nexi is not None:
                exposure = (a.nexi.guaranteed_fraction_of_fund * deal.fund_usd_bn
                            + a.nexi.coverage_fraction * self.equity_usd_bn)
                income = self.equity_usd_bn * self._nexi_cost(self.lender_terms().hurdle_rate_per_year)
                self.nexi = NEXI(self, exposure, a.nexi.capacity_usd_bn, income)
                if not self.nexi.within_capacity:
                    self.fundable_share = -1.0
            relief_value = deal.tariff_relief_max_usd_bn_per_year if deal.tariff_threat else 0.0
            duty = deal.duty_at_stake_usd_bn_per_year if deal.tariff_threat else 0.0
            build_kw = {"tsmc_extra_build_usd_bn": extra_build} if extra_build is not None else {}
            us_pref = USPreferences(
                discount_rate_per_year=a.us.discount_rate_per_year, equity_usd_bn=self.equity_usd_bn,
                fund_usd_bn=deal.fund_usd_bn, onshore_value_per_usd=a.us.onshore_value_per_usd,
                relief_cost_weight=a.us.relief_cost_weight, duty_at_stake_usd_bn_per_year=duty,
                relief_life_years=deal.relief_life_years, streams=self.streams, **build_kw)
            parts = (a.tsmc.japanese_parts_share * a.tsmc.japanese_parts_margin) if a.tsmc is not None else 0.0
            japan_pref = JapanPreferences(
                discount_rate_per_year=a.japan.discount_rate_per_year, equity_usd_bn=self.equity_usd_bn,
                relief_value_usd_bn_per_year=relief_value, relief_life_years=deal.relief_life_years,
                parts_margin_share=parts, streams=self.streams, **build_kw)
            outside = a.japan.outside_option_share * relief_value * annuity(
                a.japan.discount_rate_per_year, 0.0, deal.relief_life_years)
            japan_pref = replace(japan_pref, disagreement=outside)
        us_delta = a.us.discount if a.us.discount is not None else self.derived_discount(us_pref, Package(1.0, 0.0))
        japan_delta = (a.japan.discount if a.japan.discount is not None
                       else self.derived_discount(japan_pref, Package(0.0, 1.0 if self.relief_at_stake else 0.0)))
        us_opening = Package(max(min(self.fundable_share, 1.0), 0.0), 0.0)
        opening_share = 1.0 if self.unit_surplus else deal.japan_opening_us_share
        japan_opening = Package(max(min(opening_share, self.fundable_share), 0.0),
                                1.0 if self.relief_at_stake else 0.0)
        self.us = US(self, us_pref, us_delta, us_opening, a.us.concession_beta)
        self.japan = Japan(self, japan_pref, japan_delta, japan_opening, a.japan.concession_beta)
        self.governments: dict[str, Government] = {"us": self.us, "japan": self.japan}

    def lender_terms(self, margin_factor: float = 1.0, failure_factor: float = 1.0) -> LenderTerms:
        """JBIC's hurdle and NEXI's cost, optionally as someone with belief errors would see them."""
        a = self.spec.agents
        hurdle = a.jbic.cost_of_funds_per_year + a.jbic.required_margin_per_year * margin_factor
        return LenderTerms(hurdle, self._nexi_cost(hurdle, failure_factor))

    def _nexi_cost(self, rate: float, failure_factor: float = 1.0) -> float:
        n = self.spec.agents.nexi
        if n is None:
            return 0.0
        streams = replace(self.streams, failure_probability=min(self.streams.failure_probability * failure_factor,
                                                                0.99))
        return nexi_cost_per_usd(n.loading, n.coverage_fraction, streams, rate)

    def derived_discount(self, preferences: Any, ideal: Package) -> float:
        """Per-round patience from the cost of delay.

        The share of the gain from one's ideal package kept when agreement comes one round later,
        (u(p, Δ) − d)/(u(p, 0) − d).
        """
        s, x = float(ideal.us_profit_share), float(ideal.relief_fraction)
        d = preferences.disagreement
        now = float(preferences.utility(s, x, 0.0)) - d
        later = float(preferences.utility(s, x, self.round_years)) - d
        if now <= 0:
            return 0.5
        return min(max(later / now, 0.01), 0.9999)

    def _form_beliefs(self) -> None:
        complete = self.spec.protocol.information == "complete"
        sigma = 0.0 if complete else self.spec.protocol.belief_noise
        rng = self.rng
        us_pref, japan_pref = self.us.preferences, self.japan.preferences
        f = [lognormal_factor(rng, sigma) for _ in range(7)]  # fixed order of draws
        if self.unit_surplus:
            believed_japan, believed_us = japan_pref, us_pref
        else:
            believed_japan = replace(japan_pref,
                                     relief_value_usd_bn_per_year=japan_pref.relief_value_usd_bn_per_year * f[0])
            believed_us = replace(us_pref, onshore_value_per_usd=us_pref.onshore_value_per_usd * f[2],
                                  relief_cost_weight=us_pref.relief_cost_weight * f[3])
        us_sees_delta = min(1.0 - (1.0 - self.japan.discount) * f[1], 0.9999)
        japan_sees_delta = min(1.0 - (1.0 - self.us.discount) * f[4], 0.9999)
        if self.jbic is not None and not complete:
            believed_cap = LenderTerms.fundable_share(self.lender_terms(f[5], f[6]), self.streams)
            if self.nexi is not None and not self.nexi.within_capacity:
                believed_cap = -1.0
        else:
            believed_cap = self.fundable_share
        self.us.form_beliefs(believed_japan, us_sees_delta, believed_cap, complete)
        self.us.opening = Package(min(max(believed_cap, 0.0), 1.0), 0.0)
        self.japan.form_beliefs(believed_us, japan_sees_delta, self.fundable_share, complete)
        self.japan.fundable_share_floor = self.japan.fundable_share_ceiling = self.fundable_share

    # -- protocol --------------------------------------------------------------------------------------------
    def proposer_in(self, t: int) -> str:
        """Which government proposes in round ``t`` (1-based): offers alternate from the first proposer."""
        first = self.spec.protocol.first_proposer
        other = "japan" if first == "us" else "us"
        return first if t % 2 == 1 else other

    @property
    def round(self) -> int:
        """The round being (or about to be) played."""
        return max(self.steps, 1)

    def ratify(self, package: Package) -> Response:
        """Japan's Level-II check: JBIC and NEXI each say whether they fund the package."""
        answers = [lender.respond(package) for lender in (self.jbic, self.nexi) if lender is not None]
        self._lender_answers = tuple(answers)
        refused = [r for r in answers if not r.accepted]
        return Response("lenders", not refused, refused[0].reason if refused else "")

    def step(self) -> None:
        """One round: propose → ratify → respond → learn → collect."""
        t = self.steps
        proposer = self.governments[self.proposer_in(t)]
        responder = self.japan if proposer is self.us else self.us
        self._lender_answers = ()
        package = proposer.propose(t)
        if package is not None:
            offer = Offer(t, proposer.key, responder.key, package)
            proposer.offers_made += 1
            self.offers.append(offer)
            response = responder.respond(offer, funded=self.ratify if responder is self.japan else None)
            if responder is not self.japan:
                self.ratify(package)  # record what the lenders would say of Japan's own offer
            self.responses.append((*self._lender_answers, response))
            if response.accepted:
                self.agreement = package
                self.outcome = "agreement"
                self.running = False
            else:
                proposer.observe_own_offer_refused(offer, response)
                responder.observe_offer(offer)
        if self.running and t >= self.max_rounds:
            self.outcome = "breakdown"
            self.running = False
        if self.collect_data:
            self.datacollector.collect(self)

    def run(self, solve: bool = True) -> Result:
        """Step until agreement or deadline and return the :class:`Result` (``solve``: with equilibrium)."""
        while self.running:
            self.step()
        return self.result(solve=solve)

    # -- views -----------------------------------------------------------------------------------------------
    def relief_usd_bn_per_year(self, package: Package) -> float:
        """Tariff relief of a package: its value to Japan, $bn a year."""
        if not self.relief_at_stake:
            return 0.0
        return package.relief_fraction * self.spec.deal.tariff_relief_max_usd_bn_per_year

    def actors(self) -> list[Any]:
        """The actors taking part, in canonical order."""
        order = {"us": self.us, "japan": self.japan, "jbic": self.jbic, "nexi": self.nexi, "tsmc": self.tsmc}
        return [order[k] for k in self.spec.actors if order.get(k) is not None]

    def game(self) -> PackageGame:
        """The same bargaining game, described for the outside solver (true preferences, no beliefs)."""
        return PackageGame(
            us_utility=lambda s, x: self.us.preferences.utility(s, x),
            japan_utility=lambda s, x: self.japan.preferences.utility(s, x),
            disagreement=(self.us.preferences.disagreement, self.japan.preferences.disagreement),
            deltas=(self.us.discount, self.japan.discount), rounds=self.max_rounds,
            us_first=self.spec.protocol.first_proposer == "us", fundable_share=self.fundable_share,
            relief_at_stake=self.relief_at_stake)

    def solve(self) -> GameSolution:
        """The independently solved equilibrium of this scenario.

        It depends on the scenario alone (not on the seed), so it is cached per scenario in the process:
        replicates of one parameter point, in a sweep or on the page, solve it once.
        """
        if self._solution is None:
            key = self.scenario_digest()
            self._solution = _SOLUTIONS.get(key)
            if self._solution is None:
                self._solution = solve_package_game(self.game())
                _SOLUTIONS[key] = self._solution
                while len(_SOLUTIONS) > _SOLUTIONS_KEPT:
                    _SOLUTIONS.pop(next(iter(_SOLUTIONS)))
        return self._solution

    def scenario_digest(self) -> str:
        """The SHA-256 of the validated scenario (cached)."""
        if self._digest is None:
            text = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
            self._digest = hashlib.sha256(text.encode()).hexdigest()
        return self._digest

    def scenario_hash(self) -> str:
        """A short hash of the validated scenario, for provenance."""
        return self.scenario_digest()[:16]

    def result(self, solve: bool = True) -> Result:
        """The run's outcome, each actor's utility (PV $bn gain over no deal) and the equilibrium.

        With ``solve``, the independently solved equilibrium is included (cached per scenario).
        """
        pkg = self.agreement
        utilities = {a.key: _clean(a.outcome_utility(pkg)) for a in self.actors()}
        if not solve:
            return Result(self.agreement is not None, self.steps, pkg, utilities, {}, {})
        sol = self.solve()

        def point(p: Any) -> dict[str, Any] | None:
            if p is None:
                return None
            return {"us_profit_share": _clean(p.us_profit_share),
                    "tariff_relief_usd_bn_per_year": _clean(self.relief_usd_bn_per_year(
                        Package(p.us_profit_share, p.relief_fraction)))}

        spe = point(sol.spe) or {"us_profit_share": None, "tariff_relief_usd_bn_per_year": None}
        equilibrium = {**spe, "concept": sol.concept, "nash": point(sol.nash),
                       "kalai_smorodinsky": point(sol.kalai_smorodinsky)}
        details: dict[str, Any] = {
            "discounts": {"us": _clean(self.us.discount), "japan": _clean(self.japan.discount)},
            "fundable_share": _clean(self.fundable_share),
            "deadline_rounds": self.max_rounds,
        }
        if self.streams is not None and self.spec.deal.two_phase:
            details["recoup_years"] = _clean(self.streams.recoup_years)
        if pkg is not None and self.streams is not None:
            # Japan's yearly loss from conceding beyond its opening, once recouped (FACTS: Akazawa's
            # "at most a couple of tens of billions of yen" a year is the figure to hold it against)
            yearly_profit = ((1 - self.streams.failure_probability) * self.streams.cash_yield_per_year
                             * self.equity_usd_bn)
            concession = pkg.us_profit_share - self.spec.deal.japan_opening_us_share
            details["japan_concession_loss_usd_bn_per_year"] = _clean(concession * yearly_profit)
            if self.spec.deal.jpy_per_usd is not None:
                details["japan_concession_loss_jpy_bn_per_year"] = _clean(
                    concession * yearly_profit * self.spec.deal.jpy_per_usd)
        if pkg is not None and sol.spe is not None:
            details["distance_to_equilibrium"] = _clean(abs(pkg.us_profit_share - sol.spe.us_profit_share))
        return Result(self.agreement is not None, self.steps, pkg, utilities, equilibrium, details)


def _clean(v: float) -> float:
    """Round a float for stable, readable output (12 significant digits)."""
    if v is None or not math.isfinite(v):
        return v
    return float(f"{v:.12g}")
