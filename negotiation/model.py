"""NegotiationModel: two governments bargain round by round over a package, under Level-II ratification.

It follows the ODD description in docs/ODD.md. The model is the negotiation table: it seats the actors a
scenario names (each builds itself from the scenario: ``agents/``), draws the run's belief errors, and runs
the protocol. One ``step()`` is one bargaining round (``protocol.round_months`` of calendar time; round k is
played at (k − 1)·Δ years after the talks' start, and everyone values a package agreed then at that date):

    propose  — the round's proposer offers a package (the US shares before and after recoup, a tariff rate
               for each group of goods)
    ratify   — the principal's lenders and insurer say whether they would fund it (Level II)
    respond  — the other government accepts or rejects it (the principal only what is funded)
    learn    — on a rejection, both governments update their beliefs
    collect  — a DataCollector row

The model stops itself on agreement, or at the deadline (``Spec.deadline_rounds``) with breakdown. The same
scenario is solved from the outside by ``negotiation.solvers`` (``model.solve()``), which the agents never
call. The model reads no files: give it a validated :class:`~negotiation.scenario.Spec`. What a model
derives from its scenario alone (the economics, each government's utility terms, the solved equilibrium) is
cached under the scenario's content digest (:func:`derived`), never on the scenario object, so a copy or an
override always runs on its own economics.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

import mesa
import numpy as np

from agents import ROLES
from agents.bargaining import BeliefErrors
from agents.claims import Claim
from agents.counterpart import Counterpart, claim_of
from agents.frontier import Preferences, Values
from agents.insurer import Insurer
from agents.investor import Investor
from agents.lender import Lender
from agents.principal import Principal
from agents.table import Table
from negotiation.economics import Goods, Portfolio, ProjectClass, TradeTerms
from negotiation.issues import ContinuousTerm, Offer, Package, PackageTerms, Response, share_grid
from negotiation.result import Equilibrium, RunResult, Terms
from negotiation.scenario import CounterpartParams, PrincipalParams, Spec, given
from negotiation.scenario_files import with_overrides
from negotiation.solvers.metrics import advantage, concession_rate, frontier_distance, welfare
from negotiation.solvers.package_game import GameSolution, PackageGame, solve_package_game

DERIVED_KEPT = 64  # scenarios whose derived values a process keeps (a sweep's points come and go)
_DERIVED: OrderedDict[str, dict[Any, Any]] = OrderedDict()


def scenario_digest(spec: Spec) -> str:
    """The SHA-256 of a validated scenario's content (every key, derived ones included)."""
    return hashlib.sha256(json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def derived(digest: str) -> dict[Any, Any]:
    """The cache of what is derived from the scenario with this content digest alone (the one such cache)."""
    entry = _DERIVED.get(digest)
    if entry is None:
        entry = _DERIVED[digest] = {}
        while len(_DERIVED) > DERIVED_KEPT:
            _DERIVED.popitem(last=False)
    else:
        _DERIVED.move_to_end(digest)
    return entry


def _options_that_matter(q: np.ndarray, s: np.ndarray, portfolio: Portfolio,
                          claims: list[Claim | None]) -> np.ndarray:
    """Which share options can be efficient, exactly: all, except where no class recoups at that q.

    Where nothing recoups at q, the cash after recoup is nothing to anyone (the lenders included), so options
    that differ only in s differ only in what the claims cost, which depends on neither date nor belief: of
    those, only the ones no other s beats on both governments' claim costs can be efficient (and of equal
    ones, the first, as every tie between options goes). The rest are dropped once per scenario.
    """
    keep = np.ones(q.size, dtype=bool)
    if not portfolio.two_phase or np.all(q == s):
        return keep
    for value in np.unique(q):
        if portfolio.never_recoups(float(value)) < 1.0:
            continue
        rows = np.flatnonzero(q == value)
        costs = np.array([[0.0 if c is None else float(c.cost(value, s[i], 1.0, 0.0)) for c in claims]
                          for i in rows])
        for j, i in enumerate(rows):
            better = (costs <= costs[j] + 1e-12).all(axis=1)
            strictly = (costs < costs[j] - 1e-12).any(axis=1)
            earlier_equal = better & ~strictly & (np.arange(rows.size) < j)
            if (better & strictly).any() or earlier_equal.any():
                keep[i] = False
    return keep


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
        self.digest = scenario_digest(spec)
        self._derived = derived(self.digest)
        self.seed_value = rng if isinstance(rng, int) else None
        self.max_rounds = spec.deadline_rounds
        self.concession_rounds = spec.protocol.concession_rounds or 1
        self.concession = spec.protocol.concession
        self.belief_noise = spec.protocol.belief_noise
        self.type_points = spec.protocol.type_points
        self.answer_noise = spec.protocol.answer_noise
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
        first = spec.first_proposer
        self._proposers = (spec.other_government(first), first)  # who proposes in even and odd rounds
        self._deal_economics()
        self._seat_actors()
        self._draw_beliefs()
        if self.nothing_signable() is not None:  # no round could end in a deal: the talks end before round 1
            self.outcome, self.running = "unsignable", False
        self.collect_data = spec.protocol.collect_data if collect_data is None else collect_data
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": lambda m: m.steps,
            "proposer": lambda m: m.offers[-1].proposer if m.offers else None,
            "us_share_before_recoup": lambda m: m.offers[-1].package.us_share_before_recoup if m.offers else None,
            "us_profit_share": lambda m: m.offers[-1].package.us_profit_share if m.offers else None,
            "all_in_tariff_rate": lambda m: m.tariff_rate(m.offers[-1].package) if m.offers else None,
            "tariff_relief_usd_bn_per_year": lambda m: (m.relief_usd_bn_per_year(m.offers[-1].package)
                                                        if m.offers else None),
            "counterpart_utility": lambda m: m.counterpart.utility_of(m.offers[-1].package) if m.offers else None,
            "principal_utility": lambda m: m.principal.utility_of(m.offers[-1].package) if m.offers else None,
            "accepted": lambda m: bool(m.responses and m.responses[-1][-1].accepted),
            "lenders_fund": lambda m: all(r.accepted for r in m.responses[-1][:-1]) if m.responses else None,
            "investor_build_usd_bn": lambda m: (sum(i.build_usd_bn(m.offers[-1].package) for i in m.investors)
                                                if m.offers and m.investors else None),
        })

    # -- construction --------------------------------------------------------------------------------------
    def _deal_economics(self) -> None:
        """What the deal itself fixes: the terms at stake, the tariffs, the project portfolio, the equity."""
        deal = self.spec.deal
        self.unit_surplus = deal.kind == "unit_surplus"
        self.trade: TradeTerms | None = None
        self.portfolio: Portfolio | None = None
        self.equity_usd_bn = self.fund_usd_bn = 0.0
        self.deployment_deadline_years = 0.0
        if self.unit_surplus:
            self.terms = PackageTerms(np.zeros(1), np.zeros(1), (ContinuousTerm("share", 0.0, 1.0),),
                                      share_is_continuous=True)
            self.relief_at_stake = False
            return
        self.fund_usd_bn = given(deal.fund_usd_bn)
        self.equity_usd_bn = self.fund_usd_bn * given(deal.equity_fraction)
        self.deployment_deadline_years = given(deal.horizon_years)
        cached = self._derived.get("economics")
        if cached is None:
            cached = self._derived["economics"] = self._economics()
        self.trade, self.portfolio, self.terms = cached
        self.relief_at_stake = bool(self.terms.continuous)

    def _economics(self) -> tuple[TradeTerms | None, Portfolio, PackageTerms]:
        """The tariff side, the projects and the options of the scenario (it alone decides them)."""
        deal, spec = self.spec.deal, self.spec
        trade = None
        if deal.tariff_threat:
            threat = given(deal.threat_rate)
            trade = TradeTerms(
                goods=tuple(Goods(name, g.exports_usd_bn_per_year, g.rate_during_talks,
                                  threat if g.threatened else g.rate_during_talks, g.exporters_share_of_duty)
                            for name, g in given(deal.goods).items()),
                floor_rate=given(deal.floor_rate), threat_effective_years=given(deal.talks_deadline_years),
                regime_end_years=given(deal.relief_life_years), trade_elasticity=given(deal.trade_elasticity),
                exporters_margin=given(deal.exporters_margin))
        classes = given(deal.projects).values()
        total = sum(c.weight for c in classes)
        portfolio = Portfolio(
            tuple(ProjectClass(c.cash_yield_per_year, c.build_years, c.life_years, c.failure_probability,
                               c.recovery_fraction) for c in classes),
            tuple(c.weight / total for c in classes), given(deal.recoup_rate_per_year), deal.two_phase,
            calls=deal.capital_calls())
        counterpart, principal = spec.governments
        tables = (spec.table(counterpart, CounterpartParams), spec.table(principal, PrincipalParams))
        claims = [t.claim_us_share for t in tables if t.claim_us_share is not None]
        q, s = share_grid(claims, deal.two_phase)
        keep = _options_that_matter(q, s, portfolio, [claim_of(tables[0], True), claim_of(tables[1], False)])
        continuous = () if trade is None else tuple(ContinuousTerm(g.name, *g.deal_range(trade.floor_rate))
                                                    for g in trade.bargained)
        return trade, portfolio, PackageTerms(q[keep], s[keep], continuous)

    def values_for(self, preferences: Preferences, own: str | None = None) -> Values:
        """Utility terms of ``preferences`` at every round's date (see :class:`agents.frontier.Values`).

        ``own`` names the government whose true preferences these are: those depend on the scenario alone and
        are computed once per scenario (a sweep's replicates share them).
        """
        if own is None:
            return Values.of(preferences, self.terms, self.round_dates)
        key = ("values", own)
        if key not in self._derived:
            self._derived[key] = Values.of(preferences, self.terms, self.round_dates)
        return self._derived[key]

    def _seat_actors(self) -> None:
        """Each actor builds itself from the scenario; those others depend on are seated first."""
        spec = self.spec

        def seat(role: str) -> list[Any]:
            return [ROLES[role].from_spec(self, key, spec) for key in spec.keys_of(role)]

        package = not self.unit_surplus
        self.investors: list[Investor] = seat("investor") if package else []
        names = [t.name for t in self.terms.continuous]
        self.build_per_rate = np.array([sum(i.build_per_rate() for i in self.investors if i.parts_goods == n)
                                        for n in names], dtype=float)
        self.parts_margin_per_rate = np.array([sum(i.parts_margin_per_rate() for i in self.investors
                                                   if i.parts_goods == n) for n in names], dtype=float)
        self.insurers: list[Insurer] = seat("insurer") if package else []
        self.lenders: list[Lender] = seat("lender") if package else []
        self.principal: Principal = seat("principal")[0]
        self.counterpart: Counterpart = seat("counterpart")[0]
        self.governments: dict[str, Any] = {self.counterpart.key: self.counterpart,
                                            self.principal.key: self.principal}

    def _draw_beliefs(self) -> None:
        """Draw the run's belief errors (in their fixed order) and let each government form its beliefs."""
        complete = self.spec.protocol.information == "complete"
        errors = BeliefErrors.draw(self.rng, 0.0 if complete else self.spec.protocol.belief_noise)
        self.counterpart.form_beliefs_about(self.principal, errors, complete)
        self.principal.form_beliefs_about(self.counterpart, errors, complete)

    @property
    def fundable_share(self) -> float | None:
        """The highest one-phase US share every lender funds (1 with none; ``None`` if they fund none at all)."""
        if self.unit_surplus:
            return 1.0
        if any(not insurer.within_capacity for insurer in self.insurers):
            return None
        limits = [lender.terms.one_share_limit(lender.portfolio) for lender in self.lenders]
        if any(limit is None for limit in limits):
            return None
        return min([limit for limit in limits if limit is not None], default=1.0)

    def nothing_signable(self) -> str | None:
        """Why no package can be signed, if none can: the ratifiers that fund no option at all (else ``None``).

        The principal signs only what all its ratifiers fund (:meth:`agents.principal.Principal.ratify`); when
        no split of the profits is funded, no round can end in a deal, and the user is told so at once.
        """
        if self.unit_surplus or self.principal.funded_options.any():
            return None
        terms = self.terms
        limits = [why for r in self.principal.ratifiers if (why := r.limit_if_none_funded(terms.q, terms.s))]
        who = " and ".join(limits) if limits else "no split of the profits is funded by all of them at once"
        return (f"no deal can be signed: {self.principal.name} signs only what all its lenders and insurers fund, "
                f"and {who}")

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
        elif self.running and self.talks_collapse():
            self.outcome = "collapse"
            self.running = False
        if self.collect_data:
            self.datacollector.collect(self)

    def talks_collapse(self) -> bool:
        """Whether the talks end for good after this round without agreement: a draw at the breakdown hazard.

        Each round without agreement before the deadline ends the talks with probability 1 − e^(−h·Δ), the
        risk both sides price (Binmore, Rubinstein & Wolinsky 1986); the no-deal rates (the threat) then stay.
        One uniform draw per such round from the run's generator, after the belief errors were drawn, so a
        run that survives follows the same path as with ``protocol.breakdown = "conditioned"``, which never
        draws.
        """
        if self.survival >= 1.0 or self.spec.protocol.breakdown == "conditioned":
            return False
        return bool(self.rng.random() >= self.survival)

    def run(self, solve: bool = True) -> RunResult:
        """Step until agreement or deadline and return the :class:`RunResult` (``solve``: with equilibrium)."""
        while self.running:
            self.step()
        return self.result(solve=solve)

    # -- views -----------------------------------------------------------------------------------------------
    def tariff_rates(self, package: Package) -> dict[str, float]:
        """Every group of goods' rate under the package (groups the deal cannot change at their no-deal rate)."""
        if self.trade is None:
            return {}
        return dict(zip((g.name for g in self.trade.goods), self.trade.rates(package.tariff_rates), strict=True))

    def tariff_rate(self, package: Package) -> float | None:
        """The all-in tariff rate the package agrees: the export-weighted average (None: no tariff at stake)."""
        return None if self.trade is None else self.trade.all_in_rate(package.tariff_rates)

    def relief_usd_bn_per_year(self, package: Package) -> float:
        """Tariff relief of a package: the duty it saves the principal's exporters a year against the no-deal rates."""
        if self.trade is None:
            return 0.0
        return self.trade.duty_relief_usd_bn_per_year(package.tariff_rates)

    def relief_value_usd_bn_per_year(self, package: Package) -> float:
        """What that relief is worth to the principal a year (its exporters' share of the duty, volume kept)."""
        if self.trade is None:
            return 0.0
        prefs: Any = self.principal.preferences
        keep = (1.0 - prefs.outside_option_share) * prefs.relief_scale
        trade = self.trade
        rates = trade.rates(package.tariff_rates)
        return float(sum(keep * (trade.principal_loss_usd_bn_per_year(g, g.rate_without_deal)
                                 - trade.principal_loss_usd_bn_per_year(g, r))
                         for g, r in zip(trade.goods, rates, strict=True)))

    def actors(self) -> list[Any]:
        """The actors taking part, by role (counterpart, principal, lenders, insurer, investors)."""
        seated = {a.key: a for a in [self.counterpart, self.principal, *self.lenders, *self.insurers,
                                     *self.investors]}
        return [seated[k] for k in self.spec.actors if k in seated]

    def actor(self, key: str) -> Any:
        """The actor with ``key``."""
        for a in self.actors():
            if a.key == key:
                return a
        raise KeyError(key)

    def game(self) -> PackageGame:
        """The same bargaining game, described for the outside solver (true preferences, no beliefs)."""
        counterpart, principal = self.counterpart, self.principal

        def funds(q: np.ndarray, s: np.ndarray) -> np.ndarray:
            ok = np.ones(np.shape(q), dtype=bool)
            for ratifier in principal.ratifiers:
                ok &= ratifier.funds(q, s)
            return ok

        return PackageGame(
            us_utility=counterpart.preferences, japan_utility=principal.preferences,
            disagreement=(counterpart.preferences.disagreement, principal.preferences.disagreement),
            round_years=self.round_years, rounds=self.max_rounds, survival=self.survival,
            us_first=self.spec.first_proposer == counterpart.key, terms=self.terms, funds=funds,
            names=(counterpart.name, principal.name))

    def solve(self) -> GameSolution:
        """The independently solved equilibrium of this scenario (cached under the scenario's digest)."""
        if self._solution is None:
            self._solution = self._derived.get("solution")
            if self._solution is None:
                self._solution = self._derived["solution"] = solve_package_game(self.game())
        return self._solution

    def scenario_hash(self) -> str:
        """A short hash of the validated scenario, for provenance."""
        return self.digest[:16]

    def scenario_digest(self) -> str:
        """The SHA-256 of the validated scenario."""
        return self.digest

    def _frontier_facts(self, t: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None] | None:
        """Round ``t``'s Pareto frontier (both true utilities) and its Nash point; cached per scenario and round."""
        key = ("frontier", t)
        if key not in self._derived:
            self._derived[key] = self.solve_frontier(t)
        return self._derived[key]

    def solve_frontier(self, t: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None] | None:
        """The solver's frontier of round ``t`` (counterpart's utility ascending) and its Nash point."""
        from negotiation.solvers.package_game import round_frontier

        return round_frontier(self.game(), t)

    def negotiation_metrics(self, utilities: dict[str, float]) -> dict[str, Any]:
        """The automated-negotiation field's metrics of this run (formulas in :mod:`negotiation.solvers.metrics`).

        Frontier metrics are measured on the true frontier of the agreement's round (why: :class:`RunResult`);
        concessions value every package at round 1's date.

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
                out["pareto_distance_usd_bn"] = frontier_distance(point, list(u1), list(u2))
                if nash is not None:
                    out["nash_distance_usd_bn"] = float(np.hypot(point[0] - nash[0], point[1] - nash[1]))
                out["advantages"] = {govs[0].key: advantage(gains[0], float(np.max(u1)) - d[0]),
                                     govs[1].key: advantage(gains[1], float(np.max(u2)) - d[1])}
        rates: dict[str, float | None] = {}
        for g, other in (govs, govs[::-1]):
            mine = [o.package for o in self.offers if o.proposer == g.key]
            theirs = [o.package for o in self.offers if o.proposer == other.key]
            if not mine:
                rates[g.key] = None
                continue
            # each side's opening position: its first offer when it conceded from one, else what it would open at
            # (under complete information it offers its target at once, from the position it claimed)
            own_open = g.opening or g.opening_offer(1) or mine[0]
            other_open = other.opening or other.opening_offer(1) or (theirs[0] if theirs else mine[0])
            rates[g.key] = concession_rate(g.utility_of(own_open, 1), g.utility_of(mine[-1], 1),
                                           g.utility_of(other_open, 1), self.steps)
        out["concession_rates"] = rates
        return out

    def terms_of(self, package: Package) -> Terms:
        """A package in the terms a user reads: both shares, each group's rate, the all-in rate, the duty relief."""
        return Terms(package.us_share_before_recoup, package.us_profit_share, self.tariff_rates(package),
                     self.tariff_rate(package), self.relief_usd_bn_per_year(package) if self.trade else None)

    def result(self, solve: bool = True) -> RunResult:
        """The run's outcome, each actor's utility (PV $bn gain over no deal) and, with ``solve``, the equilibrium."""
        pkg = self.agreement
        principal, counterpart = self.principal, self.counterpart
        utilities = {a.key: a.outcome_utility(pkg) for a in self.actors()}
        equilibrium = distance = None
        if solve:
            sol = self.solve()
            spe, nash, ks = (None if p is None else self.terms_of(p) for p in (sol.spe, sol.nash,
                                                                                sol.kalai_smorodinsky))
            gains = (None if sol.spe_utilities is None else
                     {self.counterpart.key: sol.spe_utilities[0], self.principal.key: sol.spe_utilities[1]})
            equilibrium = Equilibrium(sol.concept, spe, nash, ks, spe_round=sol.spe_round, spe_utilities=gains)
            if pkg is not None and sol.spe is not None:
                distance = max([abs(pkg.us_share_before_recoup - sol.spe.us_share_before_recoup),
                                abs(pkg.us_profit_share - sol.spe.us_profit_share),
                                *(abs(a - b) for a, b in zip(pkg.tariff_rates, sol.spe.tariff_rates, strict=True))])
        extra: dict[str, Any] = {}
        loss = local = recoup = None
        if pkg is not None and self.portfolio is not None:
            t = float(self.round_dates[self.agreement_round - 1])
            q, s = np.array([pkg.us_share_before_recoup]), np.array([pkg.us_profit_share])
            us_values = counterpart.preferences.profit_values(np.array([t]), q)
            own_values = principal.preferences.profit_values(np.array([t]), q)
            extra["us_pv_of_profits_usd_bn"] = self.equity_usd_bn * float(us_values.counterpart(q, s)[0, 0])
            extra["principal_pv_of_profits_usd_bn"] = self.equity_usd_bn * float(
                own_values.principal(q, s)[0, 0] + own_values.equity[0, 0])
            extra["never_recoups_fraction"] = self.portfolio.never_recoups(pkg.us_share_before_recoup)
            claim = principal.preferences.claim
            if claim is not None:  # what the agreed shares cost the principal against its own claim, in expected PV
                claim_values = principal.preferences.profit_values(np.array([t]), np.array([claim.us_share]))
                at_claim = self.equity_usd_bn * float(claim_values.principal(claim.us_share, claim.us_share)[0, 0])
                loss = at_claim - self.equity_usd_bn * float(own_values.principal(q, s)[0, 0])
                if principal.currency_per_usd is not None:
                    local = loss * principal.currency_per_usd
            if pkg.two_phase and self.portfolio.never_recoups(pkg.us_share_before_recoup) < 1.0:
                recoup = self.portfolio.recoup_years(pkg.us_share_before_recoup)
        if pkg is not None and self.trade is not None:
            extra["agreed_tariff_rate"] = self.tariff_rate(pkg)
            extra["relief_value_to_principal_usd_bn_per_year"] = self.relief_value_usd_bn_per_year(pkg)
            for name, rate in self.tariff_rates(pkg).items():
                extra[f"tariff_rate_{name}"] = rate
        elif self.trade is not None:  # no deal: every group's column is there, empty (a sweep's rows agree)
            for g in self.trade.goods:
                extra[f"tariff_rate_{g.name}"] = None
        return RunResult(
            scenario=self.spec.name, scenario_hash=self.scenario_hash(), seed=self.seed_value,
            agreed=pkg is not None, outcome=self.outcome, steps=self.steps, deadline_rounds=self.max_rounds,
            package=pkg, terms=self.terms_of(pkg) if pkg is not None else None,
            utilities=utilities, actor_names={a.key: a.name for a in self.actors()},
            discounts={k: g.preferences.per_round_discount() for k, g in self.governments.items()},
            fundable_share=self.fundable_share, currency=principal.currency, equilibrium=equilibrium,
            recoup_years=recoup, concession_loss_usd_bn=loss, concession_loss_local_bn=local,
            distance_to_equilibrium=distance, measures=extra, **self.negotiation_metrics(utilities))


def as_table(model: NegotiationModel) -> Table:
    """The model as the actors see it: mypy checks here that it has everything :class:`agents.table.Table` declares."""
    return model
