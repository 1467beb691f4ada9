"""NegotiationModel: two governments bargain round by round over a package, under Level-II ratification.

It follows the ODD description in docs/ODD.md. The model is the negotiation table: it seats the actors a
scenario names (each builds itself from the scenario: ``agents/``), draws the run's belief errors, and runs
the protocol. One ``step()`` is one bargaining round (``protocol.round_months`` of calendar time; round k is played at
(k − 1)·Δ years after the talks' start, and everyone values a package agreed then at that date):

    propose  — the round's proposer offers a package (US profit share, tariff relief)
    ratify   — the principal's lenders and insurer say whether they would fund it (Level II)
    respond  — the other government accepts or rejects it (the principal only what is funded)
    learn    — on a rejection, both governments update their beliefs
    collect  — a DataCollector row

The model stops itself on agreement, or at the deadline (``Spec.deadline_rounds``) with breakdown. The same
scenario is solved from the outside by ``negotiation.solvers`` (``model.solve()``), which the agents never
call. The model reads no files: give it a validated :class:`~negotiation.scenario.Spec`.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import mesa
import numpy as np

from agents import ROLES
from agents.bargaining import BeliefErrors, Government
from agents.contract import Actor
from agents.investor import Investor, combined
from agents.lender import Lender
from agents.principal import Principal
from negotiation.economics import Goods, Portfolio, ProfitStreams, TradeTerms
from negotiation.issues import Offer, Package, Response
from negotiation.result import Equilibrium, Point, RunResult
from negotiation.scenario import CounterpartParams, Spec, given
from negotiation.scenario_files import with_overrides
from negotiation.solvers.bargaining import clip_polyline, nash_on_polyline
from negotiation.solvers.metrics import advantage, concession_rate, frontier_distance, welfare
from negotiation.solvers.package_game import GameSolution, PackageGame, _chain, solve_package_game

_SOLUTIONS: dict[str, GameSolution] = {}  # solved equilibria by scenario digest (see NegotiationModel.solve)
_SOLUTIONS_KEPT = 64


class NegotiationModel(mesa.Model):
    """The negotiation table: seats the actors of a scenario and runs the bargaining protocol.

    Args:
        spec: a validated scenario (``negotiation.scenario_files.load_scenario`` reads one from a file).
        overrides: dotted-key overrides (``{"deal.equity_fraction": 0.2}``), validated like the file.
        rng: the seed (or NumPy generator); every random draw comes from ``self.rng``.
        collect_data: record a DataCollector row per round (default: ``protocol.collect_data``).

    """

    def __init__(self, spec: Spec, *, overrides: dict[str, Any] | None = None, rng: Any = None,
                 collect_data: bool | None = None) -> None:
        super().__init__(rng=rng)
        if overrides:
            spec = with_overrides(spec, overrides)
        self.spec = spec
        self.seed_value = rng if isinstance(rng, int) else None
        self.max_rounds = spec.deadline_rounds
        self.concession_rounds = spec.protocol.concession_rounds or 1
        self.round_years = spec.protocol.round_months / 12.0
        self.round_dates = np.arange(self.max_rounds, dtype=float) * self.round_years  # index k − 1: round k
        # the chance the talks go on after a refusal (an exogenous breakdown hazard: Binmore, Rubinstein &
        # Wolinsky 1986); 1 in the unit game, where patience alone is the cost of delay
        self.survival = float(np.exp(-spec.protocol.breakdown_hazard_per_year * self.round_years))
        self.offers: list[Offer] = []
        self.responses: list[tuple[Response, ...]] = []
        self.agreement: Package | None = None
        self.agreement_round = 0
        self.outcome = "running"
        self.seats: dict[str, Any] = {}  # government key → who decides for it instead (see decider)
        self._solution: GameSolution | None = None
        self._digest: str | None = None
        self._share_range: tuple[float, float] | None = None
        self._derived: dict[Any, Any] = spec._derived  # the scenario's own cache, read once (a private attribute)
        first = spec.first_proposer
        self._proposers = (spec.other_government(first), first)  # who proposes in even and odd rounds
        self._deal_economics()
        self._seat_actors()
        self._draw_beliefs()
        self.collect_data = spec.protocol.collect_data if collect_data is None else collect_data
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": lambda m: m.steps,
            "proposer": lambda m: m.offers[-1].proposer if m.offers else None,
            "us_profit_share": lambda m: m.offers[-1].package.us_profit_share if m.offers else None,
            "tariff_relief_usd_bn_per_year": lambda m: (m.relief_usd_bn_per_year(m.offers[-1].package)
                                                        if m.offers else None),
            "counterpart_utility": lambda m: m.counterpart.utility_of(m.offers[-1].package) if m.offers else None,
            "principal_utility": lambda m: m.principal.utility_of(m.offers[-1].package) if m.offers else None,
            "accepted": lambda m: bool(m.responses and m.responses[-1][-1].accepted),
            "lenders_fund": lambda m: all(r.accepted for r in m.responses[-1][:-1]) if m.responses else None,
            "investor_build_usd_bn": lambda m: (sum(float(i.build_usd_bn(m.offers[-1].package.relief_fraction))
                                                    for i in m.investors) if m.offers and m.investors else None),
            "counterpart_believed_fundable_share": lambda m: m.counterpart.believed_fundable_share,
        })

    # -- construction --------------------------------------------------------------------------------------
    def _deal_economics(self) -> None:
        """What the deal itself fixes: the issues at stake, the tariffs, the project portfolio, the equity."""
        deal = self.spec.deal
        self.unit_surplus = deal.kind == "unit_surplus"
        self.relief_at_stake = not self.unit_surplus and deal.tariff_threat
        self.trade: TradeTerms | None = None
        self.portfolio: Portfolio | None = None
        self.equity_usd_bn = 0.0
        if self.unit_surplus:
            return
        self.equity_usd_bn = given(deal.fund_usd_bn) * given(deal.equity_fraction)
        cached = self._derived.get("economics")
        if cached is not None:  # the scenario's economics do not depend on the seed
            self.trade, self.portfolio = cached
            return
        if deal.tariff_threat:
            goods = given(deal.goods).values()
            threat, floor = given(deal.threat_rate), given(deal.floor_rate)
            # a deal's all-in rate never exceeds what a good would pay without it (an unthreatened good keeps
            # its rate): the bargained range tops out at the threat or at the lowest such rate
            top = min([threat, *(g.rate_during_talks for g in goods if not g.threatened)])
            self.trade = TradeTerms(
                goods=tuple(Goods(g.exports_usd_bn_per_year, g.rate_during_talks,
                                  threat if g.threatened else g.rate_during_talks,
                                  g.exporters_share_of_duty) for g in goods),
                threat_rate=max(top, floor), floor_rate=floor,
                threat_effective_years=given(deal.talks_deadline_years),
                regime_end_years=given(deal.relief_life_years),
                trade_elasticity=given(deal.trade_elasticity), exporters_margin=given(deal.exporters_margin))
        classes = given(deal.projects).values()
        total = sum(c.weight for c in classes)
        self.portfolio = Portfolio(
            tuple(ProfitStreams.of(c.cash_yield_per_year, c.build_years, c.life_years, c.failure_probability,
                                   c.recovery_fraction, deal.two_phase, given(deal.phase1_us_share),
                                   given(deal.recoup_rate_per_year)) for c in classes),
            tuple(c.weight / total for c in classes))
        self._derived["economics"] = (self.trade, self.portfolio)

    def planes_for(self, preferences: Any, own: str | None = None) -> list[tuple[float, float, float]]:
        """The utility planes of ``preferences`` in every round (index k − 1: round k, at its date).

        ``own`` names the government whose true preferences these are: those depend on the scenario alone and
        are computed once per scenario (a sweep's replicates share them).
        """
        if own is None:
            return preferences.planes(self.round_dates)
        key = ("planes", own)
        if key not in self._derived:
            self._derived[key] = preferences.planes(self.round_dates)
        return self._derived[key]

    def share_range(self) -> tuple[float, float]:
        """The US shares a government may ask for: between the two openings under no-retraction, else [0, 1].

        The principal's opening is the least it offers, the counterpart's public demand the most it asks.
        """
        if self._share_range is None:  # the scenario's alone: computed once per model
            if self.unit_surplus or not self.spec.protocol.no_retraction:
                self._share_range = (0.0, 1.0)
            else:
                spec = self.spec
                low = min(given(spec.deal.japan_opening_us_share), 1.0)
                high = spec.table(spec.governments[0], CounterpartParams).opening_us_share
                self._share_range = (min(low, high), high)
        return self._share_range

    def _seat_actors(self) -> None:
        """Each actor builds itself from the scenario; those others depend on are seated first."""
        spec = self.spec

        def seat(role: str) -> list[Any]:
            return [ROLES[role].from_spec(self, key, spec) for key in spec.keys_of(role)]

        package = not self.unit_surplus
        self.investors: list[Investor] = seat("investor") if package else []
        self.onshore_build_usd_bn = combined(self.investors, lambda i: i.extra_build_usd_bn)
        self.parts_income_usd_bn = combined(self.investors, lambda i: i.parts_income_usd_bn)
        self.insurers: list[Any] = seat("insurer") if package else []
        self.lenders: list[Lender] = seat("lender") if package else []
        self.principal: Principal = seat("principal")[0]
        self.counterpart: Government = seat("counterpart")[0]
        self.governments: dict[str, Government] = {self.counterpart.key: self.counterpart,
                                                   self.principal.key: self.principal}

    def _draw_beliefs(self) -> None:
        """Draw the run's belief errors (in their fixed order) and let each government form its beliefs."""
        complete = self.spec.protocol.information == "complete"
        errors = BeliefErrors.draw(self.rng, 0.0 if complete else self.spec.protocol.belief_noise)
        self.counterpart.form_beliefs_about(self.principal, errors, complete)
        self.principal.form_beliefs_about(self.counterpart, errors, complete)

    @property
    def fundable_share(self) -> float:
        """The highest US share the principal's ratifiers fund (−1: none)."""
        return self.principal.fundable_share

    # -- protocol --------------------------------------------------------------------------------------------
    def proposer_in(self, t: int) -> str:
        """Which government proposes in round ``t`` (1-based): offers alternate from the first proposer."""
        return self._proposers[t % 2]

    @property
    def round(self) -> int:
        """The round being (or about to be) played."""
        return max(self.steps, 1)

    def decider(self, key: str) -> Any:
        """Who proposes and responds for government ``key``: whoever took its seat, else the government itself.

        A seat (``seats[key]``) is any object with a government's ``propose(t)`` and ``respond(offer,
        ratification)``, e.g. :class:`negotiation.play.HumanSeat` (a person on the page). The government
        stays at the table: it still learns from the offers and answers, and the lenders still ratify.

        Args:
            key: a government's key.

        Returns:
            The seat's occupant, or the government.

        """
        return self.seats.get(key) or self.governments[key]

    def step(self) -> None:
        """One round: propose → ratify → respond → learn → collect."""
        t = self.steps
        proposer = self.governments[self.proposer_in(t)]
        responder = self.principal if proposer is self.counterpart else self.counterpart
        package = self.decider(proposer.key).propose(t)
        if package is not None:
            offer = Offer(t, proposer.key, responder.key, package)
            proposer.offers_made += 1
            self.offers.append(offer)
            ratification = self.principal.ratify(package)
            response = self.decider(responder.key).respond(offer, ratification)
            if response.accepted and not all(r.accepted for r in ratification):  # signed only if funded
                response = Response(responder.key, False, "not funded")
            self.responses.append((*ratification, response))
            if response.accepted:
                self.agreement = package
                self.agreement_round = t
                self.outcome = "agreement"
                self.running = False
            else:
                proposer.learn_from_refusal(offer, response)
                responder.learn_from_offer(offer)
        if self.running and t >= self.max_rounds:
            self.outcome = "breakdown"
            self.running = False
        if self.collect_data:
            self.datacollector.collect(self)

    def run(self, solve: bool = True) -> RunResult:
        """Step until agreement or deadline and return the :class:`RunResult` (``solve``: with equilibrium)."""
        while self.running:
            self.step()
        return self.result(solve=solve)

    # -- views -----------------------------------------------------------------------------------------------
    def relief_usd_bn_per_year(self, package: Package) -> float:
        """Tariff relief of a package: the duty it saves the principal's exporters a year against the threat."""
        if self.trade is None:
            return 0.0
        return self.trade.duty_relief_usd_bn_per_year(package.relief_fraction)

    def relief_value_usd_bn_per_year(self, package: Package) -> float:
        """What that relief is worth to the principal a year (its exporters' share of the duty, volume kept)."""
        if self.trade is None:
            return 0.0
        scale = 1.0 - self.principal.preferences.outside_option_share
        weights = self.principal.preferences.cost_weights
        rate = float(self.trade.rate(package.relief_fraction))
        return scale * float(sum(w * (g.rate_without_deal - rate) for w, g in zip(weights, self.trade.goods,
                                                                                  strict=True)))

    def tariff_rate(self, package: Package) -> float | None:
        """The all-in tariff rate the package agrees (None when no tariff is at stake)."""
        return None if self.trade is None else float(self.trade.rate(package.relief_fraction))

    def actors(self) -> list[Actor]:
        """The actors taking part, by role (counterpart, principal, lenders, insurer, investors)."""
        seated = {a.key: a for a in [self.counterpart, self.principal, *self.lenders, *self.insurers,
                                     *self.investors]}
        return [seated[k] for k in self.spec.actors if k in seated]

    def actor(self, key: str) -> Actor:
        """The actor with ``key``."""
        for a in self.actors():
            if a.key == key:
                return a
        raise KeyError(key)

    def game(self) -> PackageGame:
        """The same bargaining game, described for the outside solver (true preferences, no beliefs)."""
        counterpart, principal = self.counterpart, self.principal
        s_lo, s_hi = self.share_range()

        def fundable(share: float) -> bool:
            package = Package(min(max(share, 0.0), 1.0), 0.0)
            return all(r.accepted for r in principal.ratify(package))

        return PackageGame(
            us_utility=counterpart.preferences.utility, japan_utility=principal.preferences.utility,
            disagreement=(counterpart.preferences.disagreement, principal.preferences.disagreement),
            round_years=self.round_years, rounds=self.max_rounds, survival=self.survival,
            us_first=self.spec.first_proposer == counterpart.key,
            box=(min(principal.opening.us_profit_share, s_hi), s_hi, 0.0, 1.0), fundable=fundable,
            relief_at_stake=self.relief_at_stake, names=(counterpart.name, principal.name))

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
            self._digest = self._derived.get("digest")
            if self._digest is None:
                text = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
                self._digest = self._derived["digest"] = hashlib.sha256(text.encode()).hexdigest()
        return self._digest

    def scenario_hash(self) -> str:
        """A short hash of the validated scenario, for provenance."""
        return self.scenario_digest()[:16]

    def frontier_at(self, t: int) -> list[tuple[float, float, float, float]]:
        """The Pareto frontier of the packages agreed in round ``t`` (true utilities, PV at the talks' start).

        The terms the protocol allows and the lenders fund (:meth:`share_range` up to :attr:`fundable_share`;
        relief in [0, 1] when it is at stake) under both governments' utility planes at round ``t``'s date:
        the efficient chain of the box's corners (exact: both utilities are affine in the terms at a date).

        Args:
            t: the round (1-based).

        Returns:
            Vertices (counterpart's utility, principal's utility, share, relief), the counterpart's utility
            ascending; empty when no share is fundable.

        """
        s_lo, s_hi = self.share_range()
        s_hi = min(s_hi, self.fundable_share)
        if s_hi < s_lo:
            return []
        x_hi = 1.0 if self.relief_at_stake else 0.0
        shares, reliefs = [s_lo, s_hi, s_lo, s_hi], [0.0, 0.0, x_hi, x_hi]
        values = []
        for gov in (self.counterpart, self.principal):
            a0, a1, a2 = self.planes_for(gov.preferences, own=gov.key)[t - 1]
            values.append([a0 + a1 * s + a2 * x for s, x in zip(shares, reliefs, strict=True)])
        return _chain(values[0], values[1], shares, reliefs)

    def _frontier_facts(self, t: int) -> tuple[list[float], list[float], tuple[float, float] | None] | None:
        """Round ``t``'s frontier vertices (both utilities) and its Nash point; cached per scenario and round.

        They depend on the scenario alone (true preferences, the lenders' true limit), so a sweep's replicates
        share them. ``None`` when no share is fundable.
        """
        key = ("frontier", t)
        if key not in self._derived:
            chain = self.frontier_at(t)
            facts = None
            if chain:
                d = (self.counterpart.preferences.disagreement, self.principal.preferences.disagreement)
                u1, u2 = [v[0] for v in chain], [v[1] for v in chain]
                fu, fj, _ = clip_polyline(np.array(u1), np.array(u2), d)
                nash = nash_on_polyline(fu, fj, d) if fu.size else None
                facts = (u1, u2, None if nash is None else (nash[2], nash[3]))
            self._derived[key] = facts
        return self._derived[key]

    def negotiation_metrics(self, utilities: dict[str, float]) -> dict[str, Any]:
        """The automated-negotiation field's metrics of this run (formulas in :mod:`negotiation.solvers.metrics`).

        Frontier metrics are measured on :meth:`frontier_at` the agreement's round (why: :class:`RunResult`);
        concessions value every package at round 1's date. No equilibrium solve is needed: the frontier is
        the chain of the box's four corners, and it and its Nash point are computed once per scenario and round.

        Args:
            utilities: each actor's gain over no deal (the run's ``utilities``).

        Returns:
            The :class:`RunResult` fields ``agreement_round``, ``welfare_usd_bn``, ``pareto_distance_usd_bn``,
            ``nash_distance_usd_bn``, ``advantages`` and ``concession_rates``.

        """
        govs = (self.counterpart, self.principal)
        gains = [utilities[g.key] for g in govs]
        out: dict[str, Any] = {"agreement_round": None, "welfare_usd_bn": welfare(gains),
                               "pareto_distance_usd_bn": None, "nash_distance_usd_bn": None,
                               "advantages": {g.key: 0.0 for g in govs}}  # no agreement: no gain (NegMAS too)
        if self.agreement is not None:
            out["agreement_round"] = self.agreement_round
            out["advantages"] = dict.fromkeys(g.key for g in govs)
            facts = self._frontier_facts(self.agreement_round)
            if facts is not None:
                u1, u2, nash = facts
                d = (govs[0].preferences.disagreement, govs[1].preferences.disagreement)
                point = (d[0] + gains[0], d[1] + gains[1])
                out["pareto_distance_usd_bn"] = frontier_distance(point, u1, u2)
                if nash is not None:
                    out["nash_distance_usd_bn"] = math.hypot(point[0] - nash[0], point[1] - nash[1])
                out["advantages"] = {govs[0].key: advantage(gains[0], max(u1) - d[0]),
                                     govs[1].key: advantage(gains[1], max(u2) - d[1])}
        rates: dict[str, float | None] = {}
        for g, other in (govs, govs[::-1]):
            last = next((o.package for o in reversed(self.offers) if o.proposer == g.key), None)
            if last is None:
                rates[g.key] = None
                continue
            a0, a1, a2 = self.planes_for(g.preferences, own=g.key)[0]
            own_open, other_open = g.opening, other.opening
            rates[g.key] = concession_rate(a0 + a1 * own_open.us_profit_share + a2 * own_open.relief_fraction,
                                           a0 + a1 * last.us_profit_share + a2 * last.relief_fraction,
                                           a0 + a1 * other_open.us_profit_share + a2 * other_open.relief_fraction,
                                           self.steps)
        out["concession_rates"] = rates
        return out

    def point(self, share: float, relief_fraction: float) -> Point:
        """A package in the terms a user reads."""
        return Point(share, self.relief_usd_bn_per_year(Package(share, relief_fraction)))

    def _recoup_years(self) -> float | None:
        """The equity-weighted recoup date after signing; ``None`` when no class recoups within its life."""
        if self.portfolio is None or self.portfolio.never_recoups() >= 1.0:
            return None
        return self.portfolio.recoup_years()

    def result(self, solve: bool = True) -> RunResult:
        """The run's outcome, each actor's utility (PV $bn gain over no deal) and, with ``solve``, the equilibrium."""
        pkg = self.agreement
        deal, principal, counterpart = self.spec.deal, self.principal, self.counterpart
        utilities = {a.key: a.outcome_utility(pkg) for a in self.actors()}
        two_phase = self.portfolio is not None and deal.two_phase
        equilibrium = distance = None
        if solve:
            sol = self.solve()
            spe, nash, ks = (None if p is None else self.point(p.us_profit_share, p.relief_fraction)
                             for p in (sol.spe, sol.nash, sol.kalai_smorodinsky))
            equilibrium = Equilibrium(sol.concept, spe=spe, nash=nash, kalai_smorodinsky=ks,
                                      spe_round=sol.spe.round if sol.spe else None,
                                      spe_tariff_rate=(self.tariff_rate(Package(sol.spe.us_profit_share,
                                                                                sol.spe.relief_fraction))
                                                       if sol.spe else None))
            if pkg is not None and sol.spe is not None:
                distance = abs(pkg.us_profit_share - sol.spe.us_profit_share)
        extra: dict[str, Any] = {}
        loss = local = None
        if pkg is not None and self.portfolio is not None:
            # the principal's yearly loss, once recouped, from conceding beyond its opening (docs/FACTS.md
            # akazawa-loss: "at most a couple of tens of billions of yen" a year is the figure to hold it to)
            yearly_profit = self.portfolio.yearly_profit() * self.equity_usd_bn
            loss = (pkg.us_profit_share - given(deal.japan_opening_us_share)) * yearly_profit
            if principal.currency_per_usd is not None:
                local = loss * principal.currency_per_usd
            t = self.round_dates[self.agreement_round - 1]
            us_phase1, us_after = self.portfolio.us_values(counterpart.preferences.discount_rate_per_year, t)
            p_whole, p_after = self.portfolio.principal_values(principal.preferences.discount_rate_per_year, t)
            extra["us_pv_of_profits_usd_bn"] = self.equity_usd_bn * (us_phase1 + pkg.us_profit_share * us_after)
            extra["principal_pv_of_profits_usd_bn"] = self.equity_usd_bn * (p_whole - pkg.us_profit_share * p_after)
            extra["never_recoups_fraction"] = self.portfolio.never_recoups()
        if pkg is not None and self.trade is not None:
            extra["agreed_tariff_rate"] = self.tariff_rate(pkg)
            extra["relief_value_to_principal_usd_bn_per_year"] = self.relief_value_usd_bn_per_year(pkg)
        return RunResult(
            scenario=self.spec.name, scenario_hash=self.scenario_hash(), seed=self.seed_value,
            agreed=pkg is not None, outcome=self.outcome, steps=self.steps, deadline_rounds=self.max_rounds,
            package=pkg, tariff_relief_usd_bn_per_year=self.relief_usd_bn_per_year(pkg) if pkg else None,
            us_profit_share_before_recoup=deal.phase1_us_share if two_phase and pkg is not None else None,
            utilities=utilities, actor_names={a.key: a.name for a in self.actors()},
            discounts={k: g.preferences.per_round_discount() for k, g in self.governments.items()},
            fundable_share=self.fundable_share, currency=principal.currency, equilibrium=equilibrium,
            recoup_years=self._recoup_years() if two_phase and pkg is not None else None,
            concession_loss_usd_bn_per_year=loss, concession_loss_local_bn_per_year=local,
            distance_to_equilibrium=distance, measures=extra, **self.negotiation_metrics(utilities))
