"""How the two governments bargain: offer, accept, learn (alternating offers with a deadline).

:class:`Government` is the behaviour both governments share; the counterpart and the principal
(``agents/counterpart.py``, ``agents/principal.py``) add their preferences and what each can learn. A
government reasons from its own preferences and from its *beliefs* about the other side (its preferences and
patience, and which packages the principal's lenders will fund):

* **Target** — the subgame-perfect offer of the alternating-offers game with the scenario's deadline, by
  backward induction with exact time (Ståhl 1972; Rubinstein 1982; Binmore, Rubinstein & Wolinsky 1986):
  every utility is the present value at the talks' start of the package agreed *at that round's date*, and
  the proposer offers the package best for it that leaves the responder exactly its value of the next
  round's outcome (``agents/frontier.py`` finds it among every share option and the chain of tariff rates).
* **Offer** — with complete information, the target itself. With incomplete information, it opens at its
  public claim (both shares at it, every rate at its ideal), then, by default (``protocol.concession =
  "screening"``), makes each round the offer best *in expectation over the other side's types* it believes
  in (``agents/beliefs.py``): the candidates are the SPE offers to each type, each type accepts as it would
  in the SPE between the two (up to an evaluation noise), and a refusal leads to the SPE from the next round
  on (Fudenberg & Tirole 1983; Sobel & Takahashi 1983; Cramton 1992 — a one-round look-ahead, the standard
  approximation of the sequential-screening equilibrium). How long this takes — the date — follows from the
  beliefs, the cost of delay and what it learns. With ``protocol.concession = "clock"`` it instead concedes
  from its opening toward its target over time (Faratin, Sierra & Jennings 1998):
  α(t) = κ + (1 − κ)(min(t, t_max)/t_max)^(1/β) in round t, aspiration = opening + α(t)·(target − opening) in
  its own utility, and the offer is the package best for the other side that gives it its aspiration.
* **Accept** — an offer worth at least what rejecting it is expected to bring, and at least no deal; for the
  principal, only what its lenders will fund (Putnam 1988). Screening: the SPE from the next round on, in
  expectation over its types (the same continuation its offers assume). Clock: its own next offer, agreed a
  round later (the "AC_next" rule of Baarslag et al. 2014, which coincides with SPE acceptance under complete
  information), weighted by how likely it believes that offer is to be accepted, the rest by the same offer
  again a round after.
* **Learn** — a refusal by the lenders tells the proposer which packages they fund no better than the one
  refused. Screening: any other refusal moves its weights over the other side's types by Bayes' rule (the
  types likelier to have refused gain). Clock: an offer at the believed SPE target that is refused halves
  (in logs) the errors of its beliefs about the other side and halves its belief that its next target will
  be accepted (Zeng & Sycara 1998, in spirit). The counterpart also learns from the principal's offers which
  packages are funded (``agents/counterpart.py``).

The agents never call the solvers in ``negotiation/solvers/``: those solve the same game from the outside,
and the two are compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

import mesa
import numpy as np

from agents.beliefs import acceptance_probability, log_factors, posterior_after_refusal, screening_values, type_nodes
from agents.contract import Actor
from agents.frontier import ACCEPT_TOLERANCE, TIE, Chain, Values, best_for_other, best_for_own, build_chain
from negotiation.issues import Offer, Package, Response

if TYPE_CHECKING:
    from agents.table import Table
    from negotiation.scenario import Spec


def faratin_alpha(t: int, t_max: int, beta: float, kappa: float = 0.0) -> float:
    """Faratin, Sierra & Jennings (1998): the share of the way conceded after ``t`` of ``t_max`` steps.

    α(t) = κ + (1 − κ)(t/t_max)^(1/β); β < 1 is Boulware (concedes late), β > 1 Conceder.

    >>> faratin_alpha(1, 2, 0.5)
    0.25
    >>> faratin_alpha(5, 2, 3.0)
    1.0
    """
    frac = min(max(t, 0), t_max) / t_max
    return kappa + (1.0 - kappa) * frac ** (1.0 / beta)


def lognormal_factor(rng: np.random.Generator, sigma: float) -> float:
    """A belief error: a multiplicative factor exp(σ·z), z ~ N(0, 1), drawn from the model's RNG."""
    if sigma <= 0:
        return 1.0
    return math.exp(sigma * float(rng.standard_normal()))


