"""How the two governments bargain: offer, accept, learn (alternating offers with a deadline).

:class:`Government` is the behaviour both governments share; the counterpart and the principal
(``agents/counterpart.py``, ``agents/principal.py``) add their preferences, openings and what each can
learn. A government reasons from its own preferences and from its *beliefs* about the other side (its
preferences, patience, and which terms the principal's lenders will fund):

* **Target** — the subgame-perfect offer of the alternating-offers game with the scenario's deadline, by
  backward induction with exact time (Ståhl 1972; Rubinstein 1982; Binmore, Rubinstein & Wolinsky 1986):
  every utility is the present value at the talks' start of the package agreed *at that round's date*, so
  the round's believed frontier is the box of terms under that round's utility planes, and the proposer
  offers the package that leaves the responder exactly its value of the next round's outcome. No
  stationary discount factor is assumed: costs of delay follow from the payoffs' own timing (the threat's
  effective date, the relief's end, when profits and investment start).
* **Offer** — with complete information, the target itself. With incomplete information, a time-dependent
  concession from the actor's opening position to its target (Faratin, Sierra & Jennings 1998):
  α(t) = κ + (1 − κ)(min(t, t_max)/t_max)^(1/β) in round t, offer = opening + α(t)·(target − opening) in
  its own utility, with t_max the round by which it concedes all the way (``protocol.concession_rounds``:
  by default the talks' deadline, the date the threat takes effect).
* **Accept** — an offer worth at least what rejecting it is expected to bring: its own next offer, agreed a
  round later (the "AC_next" rule of Baarslag et al. 2014, which coincides with SPE acceptance under complete
  information), weighted by how likely it believes that offer is to be accepted, the rest by the same offer
  again a round after; for the principal, only what its lenders will fund (Putnam 1988).
* **Learn** — a refusal by the lenders caps the share the proposer believes fundable; an offer at the
  believed SPE target that is refused halves (in logs) the errors of its beliefs about the other side and
  halves its belief that its next target will be accepted (Zeng & Sycara 1998, in spirit). The counterpart
  also learns from the principal's offers (``agents/counterpart.py``).

Under ``protocol.no_retraction`` a government never asks for more than its opening (the monotonic
concession protocol: Rosenschein & Zlotkin 1994; a public demand is costly to exceed, Fearon 1994): the
shares it plans over lie between the two openings.

The agents never call the solvers in ``negotiation/solvers/``: those solve the same game from the outside,
and the two are compared. The geometry (the believed frontier) lives behind one seam, ``agents/frontier.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from agents.contract import Actor
from agents.frontier import ACCEPT_TOLERANCE, Box, Frontier, Plane, box_frontier, plane_chain
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

    def __init__(self, model: mesa.Model, key: str, name: str, preferences: Any, opening: Package,
                 concession_beta: float) -> None:
        super().__init__(model, key, name)
        self.preferences = preferences
        self.opening = opening
        self.concession_beta = concession_beta
        # Beliefs: set by `form_beliefs`.
        self.opponent_preferences: Any = None
        self.fundable_share_prior = 1.0
        self.fundable_share_floor = 0.0
        self.fundable_share_ceiling = 1.0
        self.complete_information = True
        self.offers_made = 0
        self.last_target: Package | None = None
        self.errors: BeliefErrors | None = None  # the belief errors it holds about the other side
        self.acceptance_belief = 1.0  # how likely it thinks the other side is to accept its target
        self._own_planes: list[Plane] = self.model.planes_for(preferences, own=key)  # index k − 1: round k
        self._opponent_planes: list[Plane] = []
        self._plan: dict[int, float] | None = None  # round → own value (PV at 0) of that round's SPE outcome
        self._where: dict[int, tuple[int, int, float]] = {}
        self._plan_box: Box = (0.0, 1.0, 0.0, 1.0)
        self._targets: dict[int, Package | None] = {}  # proposer rounds: the SPE package

        self._frontiers: dict[int, tuple[Frontier, Frontier]] = {}  # round → (frontier, opponent's view)

    # -- beliefs -----------------------------------------------------------------------------------------
    def form_beliefs(self, opponent_preferences: Any, fundable_share: float, complete_information: bool) -> None:
        """Set what this government believes about the other side and about the lenders' limit."""
        self.opponent_preferences = opponent_preferences
        self.fundable_share_prior = fundable_share
        self.complete_information = complete_information
        self._opponent_planes = self.model.planes_for(opponent_preferences)
        self._forget()

    def form_beliefs_about(self, other: Government, errors: BeliefErrors, complete_information: bool) -> None:
        """Form beliefs about the other government (and the lenders' limit) from the run's belief errors."""
        raise NotImplementedError

    @property
    def believed_fundable_share(self) -> float:
        """The highest US share this government believes the principal's lenders would fund.

        Its prior while the prior lies between what it has learnt (floor, ceiling), else the nearer of the two.
        """
        lo, hi, prior = self.fundable_share_floor, self.fundable_share_ceiling, self.fundable_share_prior
        return min(max(prior, lo), hi)

    def fundable(self, package: Package) -> bool:
        """Whether this government believes the package can be funded (the principal asks its lenders)."""
        return package.us_profit_share <= self.believed_fundable_share + ACCEPT_TOLERANCE

    def box(self) -> Box:
        """The terms it plans over: shares between the openings and below the believed limit; relief in [0, 1].

        The openings bound the shares under no-retraction; no relief is at stake without a threat.
        """
        s_lo, s_hi = self.model.share_range()
        s_hi = min(s_hi, self.believed_fundable_share)
        return s_lo, s_hi, 0.0, 1.0 if self.model.relief_at_stake else 0.0

    # -- planning ----------------------------------------------------------------------------------------
    def frontier(self, t: int) -> Frontier:
        """Efficient packages agreed in round ``t``, as this government believes them (cached until beliefs move)."""
        return self._frontier_pair(t)[0]

    def _frontier_pair(self, t: int) -> tuple[Frontier, Frontier]:
        pair = self._frontiers.get(t)
        if pair is None:
            f = box_frontier(self._own_planes[t - 1], self._opponent_planes[t - 1], self.box())
            pair = self._frontiers[t] = (f, f.reversed())
        return pair

    def plan(self) -> dict[int, float]:
        """Backward induction over the remaining rounds under this government's beliefs, with exact time.

        Returns a dict round → the value this government gets from that round's SPE outcome (PV at the
        talks' start); the package it would propose in a round is :meth:`target`. Each round's frontier is
        the chain of the box's corners (:func:`~agents.frontier.corner_chain`), so the step is a few float
        comparisons; the result equals planning on :meth:`frontier` (tested).
        """
        if self._plan is not None:
            return self._plan
        model = self.model
        d_own = value_own = self.preferences.disagreement  # the SPE outcome after the deadline: breakdown
        d_opp = value_opp = self.opponent_preferences.disagreement
        keep = model.survival  # the chance the talks survive a refusal (Binmore, Rubinstein & Wolinsky 1986)
        plan: dict[int, float] = {}
        where: dict[int, tuple[int, int, float]] = {}  # proposer rounds: the offer between two corners
        tol = ACCEPT_TOLERANCE
        box = self.box()
        if box[1] < box[0] - tol:  # nothing it believes fundable lies within the openings: no deal to plan
            self._plan, self._where, self._targets, self._plan_box = (
                dict.fromkeys(range(model.round, model.max_rounds + 1), d_own), {}, {}, box)
            return self._plan
        own_planes, opp_planes = self._own_planes, self._opponent_planes
        proposing = (model.max_rounds % 2 == 1) == (model.proposer_in(1) == self.key)
        for t in range(model.max_rounds, model.round - 1, -1):
            if keep < 1.0:  # what refusing now is worth: next round's outcome if the talks survive, else no deal
                value_own, value_opp = d_own + keep * (value_own - d_own), d_opp + keep * (value_opp - d_opp)
            xs, ys, ids = plane_chain(own_planes[t - 1], opp_planes[t - 1], box)
            if proposing:  # offer the opponent its value of the next round, keep the best rest if it beats waiting
                need, top = value_opp, len(xs) - 1
                if need <= xs[top] + tol:
                    gets = need  # what the opponent gets from the offer: its value of waiting, or more at an end
                    if need <= xs[0] or top == 0:
                        best, found, gets = ys[0], (ids[0], ids[0], 0.0), xs[0]
                    else:
                        j = 1
                        while j < top and xs[j] < need:
                            j += 1
                        w = (need - xs[j - 1]) / (xs[j] - xs[j - 1])
                        w = 1.0 if w > 1.0 else w
                        best, found = ys[j - 1] + w * (ys[j] - ys[j - 1]), (ids[j - 1], ids[j], w)
                    if best >= value_own - tol:
                        value_own, value_opp = best, gets
                        where[t] = found
            else:  # the opponent offers this government its value of the next round, if that beats waiting
                need = value_own
                if need <= ys[0] + tol:  # own utility falls along the chain: walk it from its own best end
                    k = len(ys) - 1
                    gets = need  # what this government gets from the opponent's offer
                    if need <= ys[k] or k == 0:
                        best, gets = xs[k], ys[k]
                    else:
                        while k > 1 and ys[k - 1] < need:
                            k -= 1
                        w = (need - ys[k]) / (ys[k - 1] - ys[k])
                        w = 1.0 if w > 1.0 else w
                        best = xs[k] + w * (xs[k - 1] - xs[k])
                    if best >= value_opp - tol:
                        value_opp, value_own = best, gets
            plan[t] = value_own
            proposing = not proposing
        self._plan, self._where, self._targets, self._plan_box = plan, where, {}, box
        return plan

    def target(self, t: int) -> Package | None:
        """The subgame-perfect package this government would propose in round ``t`` under its beliefs."""
        self.plan()
        if t not in self._targets:  # built once per plan: the same package object every time it is asked
            found = self._where.get(t)
            if found is None:
                self._targets[t] = None
            else:
                i, j, w = found
                s_lo, s_hi, x_lo, x_hi = self._plan_box
                corner = ((s_lo, x_lo), (s_hi, x_lo), (s_lo, x_hi), (s_hi, x_hi))
                (si, xi), (sj, xj) = corner[i], corner[j]
                self._targets[t] = Package(min(max(si + w * (sj - si), 0.0), 1.0),
                                           min(max(xi + w * (xj - xi), 0.0), 1.0))
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
        opening = self.opening_in(t)
        if self.offers_made == 0:
            return opening
        alpha = faratin_alpha(t, self.model.concession_rounds, self.concession_beta)
        if alpha >= 1.0:  # conceded all the way: the target itself, not a float's width from it
            return target
        start, goal = self.utility_of(opening, t), self.utility_of(target, t)
        aspiration = start + alpha * (goal - start)
        if aspiration <= goal:
            return target
        # the package on the believed frontier that gives oneself the aspiration and the other side most
        best = self._frontier_pair(t)[1].best_for_own(aspiration)
        return target if best is None else best[1]

    def opening_in(self, t: int) -> Package:
        """Its opening position, within what it believes the lenders fund."""
        return self.opening

    # -- accept ------------------------------------------------------------------------------------------
    def next_offer_value(self, t: int, offer: Package | None = None) -> float:
        """What it expects from rejecting ``offer`` in round t: the next round's outcome, if the talks survive.

        With complete information, the next round's SPE value. Otherwise its own next offer, accepted with the
        probability it believes (:attr:`acceptance_belief`); if refused, the other side's offer again a round
        later (it never asks for more than it did).
        """
        d = self.preferences.disagreement
        if t >= self.model.max_rounds:
            return d
        keep = self.model.survival
        if self.complete_information:
            return d + keep * (self.plan().get(t + 1, d) - d)
        package = self.propose(t + 1) if self.model.proposer_in(t + 1) == self.key else None
        nxt = self.utility_of(package, t + 1) if package is not None else self.plan().get(t + 1, d)
        p = self.acceptance_belief
        if p < 1.0 and offer is not None and t + 2 <= self.model.max_rounds:
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
        cap = self.believed_fundable_share
        if response.reason == "not funded":
            self.fundable_share_ceiling = min(self.fundable_share_ceiling, offer.package.us_profit_share - 1e-4)
            self.fundable_share_floor = min(self.fundable_share_floor, self.fundable_share_ceiling)
            if self.believed_fundable_share != cap:
                self._forget()
        elif (self.errors is not None and self.target(offer.round) is not None
              and offer.package == self.target(offer.round)):
            # Refused the offer the belief said was just acceptable: its picture of the other side is off, and
            # its next target may be refused too.
            self.errors = self.errors.halved()
            self.acceptance_belief *= 0.5
            self.opponent_preferences = self.opponent_true_preferences().seen_with(self.errors)
            self._opponent_planes = self.model.planes_for(self.opponent_preferences)
            self._forget()

    def learn_from_offer(self, offer: Offer) -> None:
        """Update beliefs from an offer the other side made (nothing to learn by default)."""

    def opponent_true_preferences(self) -> Any:
        """The other government's preferences, which its beliefs are the true ones seen with errors."""
        model = self.model
        return (model.principal if self is model.counterpart else model.counterpart).preferences

    def _forget(self) -> None:
        """Drop the cached plan and frontiers (they depend on the beliefs)."""
        self._plan = None
        self._frontiers = {}

    # -- values ------------------------------------------------------------------------------------------
    def utility_of(self, package: Package | None, t: int | None = None) -> float:
        """Its utility (PV at the talks' start) of a package agreed in round ``t`` (default: the current round).

        Its disagreement value for ``None``.
        """
        if package is None:
            return self.preferences.disagreement
        t = self.model.round if t is None else t
        # u = a0 + a1·s + a2·x on round t's plane (two products: cheaper than hashing the package to memoise it)
        a0, a1, a2 = self._own_planes[min(t, len(self._own_planes)) - 1]
        return a0 + a1 * package.us_profit_share + a2 * package.relief_fraction

    def outcome_utility(self, package: Package | None) -> float:
        """Gain over no deal (PV $bn at the talks' start) of the agreement, struck in the round it was."""
        if package is None:
            return 0.0
        return self.utility_of(package, self.model.agreement_round) - self.preferences.disagreement

    def reservation_utility(self) -> float:
        """A government's gain over no deal is 0 at no deal."""
        return 0.0

    def stance(self, package: Package | None) -> str:
        """Whether this government made the latest offer or answers it."""
        offers = self.model.offers
        return "proposes" if offers and offers[-1].proposer == self.key else "responds"

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Government:
        """See :meth:`Actor.from_spec` (each government's own file builds it)."""
        raise NotImplementedError
