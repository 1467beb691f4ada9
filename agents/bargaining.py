"""How the two governments bargain: offer, accept, learn (alternating offers with a deadline).

:class:`Government` is the behaviour both governments share; the counterpart and the principal
(``agents/counterpart.py``, ``agents/principal.py``) add their preferences, openings and what each can
learn. A government reasons from its own preferences and from its *beliefs* about the other side (its
preferences, patience, and which terms the principal's lenders will fund):

* **Target** — the subgame-perfect offer of the alternating-offers game with the scenario's deadline, by
  backward induction on the believed utility frontier (Ståhl 1972; Rubinstein 1982; Binmore, Rubinstein &
  Wolinsky 1986): the proposer offers the package that leaves the responder exactly indifferent between
  accepting and proposing next round, δ-discounted over the disagreement point.
* **Offer** — with complete information, the target itself. With incomplete information, a time-dependent
  concession from the actor's opening position to its target (Faratin, Sierra & Jennings 1998):
  α(t) = κ + (1 − κ)(min(t, t_max)/t_max)^(1/β), offer = opening + α(t)·(target − opening).
* **Accept** — an offer worth at least the discounted value of the actor's own next offer (the "AC_next"
  rule of Baarslag et al. 2014, which coincides with SPE acceptance under complete information), and, for
  the principal, only what its lenders will fund (Putnam 1988).
* **Learn** — a refusal by the lenders caps the share the proposer believes fundable; an offer at the
  believed SPE target that is refused makes the proposer think the other side more patient (Zeng & Sycara
  1998, in spirit). The counterpart also learns from the principal's offers (``agents/counterpart.py``).

The agents never call the solvers in ``negotiation/solvers/``: those solve the same game from the outside,
and the two are compared. The geometry (the believed frontier) lives behind one seam, ``agents/frontier.py``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.contract import Actor
from agents.frontier import ACCEPT_TOLERANCE, Frontier, FrontierBuilder, Plane, Preferences, plane_of
from negotiation.issues import Offer, Package, Response

if TYPE_CHECKING:
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
    drawn). Patience errors scale the other side's impatience 1 − δ.
    """

    principal_relief_value: float  # the counterpart's error on what relief is worth to the principal
    principal_patience: float  # … on the principal's impatience
    counterpart_onshore_value: float  # the principal's error on the counterpart's value of onshore investment
    counterpart_relief_cost: float  # … on the counterpart's weight on forgone duty
    counterpart_patience: float  # … on the counterpart's impatience
    lender_margin: float  # the counterpart's error on the lenders' required margin
    lender_failure: float  # … on the project failure probability the lenders price

    @classmethod
    def draw(cls, rng: np.random.Generator, sigma: float) -> BeliefErrors:
        """Draw every error in field order (the order fixes each seed's path)."""
        return cls(*(lognormal_factor(rng, sigma) for _ in fields(cls)))


def seen_patience(discount: float, error: float) -> float:
    """The other side's per-round discount factor as seen with a belief error on its impatience."""
    return min(1.0 - (1.0 - discount) * error, 0.9999)