@dataclass(frozen=True)
class BeliefErrors:
    """The belief errors of one run: log-normal factors, drawn from the model's RNG in field order.

    Each government knows its own parameters; what it believes of the other side's is the true value times
    one of these factors (σ = ``protocol.belief_noise``; all 1 with complete information, and then nothing is
    drawn). Patience errors scale the other side's discount rate (in the unit game, its impatience 1 − δ).
    """

    principal_relief_value: float  # the counterpart's error on what relief is worth to the principal
    principal_patience: float  # … on the principal's impatience
    counterpart_onshore_value: float  # the principal's error on the counterpart's value of onshore investment
    counterpart_relief_cost: float  # … on what granting relief costs the counterpart
    counterpart_patience: float  # … on the counterpart's impatience
    lender_margin: float  # the counterpart's error on the lenders' required margin
    lender_failure: float  # … on the project failure probability the lenders price

    @classmethod
    def draw(cls, rng: np.random.Generator, sigma: float) -> BeliefErrors:
        """Draw every error in field order (the order fixes each seed's path)."""
        return cls(*(lognormal_factor(rng, sigma) for _ in fields(cls)))

    def scaled(self, factors: dict[str, float]) -> BeliefErrors:
        """These errors with some multiplied by factors (field name → factor): a type around the estimate."""
        return BeliefErrors(*(getattr(self, f.name) * factors.get(f.name, 1.0) for f in fields(self)))

    def halved(self) -> BeliefErrors:
        """Each error's logarithm halved: what a government believes after an offer of its is refused.

        A refusal of the offer it believed just acceptable, with the other side's counter-offer, tells it its
        picture of the other side is off; it moves halfway (in logs) toward the truth (Zeng & Sycara 1998, in
        spirit: beliefs sharpen with each round of offers).
        """
        return BeliefErrors(*(math.sqrt(getattr(self, f.name)) for f in fields(self)))


def seen_patience(discount: float, error: float) -> float:
    """The other side's per-round discount factor as seen with a belief error on its impatience."""
    return min(1.0 - (1.0 - discount) * error, 0.9999)