class Government(Actor):
    """A government that bargains by alternating offers (see the module docstring for the rules)."""

    traits: ClassVar[dict[str, Any]] = {"level": "I", "has_veto": True, "proposes": True, "ratifies": False,
                                        "stochastic": "beliefs only"}

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: Preferences, discount: float,
                 opening: Package, concession_beta: float) -> None:
        super().__init__(model, key, name)
        self.preferences = preferences
        self.discount = discount
        self.opening = opening
        self.concession_beta = concession_beta
        # Beliefs: set by `form_beliefs`.
        self.opponent_preferences: Preferences | None = None
        self.opponent_discount = 0.5
        self.fundable_share_prior = 1.0
        self.fundable_share_floor = 0.0
        self.fundable_share_ceiling = 1.0
        self.complete_information = True
        self.offers_made = 0
        self.last_target: Package | None = None
        self._own_plane: Plane | None = plane_of(preferences)
        self._builder: FrontierBuilder | None = None
        self._frontier: Frontier | None = None  # under the current believed limit
        self._opponent_view: tuple[Frontier, Frontier] | None = None  # (frontier, it from the opponent's side)
        self._plan: dict[int, float] | None = None  # round → own value of that round's SPE outcome
        self._plan_where: dict[int, tuple[int, float]] = {}  # proposer rounds: where on the frontier
        self._plan_frontier: Frontier | None = None
        self._targets: dict[int, Package | None] = {}
        self._utility_memo: dict[Package, float] = {}

    @classmethod
    def ideal(cls, relief_at_stake: bool) -> Package:
        """The package this government would most like (its patience is measured at it)."""
        raise NotImplementedError

    @classmethod
    def patience(cls, preferences: Preferences, ideal: Package, round_years: float) -> float:
        """Per-round patience from the cost of delay.

        The share of the gain from one's ideal package kept when agreement comes one round later,
        (u(p, Δ) − d)/(u(p, 0) − d).
        """
        s, x = float(ideal.us_profit_share), float(ideal.relief_fraction)
        d = preferences.disagreement
        now = float(preferences.utility(s, x, 0.0)) - d
        later = float(preferences.utility(s, x, round_years)) - d
        if now <= 0:
            return 0.5
        return min(max(later / now, 0.01), 0.9999)

    @classmethod
    def discount_from(cls, given: float | None, preferences: Preferences, relief_at_stake: bool,
                      round_years: float) -> float:
        """The per-round discount factor: the scenario's own, or derived from the cost of delay."""
        if given is not None:
            return given
        return cls.patience(preferences, cls.ideal(relief_at_stake), round_years)

    # -- beliefs -----------------------------------------------------------------------------------------
    def form_beliefs(self, opponent_preferences: Preferences, opponent_discount: float,
                     fundable_share: float, complete_information: bool) -> None:
        """Set what this government believes about the other side and about the lenders' limit."""
        self.opponent_preferences = opponent_preferences
        self.opponent_discount = opponent_discount
        self.fundable_share_prior = fundable_share
        self.complete_information = complete_information
        self._builder = FrontierBuilder(self.preferences, opponent_preferences, self.model.share_grid,
                                        self.model.relief_grid)
        self._plan = self._frontier = None

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Form beliefs about the other government (and the lenders' limit) from the run's belief errors."""
        raise NotImplementedError

    @property
    def believed_fundable_share(self) -> float:
        """The highest US share this government believes the principal's lenders would fund."""
        lo, hi, prior = self.fundable_share_floor, self.fundable_share_ceiling, self.fundable_share_prior
        if lo <= prior <= hi:
            return prior
        return 0.5 * (lo + hi)

    def fundable(self, package: Package) -> bool:
        """Whether this government believes the package can be funded (the principal asks its lenders)."""
        return package.us_profit_share <= self.believed_fundable_share + ACCEPT_TOLERANCE

    # -- planning ----------------------------------------------------------------------------------------
    def frontier(self) -> Frontier:
        """Efficient fundable packages as this government believes them to be (cached until beliefs move)."""
        if self._frontier is None:
            self._frontier = self._builder.frontier(self.believed_fundable_share)  # type: ignore[union-attr]
        return self._frontier

    def _own_view(self) -> Frontier:
        """The believed frontier seen from the opponent's side: its best given one's own utility (cached)."""
        f = self.frontier()
        if self._opponent_view is None or self._opponent_view[0] is not f:
            self._opponent_view = (f, f.reversed())
        return self._opponent_view[1]

    def plan(self) -> dict[int, float]:
        """Backward induction over the remaining rounds under this government's beliefs.

        Returns a dict round → the value this government gets from the round's SPE outcome; the package it
        would propose in a round is built on demand by :meth:`target`.
        """
        if self._plan is not None:
            return self._plan
        model = self.model
        frontier = self.frontier()
        opp_view = self._own_view()  # the opponent's best given what this government must get
        self._plan_frontier = frontier
        d_own, d_opp = self.preferences.disagreement, self.opponent_preferences.disagreement  # type: ignore[union-attr]
        delta_own, delta_opp = self.discount, self.opponent_discount
        value_own, value_opp = d_own, d_opp  # the SPE outcome after the deadline: breakdown
        plan: dict[int, float] = {}
        where: dict[int, tuple[int, float]] = {}
        tol = ACCEPT_TOLERANCE
        # The inner step is Frontier.locate, inlined on plain lists: this loop is the agents' hot path.
        views = []
        for view in (frontier, opp_view):
            xs, ys = view.opponent_values, view.own_values
            views.append((xs, ys, xs[-1] + tol if xs else -math.inf, xs[0] if xs else 0.0, len(xs) - 1))
        mine, theirs = views
        proposing = (model.max_rounds % 2 == 1) == (model.proposer_in(1) == self.key)
        bisect_left = bisect.bisect_left
        for t in range(model.max_rounds, model.round - 1, -1):
            if proposing:
                need = d_opp + delta_opp * (value_opp - d_opp)
                wait = d_own + delta_own * (value_own - d_own)
                xs, ys, top, bottom, last = mine
            else:
                need = d_own + delta_own * (value_own - d_own)
                wait = d_opp + delta_opp * (value_opp - d_opp)
                xs, ys, top, bottom, last = theirs
            found = False
            if need <= top:
                if need <= bottom:
                    i, w, best = 0, 0.0, ys[0]
                else:
                    j = bisect_left(xs, need)
                    if j > last:
                        j = last
                    i = j - 1 if j > 0 else 0
                    span = xs[j] - xs[i]
                    w = 0.0 if span <= 0 else (need - xs[i]) / span
                    w = 0.0 if w < 0.0 else (1.0 if w > 1.0 else w)
                    best = ys[i] + w * (ys[j] - ys[i])
                found = best >= wait - tol
            if proposing:
                if found:
                    value_own, value_opp = best, need
                    where[t] = (i, w)
                else:
                    value_own, value_opp = wait, need
            else:
                value_own, value_opp = (need, best) if found else (need, wait)
            plan[t] = value_own
            proposing = not proposing
        self._plan, self._plan_where, self._targets = plan, where, {}
        return plan

    def target(self, t: int) -> Package | None:
        """The subgame-perfect package this government would propose in round ``t`` under its beliefs."""
        self.plan()
        if t not in self._targets:  # built once per plan: the same package object every time it is asked
            found = self._plan_where.get(t)
            self._targets[t] = None if found is None else self._plan_frontier.package_at(*found)  # type: ignore[union-attr]
        return self._targets[t]

    # -- offer -------------------------------------------------------------------------------------------
    def propose(self, t: int) -> Package | None:
        """The package this government offers in round ``t`` (``None`` if it sees no acceptable deal)."""
        target = self.target(t)
        self.last_target = target
        if target is None:
            return None
        if self.complete_information:
            return target
        if self.offers_made == 0:
            return self.opening
        alpha = faratin_alpha(self.offers_made, self.model.concession_rounds, self.concession_beta)
        if alpha >= 1.0:  # conceded all the way: the target itself, not a float's width from it
            return target
        start, goal = self.utility_of(self.opening), self.utility_of(target)
        aspiration = start + alpha * (goal - start)
        if aspiration <= goal:
            return target
        # the package on the believed frontier that gives oneself the aspiration and the other side most
        best = self._own_view().best_for_own(aspiration)
        return target if best is None else best[1]

    # -- accept ------------------------------------------------------------------------------------------
    def next_offer_value(self, t: int) -> float:
        """What this government expects from rejecting now: its own offer next round, discounted."""
        d = self.preferences.disagreement
        if t >= self.model.max_rounds:
            return d
        if self.complete_information:
            nxt = self.plan().get(t + 1, d)
        else:
            package = self.propose(t + 1) if self.model.proposer_in(t + 1) == self.key else None
            nxt = self.utility_of(package) if package is not None else self.plan().get(t + 1, d)
        return d + self.discount * (nxt - d)

    def respond(self, offer: Offer, ratification: tuple[Response, ...] = ()) -> Response:
        """Accept an offer worth at least the discounted value of its own next offer (AC_next)."""
        value = self.utility_of(offer.package)
        if value + ACCEPT_TOLERANCE >= max(self.next_offer_value(offer.round), self.preferences.disagreement):
            return Response(self.key, True)
        return Response(self.key, False, "worth less than my next offer")

    # -- learn -------------------------------------------------------------------------------------------
    def learn_from_refusal(self, offer: Offer, response: Response) -> None:
        """Update beliefs after the other side refused this government's offer."""
        if self.complete_information:
            return
        cap, patience = self.believed_fundable_share, self.opponent_discount
        if response.reason == "not funded":
            self.fundable_share_ceiling = min(self.fundable_share_ceiling, offer.package.us_profit_share - 1e-4)
            self.fundable_share_floor = min(self.fundable_share_floor, self.fundable_share_ceiling)
        elif self.target(offer.round) is not None and offer.package == self.target(offer.round):
            # Refused the offer the belief said was just acceptable: the other side is more patient.
            self.opponent_discount = self.opponent_discount + 0.5 * (1.0 - self.opponent_discount)
        moved_cap = self.believed_fundable_share != cap
        if moved_cap or self.opponent_discount != patience:  # the plan depends on nothing else
            self._forget(frontier_too=moved_cap)

    def learn_from_offer(self, offer: Offer) -> None:
        """Update beliefs from an offer the other side made (nothing to learn by default)."""

    def _forget(self, frontier_too: bool) -> None:
        """Drop the cached plan (and the frontier, which depends only on the believed fundable share)."""
        self._plan = None
        if frontier_too:
            self._frontier = None

    # -- values ------------------------------------------------------------------------------------------
    def utility_of(self, package: Package | None) -> float:
        """This government's utility of a package agreed now (disagreement for ``None``)."""
        if package is None:
            return self.preferences.disagreement
        value = self._utility_memo.get(package)
        if value is None:  # packages recur (openings, targets, offers): evaluate each once
            plane = self._own_plane
            if plane is not None:
                value = plane[0] + plane[1] * package.us_profit_share + plane[2] * package.relief_fraction
            else:
                value = float(self.preferences.utility(np.array([package.us_profit_share]),
                                                       np.array([package.relief_fraction]))[0])
            self._utility_memo[package] = value
        return value

    def outcome_utility(self, package: Package | None) -> float:
        """See :meth:`Actor.outcome_utility`."""
        return self.utility_of(package)

    def stance(self, package: Package | None) -> str:
        """Whether this government made the latest offer or answers it."""
        offers = self.model.offers
        return "proposes" if offers and offers[-1].proposer == self.key else "responds"

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Government:
        """See :meth:`Actor.from_spec` (each government's own file builds it)."""
        raise NotImplementedError