class Government(Actor):
    """A government that bargains by alternating offers (see the module docstring for the rules)."""

    traits: ClassVar[dict[str, Any]] = {"level": "I", "has_veto": True, "proposes": True, "ratifies": False,
                                        "stochastic": "beliefs only"}
    # the other side's parameters it is unsure of (BeliefErrors fields): its types move these (agents/beliefs.py)
    type_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: Any, concession_beta: float) -> None:
        super().__init__(model, key, name)
        self.preferences = preferences
        self.concession_beta = concession_beta
        # Beliefs: set by `form_beliefs`.
        self.opponent_preferences: Any = None
        self.complete_information = True
        self.offers_made = 0
        self.last_target: Package | None = None
        self.opening: Package | None = None  # its first offer when it concedes over time (its claim or ideal)
        self.errors: BeliefErrors | None = None  # the belief errors it holds about the other side
        self.acceptance_belief = 1.0  # how likely it thinks the other side is to accept its target
        self._own_values: Values = self.table.values_for(preferences, own=key)
        self._chain: Chain | None = None
        self._feasible: np.ndarray | None = None
        self._plan: dict[int, float] | None = None  # round → own value (PV at 0) of that round's SPE outcome
        self._where: dict[int, tuple[int, float]] = {}  # proposer rounds: (option, chain gain to the other)
        self._targets: dict[int, Package | None] = {}
        self._off_grid: dict[tuple[Package, int], float] = {}  # own values of packages off the option grid
        self._off_grid_of: Any = preferences  # … valued with these preferences
        # Bayesian beliefs (protocol.concession = "screening"): the other side's possible types and their weights
        self.types: list[Any] = []
        self.type_weights = np.ones(1)
        self._plan_opp: dict[int, float] = {}  # round → the opponent's value of that round's SPE outcome
        self._type_values: dict[int, Values] = {}
        self._type_fixed: np.ndarray | None = None  # the estimate's shares' part (types differing in rates share it)
        self._type_off_grid: dict[tuple[int, Package, int], float] = {}
        self._type_chains: dict[int, Chain] = {}
        self._type_plans: dict[int, tuple[dict[int, float], dict[int, float], dict[int, tuple[int, float]]]] = {}
        self._screens: dict[int, tuple[Package, float] | None] = {}  # round → its screening offer (this posterior)

    @property
    def table(self) -> Table:
        """The negotiation table, as the actors may read it (``agents/table.py``)."""
        return cast("Table", self.model)

    # -- beliefs -----------------------------------------------------------------------------------------
    def form_beliefs(self, opponent_preferences: Any, complete_information: bool) -> None:
        """Set what this government believes about the other side."""
        self.opponent_preferences = opponent_preferences
        self.complete_information = complete_information
        self._forget()

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Form beliefs about the other government (and the lenders) from the run's belief errors."""
        raise NotImplementedError

    def believed_fundable(self) -> np.ndarray:
        """Which share options it believes the principal's lenders fund (one flag per option)."""
        raise NotImplementedError

    def fundable(self, package: Package) -> bool:
        """Whether this government believes the package can be funded (the principal asks its lenders)."""
        raise NotImplementedError

    def _believed_feasible(self) -> np.ndarray:
        if self._feasible is None:
            self._feasible = self.believed_fundable()
        return self._feasible

    def chain(self) -> Chain:
        """Every round's efficient packages as it believes them (cached until its beliefs move)."""
        if self._chain is None:
            other = self.table.values_for(self.opponent_preferences)
            self._chain = build_chain(self._own_values, other, self.table.terms)
        return self._chain

    # -- types (Bayesian beliefs) --------------------------------------------------------------------------
    def form_types(self, errors: BeliefErrors, complete_information: bool) -> None:
        """Its prior over the other side's types: the point estimate, and ±a·σ along each parameter it is unsure of.

        One type (the estimate, weight 1) with complete information, no noise, or the concession clock.
        """
        table = self.table
        sigma = table.belief_noise
        # the package game's types move what the deal is worth to the other side, the unit game's its patience
        fields_ = tuple(f for f in self.type_fields if f.endswith("_patience") == table.unit_surplus)
        self.types, self.type_weights = [self.opponent_preferences], np.ones(1)
        if not complete_information and sigma > 0.0 and fields_ and table.concession == "screening":
            z, weights = type_nodes(len(fields_), table.type_points)
            true = self.opponent_true_preferences()
            self.types = [self.opponent_preferences if not node.any() else
                          true.seen_with(errors.scaled(dict(zip(fields_, log_factors(node, sigma), strict=True))))
                          for node in z]
            self.type_weights = weights
        self._type_values, self._type_chains, self._type_fixed, self._type_off_grid = {}, {}, None, {}
        self._forget(preferences_moved=False)

    def _values_of_type(self, k: int) -> Values:
        """Type k's utility terms.

        A type that differs from the estimate only in its rates' terms shares its shares' part (``rates_only``:
        computed once, the same array, so the same numbers).
        """
        if k not in self._type_values:
            table, prefs, base = self.table, self.types[k], self.types[0]
            fixed = None
            rates_only = getattr(prefs, "rates_only", ())
            if k and rates_only and replace(prefs, **{f: getattr(base, f) for f in rates_only}) == base:
                if self._type_fixed is None:
                    self._type_fixed = Values.fixed_of(base, table.terms, table.round_dates)
                fixed = self._type_fixed
            self._type_values[k] = Values.of(prefs, table.terms, table.round_dates, fixed)
        return self._type_values[k]

    def _type_plan(self, k: int) -> tuple[dict[int, float], dict[int, float], dict[int, tuple[int, float]]]:
        """The SPE against type k: (round → own value, round → type k's value, proposer rounds → package)."""
        if k not in self._type_plans:
            if self.types[k] is self.opponent_preferences:  # the point estimate: its own plan
                self.plan()
                self._type_chains[k] = self.chain()
                self._type_plans[k] = (self._plan or {}, self._plan_opp, self._where)
            else:
                if k not in self._type_chains:
                    self._type_chains[k] = build_chain(self._own_values, self._values_of_type(k), self.table.terms)
                self._type_plans[k] = self._backward_induction(self._type_chains[k], self.types[k].disagreement)
        return self._type_plans[k]

    def _type_utility(self, k: int, package: Package, t: int) -> float:
        """Type k's utility of ``package`` agreed in round t."""
        terms = self.table.terms
        option = terms.option_of(package)
        if option is not None:
            return self._values_of_type(k).at(t - 1, option, terms.continuous_values(package))
        key = (k, package, t)  # off the grid (an opening at its claim): the formula itself, once per type and round
        if key not in self._type_off_grid:
            self._type_off_grid[key] = float(self.types[k].utility(package, float(self.table.round_dates[t - 1])))
        return self._type_off_grid[key]

    def acceptance_probability(self, k: int, package: Package, t: int, accept: bool = True) -> float:
        """How likely type k is to accept ``package`` in round t, as this government models its answer.

        It accepts if the package is worth at least its value of refusing — the next round's SPE outcome
        between the two if the talks survive, no deal after the last round — up to an evaluation noise
        (:func:`agents.beliefs.acceptance_probability`).
        """
        table = self.table
        d = self.types[k].disagreement
        refuse = d
        if t < table.max_rounds:
            refuse = max(d, d + table.survival * (self._type_plan(k)[1].get(t + 1, d) - d))
        return acceptance_probability(self._type_utility(k, package, t) + ACCEPT_TOLERANCE, refuse, d,
                                      table.answer_noise, accept=accept)

    def _value_if_refused(self, k: int, t: int) -> float:
        """Its value of the talks after type k refused its offer in round t: the SPE from round t + 1 on."""
        table = self.table
        d = self.preferences.disagreement
        if t >= table.max_rounds:
            return d
        return d + table.survival * (self._type_plan(k)[0].get(t + 1, d) - d)

    def expected_values(self, packages: list[Package], t: int) -> tuple[np.ndarray, np.ndarray]:
        """Each package's expected value to it if offered in round t, and the chance it is accepted.

        Over its types (:func:`agents.beliefs.screening_values`): E_j = Σ_k w_k·[A_jk·u_j + (1 − A_jk)·V_k].
        """
        kinds = range(len(self.types))
        accepts = np.array([[self.acceptance_probability(k, p, t) for k in kinds] for p in packages])
        own = np.array([self.utility_of(p, t) for p in packages])
        refused = np.array([self._value_if_refused(k, t) for k in kinds])
        return screening_values(own, accepts, refused, self.type_weights), accepts @ self.type_weights

    def screening_offer(self, t: int) -> tuple[Package, float] | None:
        """The offer of round t that is best in expectation over its types, and its expected value.

        The candidates are the SPE offers to each type (the package that leaves that type exactly its value
        of refusing): against a type it is unsure of, the best offer leaves some type indifferent (the
        screening offer: Fudenberg & Tirole 1983). Near-ties (within TIE) go to the likelier accepted, then
        the first. ``None`` if it sees no offer worth making to any type.
        """
        if t in self._screens:
            return self._screens[t]
        terms = self.table.terms
        candidates: list[Package] = []
        for k in range(len(self.types)):
            found = self._type_plan(k)[2].get(t)
            if found is not None:
                package = terms.package(found[0], self._type_chains[k].continuous_at(t - 1, found[1]))
                if package not in candidates:
                    candidates.append(package)
        result: tuple[Package, float] | None = None
        if candidates:
            values, accepted = self.expected_values(candidates, t)
            best = float(values.max())
            near = (values >= best - TIE).nonzero()[0]
            j = int(near[np.argmax(accepted[near] >= float(accepted[near].max()) - TIE)])
            result = (candidates[j], float(values[j]))
        self._screens[t] = result
        return result

    # -- planning ----------------------------------------------------------------------------------------
    def plan(self) -> dict[int, float]:
        """Backward induction over the remaining rounds under this government's beliefs, with exact time.

        Returns a dict round → the value this government gets from that round's SPE outcome (PV at the
        talks' start); the package it would propose in a round is :meth:`target`.
        """
        if self._plan is not None:
            return self._plan
        plan, opp, where = self._backward_induction(self.chain(), self.opponent_preferences.disagreement)
        self._plan, self._plan_opp, self._where, self._targets = plan, opp, where, {}
        return plan

    def _backward_induction(self, chain: Chain, d_opp: float) -> tuple[dict[int, float], dict[int, float],
                                                                         dict[int, tuple[int, float]]]:
        """The SPE from the last round back to the current one, against an opponent whose chain this is.

        Returns (round → own value, round → the opponent's value, proposer rounds → (option, chain gain)).
        """
        table = self.table
        feasible = self._believed_feasible()
        d_own = value_own = self.preferences.disagreement  # the SPE outcome after the deadline: breakdown
        value_opp = d_opp
        keep = table.survival  # the chance the talks survive a refusal (Binmore, Rubinstein & Wolinsky 1986)
        plan: dict[int, float] = {}
        opp: dict[int, float] = {}
        where: dict[int, tuple[int, float]] = {}
        tol = ACCEPT_TOLERANCE
        proposing = (table.max_rounds % 2 == 1) == (table.proposer_in(1) == self.key)
        for t in range(table.max_rounds, table.round - 1, -1):
            if keep < 1.0:  # what refusing now is worth: next round's outcome if the talks survive, else no deal
                value_own, value_opp = d_own + keep * (value_own - d_own), d_opp + keep * (value_opp - d_opp)
            if proposing:  # offer the opponent its value of the next round; keep the best rest if it beats waiting
                found = best_for_own(chain, t - 1, value_opp, feasible)
                if found is not None and found[0] >= value_own - tol:
                    value_own, value_opp = found[0], found[1]
                    where[t] = (found[2], found[3])
            else:  # the opponent offers this government its value of the next round, if that beats waiting
                found = best_for_other(chain, t - 1, value_own, feasible)
                if found is not None and found[1] >= value_opp - tol:
                    value_own, value_opp = found[0], found[1]
            plan[t] = value_own
            opp[t] = value_opp
            proposing = not proposing
        return plan, opp, where

    def target(self, t: int) -> Package | None:
        """The subgame-perfect package this government would propose in round ``t`` under its beliefs."""
        self.plan()
        if t not in self._targets:  # built once per plan: the same package object every time it is asked
            found = self._where.get(t)
            self._targets[t] = None if found is None else self._package(t, *found)
        return self._targets[t]

    def _package(self, t: int, option: int, gain: float, binding: str = "other") -> Package:
        return self.table.terms.package(option, self.chain().continuous_at(t - 1, gain, binding))

    def ideal(self, t: int) -> Package | None:
        """The package best for itself among those it believes fundable, agreed in round ``t``."""
        found = best_for_own(self.chain(), t - 1, -math.inf, self._believed_feasible())
        return None if found is None else self._package(t, found[2], found[3])

    def opening_offer(self, t: int) -> Package | None:
        """Its first offer: its public claim on both shares, every rate at its own ideal (FACTS opening-ask).

        A government that made a public claim opens at it (the commitment stage is documented: Japan opened at
        50:50, the US asked 90%); without one, or if its lenders are believed not to fund the claim, it opens
        at its ideal package.
        """
        claim = getattr(self.preferences, "claim", None)
        terms = self.table.terms
        if claim is None or terms.share_is_continuous:
            return self.ideal(t)
        rates = terms.package(0, self.chain().start[t - 1].tolist()).tariff_rates  # every rate at its ideal
        opening = Package.one_share(claim.us_share, rates)
        return opening if self.fundable(opening) else self.ideal(t)

    # -- offer -------------------------------------------------------------------------------------------
    @property
    def screens(self) -> bool:
        """Whether it bargains by screening over types it learns about by Bayes' rule (else by the clock)."""
        return not self.complete_information and self.table.concession == "screening"

    def propose(self, t: int) -> Package | None:
        """The package this government offers in round ``t`` (``None`` if it sees no acceptable deal)."""
        if self.screens:
            screened = self.screening_offer(t)
            self.last_target = None if screened is None else screened[0]
            if screened is None:
                return None
            if self.offers_made == 0:
                self.opening = self.opening_offer(t) or screened[0]
                return self.opening
            return screened[0]
        target = self.target(t)
        self.last_target = target
        if target is None:
            return None
        if self.complete_information:
            return target
        if self.offers_made == 0:
            self.opening = self.opening_offer(t) or target
            return self.opening
        alpha = faratin_alpha(t, self.table.concession_rounds, self.concession_beta)
        if alpha >= 1.0:  # conceded all the way: the target itself, not a float's width from it
            return target
        opening = self.opening or target
        start, goal = self.utility_of(opening, t), self.utility_of(target, t)
        aspiration = start + alpha * (goal - start)
        if aspiration <= goal:
            return target
        # the package on the believed frontier that gives oneself the aspiration and the other side most
        found = best_for_other(self.chain(), t - 1, aspiration, self._believed_feasible())
        return target if found is None else self._package(t, found[2], found[3], binding="own")

    # -- accept ------------------------------------------------------------------------------------------
    def next_offer_value(self, t: int, offer: Package | None = None) -> float:
        """What it expects from rejecting ``offer`` in round t: the next round's outcome, if the talks survive.

        With complete information, the next round's SPE value. Otherwise its own next offer, accepted with the
        probability it believes (:attr:`acceptance_belief`); if refused, the other side's offer again a round
        later (it never asks for more than it did).
        """
        d = self.preferences.disagreement
        table = self.table
        if t >= table.max_rounds:
            return d
        keep = table.survival
        if self.complete_information:
            return d + keep * (self.plan().get(t + 1, d) - d)
        if self.screens:  # its own next offer, valued as its offer rule values it (agents/beliefs.py)
            own = self.propose(t + 1) if table.proposer_in(t + 1) == self.key else None
            if own is None:  # it would make no offer: the SPE from the next round on, over its types
                return float(self.type_weights @ np.array([self._value_if_refused(k, t)
                                                           for k in range(len(self.types))]))
            return d + keep * (float(self.expected_values([own], t + 1)[0][0]) - d)
        package = self.propose(t + 1) if table.proposer_in(t + 1) == self.key else None
        nxt = self.utility_of(package, t + 1) if package is not None else self.plan().get(t + 1, d)
        p = self.acceptance_belief
        if p < 1.0 and offer is not None and t + 2 <= table.max_rounds:
            again = d + keep * (self.utility_of(offer, t + 2) - d)
            nxt = p * nxt + (1.0 - p) * again
        return d + keep * (nxt - d)

    def respond(self, offer: Offer, ratification: tuple[Response, ...] = ()) -> Response:
        """Accept an offer worth at least the value of its own next offer (AC_next) and of no deal."""
        value = self.utility_of(offer.package, offer.round)
        if value + ACCEPT_TOLERANCE >= max(self.next_offer_value(offer.round, offer.package),
                                           self.preferences.disagreement):
            return Response(self.key, True)
        return Response(self.key, False, "worth less than my next offer")

    # -- learn -------------------------------------------------------------------------------------------
    def learn_from_refusal(self, offer: Offer, response: Response) -> None:
        """Update beliefs after the other side refused this government's offer."""
        if self.complete_information:
            return
        if response.reason == "not funded":
            self.learn_not_funded(offer.package)
        elif self.screens:  # Bayes' rule over its types: those that would have accepted become less likely
            refuse = np.array([self.acceptance_probability(k, offer.package, offer.round, accept=False)
                               for k in range(len(self.types))])
            self.type_weights = posterior_after_refusal(self.type_weights, refuse)
            self._screens = {}
        elif (self.errors is not None and self.target(offer.round) is not None
              and offer.package == self.target(offer.round)):
            # Refused the offer the belief said was just acceptable: its picture of the other side is off, and
            # its next target may be refused too.
            self.errors = self.errors.halved()
            self.acceptance_belief *= 0.5
            self.opponent_preferences = self.opponent_true_preferences().seen_with(self.errors)
            self._forget()

    def learn_not_funded(self, package: Package) -> None:
        """The lenders refused to fund ``package`` (nothing to learn for a government that asks them itself)."""

    def learn_from_offer(self, offer: Offer) -> None:
        """Update beliefs from an offer the other side made (nothing to learn by default).

        Its types' weights do not move on the other side's offers: under screening those are tougher than any
        type's SPE offer, and read as a type they made each side believe the other tougher and stall
        (docs/NOTEBOOK.md, 7 December 2026).
        """

    def opponent_true_preferences(self) -> Any:
        """The other government's preferences, which its beliefs are the true ones seen with errors."""
        table = self.table
        return (table.principal if self is table.counterpart else table.counterpart).preferences

    def _feasibility_moved(self) -> None:
        """Its beliefs about what the lenders fund moved: drop its plans only if the options it believes funded did.

        A plan is backward induction from the deadline over those options: with the same options it is the same.
        """
        before = self._feasible
        self._feasible = None
        if before is None or not np.array_equal(before, self._believed_feasible()):
            self._forget(preferences_moved=False)

    def _forget(self, preferences_moved: bool = True) -> None:
        """Drop the cached plan and fundability belief, and the chain if its belief about the other side moved."""
        self._plan = None
        if preferences_moved:
            self._chain = None
        self._feasible = None
        self._targets = {}
        self._type_plans, self._screens = {}, {}
        if preferences_moved:
            self._type_chains = {}

    # -- values ------------------------------------------------------------------------------------------
    def utility_of(self, package: Package | None, t: int | None = None) -> float:
        """Its utility (PV at the talks' start) of a package agreed in round ``t`` (default: the current round).

        Its disagreement value for ``None``.
        """
        if package is None:
            return self.preferences.disagreement
        t = self.table.round if t is None else t
        t = min(t, self.table.max_rounds)
        terms = self.table.terms
        option = terms.option_of(package)
        if option is not None:  # on the grid: the same formula, evaluated once per scenario (Values.of)
            return self._own_values.at(t - 1, option, terms.continuous_values(package))
        # off the grid (an opening at a claim the pruning dropped, a person's offer): the formula itself, once
        if self._off_grid_of is not self.preferences:
            self._off_grid, self._off_grid_of = {}, self.preferences
        key = (package, t)
        if key not in self._off_grid:
            self._off_grid[key] = float(self.preferences.utility(package, float(self.table.round_dates[t - 1])))
        return self._off_grid[key]

    def outcome_utility(self, package: Package | None) -> float:
        """Gain over no deal (PV $bn at the talks' start) of the agreement, struck in the round it was."""
        if package is None:
            return 0.0
        return self.utility_of(package, self.table.agreement_round) - self.preferences.disagreement

    def reservation_utility(self) -> float:
        """A government's gain over no deal is 0 at no deal."""
        return 0.0

    def stance(self, package: Package | None) -> str:
        """Whether this government made the latest offer or answers it."""
        offers = self.table.offers
        return "proposes" if offers and offers[-1].proposer == self.key else "responds"

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Government:
        """See :meth:`Actor.from_spec` (each government's own file builds it)."""
        raise NotImplementedError
