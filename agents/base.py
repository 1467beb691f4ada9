"""The actors' common contract and the two governments' bargaining behaviour.

Every actor is a ``mesa.Agent`` with a human-readable ``name``, a ``key`` used in scenario files and
results (``us``, ``japan``, ``jbic``, ``nexi``, ``tsmc``) and a small dict of declared ``traits`` the model,
the runner and the page can filter on (Axelrod's convention).

:class:`Government` is how the US and Japan bargain. Each reasons from its own preferences and from its
*beliefs* about the other side (its preferences, patience, and which terms Japan's lenders will fund):

* **Target** — the subgame-perfect offer of the alternating-offers game with the scenario's deadline, by
  backward induction on the believed utility frontier (Ståhl 1972; Rubinstein 1982; Binmore, Rubinstein &
  Wolinsky 1986): the proposer offers the package that leaves the responder exactly indifferent between
  accepting and proposing next round, δ-discounted over the disagreement point.
* **Offer** — with complete information, the target itself. With incomplete information, a time-dependent
  concession from the actor's opening position to its target (Faratin, Sierra & Jennings 1998):
  α(t) = κ + (1 − κ)(min(t, t_max)/t_max)^(1/β), offer = opening + α(t)·(target − opening).
* **Response** — accept an offer worth at least the discounted value of the actor's own next offer
  (the "AC_next" rule of Baarslag et al. 2014, which coincides with SPE acceptance under complete
  information), and, for Japan, only what its lenders will fund (Putnam 1988).
* **Learning** — each side narrows its beliefs from what it observes: a refusal by the lenders caps the
  share the US believes fundable, an offer by Japan floors it; an offer refused that the belief said would
  be accepted makes the proposer think the other side more patient (Zeng & Sycara 1998, in spirit).

The agents never call the solvers in ``negotiation/solvers/``: those solve the same game from the
outside, and the two are compared.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

import mesa
import numpy as np

from negotiation.issues import Offer, Package, Response

ACCEPT_TOLERANCE = 1e-9  # numerical slack when an offer leaves the responder exactly indifferent


class Preferences(Protocol):
    """A government's preferences over packages, in present-value $bn (or shares in the unit game).

    A class may declare ``affine_in_terms = True`` (utility affine in both terms): the governments then
    work from the utility plane, where three numbers value a package and the frontier is built without
    evaluating a grid of packages. Other preferences get the frontier of every fundable grid package.
    """

    def utility(self, us_share: np.ndarray, relief_fraction: np.ndarray, delay_years: float = 0.0) -> np.ndarray:
        """Utility of each package if agreed after ``delay_years``."""
        ...

    @property
    def disagreement(self) -> float:
        """Utility of no deal (the outside option)."""
        ...


class Actor(mesa.Agent):
    """Base of every actor: declared identity and traits, and its utility at the model's outcome."""

    key: ClassVar[str] = ""
    name: ClassVar[str] = ""
    traits: ClassVar[dict[str, Any]] = {}

    def outcome_utility(self, package: Package | None) -> float:
        """This actor's utility (PV $bn, or share) at an agreed package, or at no deal when ``None``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name} ({self.key})"


# ---------------------------------------------------------------------------------------------------------
# What a government computes from its beliefs


class Frontier:
    """Efficient packages under some beliefs, ordered by the opponent's utility (ascending).

    Held as plain lists (the backward induction makes thousands of scalar look-ups per run); the
    ``opponent_utility``, ``own_utility``, ``us_share`` and ``relief_fraction`` arrays are built on demand.
    """

    _FIELDS = ("opponent_utility", "own_utility", "us_share", "relief_fraction")

    def __init__(self, opponent_utility: Sequence[float], own_utility: Sequence[float],
                 us_share: Sequence[float], relief_fraction: Sequence[float]) -> None:
        for name, values in zip(self._FIELDS, (opponent_utility, own_utility, us_share, relief_fraction),
                                strict=True):
            setattr(self, f"_{name}", values if isinstance(values, list) else np.asarray(values, float).tolist())
        self._arrays: dict[str, np.ndarray] = {}

    def _array(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = np.array(getattr(self, f"_{name}"), dtype=float)
        return self._arrays[name]

    opponent_utility = property(lambda self: self._array("opponent_utility"), doc="Opponent's utility.")
    own_utility = property(lambda self: self._array("own_utility"), doc="Own utility.")
    us_share = property(lambda self: self._array("us_share"), doc="US profit share of each package.")
    relief_fraction = property(lambda self: self._array("relief_fraction"), doc="Relief of each package.")

    @classmethod
    def from_grid(cls, own: np.ndarray, opponent: np.ndarray, us_share: np.ndarray,
                  relief: np.ndarray) -> Frontier:
        """Keep the packages no other package beats for both sides."""
        order = np.lexsort((-own, -opponent))  # opponent descending, then own descending
        running_best = np.maximum.accumulate(own[order])
        before = np.concatenate(([-np.inf], running_best[:-1]))
        idx = order[own[order] > before + 1e-12][::-1]
        idx = idx[_upper_hull(opponent[idx], own[idx])]
        return cls(opponent[idx], own[idx], us_share[idx], relief[idx])

    @classmethod
    def from_points(cls, own: list[float], opponent: list[float], us_share: list[float],
                    relief: list[float]) -> Frontier:
        """:meth:`from_grid` on plain lists: the same packages in the same order, for a few dozen points.

        Sorting is stable in both (``np.lexsort`` and ``sorted``), so ties are broken the same way.
        """
        order = sorted(range(len(own)), key=lambda i: (-opponent[i], -own[i]))
        kept, best = [], -math.inf
        for i in order:
            if own[i] > best + 1e-12:
                kept.append(i)
            if own[i] > best:
                best = own[i]
        kept.reverse()
        xs, ys = [opponent[i] for i in kept], [own[i] for i in kept]
        hull = _upper_hull_lists(xs, ys)
        pick = [kept[h] for h in hull]
        return cls([opponent[i] for i in pick], [own[i] for i in pick], [us_share[i] for i in pick],
                   [relief[i] for i in pick])

    def reversed(self) -> Frontier:
        """The same packages seen from the other side (the roles of the two utilities swapped).

        Along a frontier the own utility falls strictly as the opponent's rises, so sorting by own utility
        is a reversal.
        """
        return Frontier(self._own_utility[::-1], self._opponent_utility[::-1],  # type: ignore[attr-defined]
                        self._us_share[::-1], self._relief_fraction[::-1])  # type: ignore[attr-defined]

    def locate(self, opponent_at_least: float) -> tuple[float, int, float] | None:
        """Where on the frontier the opponent gets exactly ``opponent_at_least``: (own utility, i, w).

        The point lies a fraction ``w`` of the way from frontier point ``i`` to ``i + 1``; ``None`` if no
        efficient package gives the opponent that much. This is the backward induction's inner step, so it
        works on plain floats and builds no package.
        """
        u_opp: list[float] = self._opponent_utility  # type: ignore[attr-defined]
        own: list[float] = self._own_utility  # type: ignore[attr-defined]
        if not u_opp or opponent_at_least > u_opp[-1] + ACCEPT_TOLERANCE:
            return None
        if opponent_at_least <= u_opp[0]:
            return own[0], 0, 0.0
        j = min(bisect.bisect_left(u_opp, opponent_at_least), len(u_opp) - 1)
        i = max(j - 1, 0)
        span = u_opp[j] - u_opp[i]
        w = 0.0 if span <= 0 else min(max((opponent_at_least - u_opp[i]) / span, 0.0), 1.0)
        return own[i] + w * (own[j] - own[i]), i, w

    def package_at(self, i: int, w: float) -> Package:
        """The package a fraction ``w`` of the way from frontier point ``i`` to the next."""
        shares: list[float] = self._us_share  # type: ignore[attr-defined]
        reliefs: list[float] = self._relief_fraction  # type: ignore[attr-defined]
        j = min(i + 1, len(shares) - 1)
        share = min(max(shares[i] + w * (shares[j] - shares[i]), 0.0), 1.0)
        relief = min(max(reliefs[i] + w * (reliefs[j] - reliefs[i]), 0.0), 1.0)
        return Package(share, relief)

    def best_for_own(self, opponent_at_least: float) -> tuple[float, Package] | None:
        """The package best for oneself that gives the opponent at least ``opponent_at_least``."""
        found = self.locate(opponent_at_least)
        if found is None:
            return None
        value, i, w = found
        return value, self.package_at(i, w)


def _upper_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the upper concave envelope of points sorted by x (Andrew's monotone chain).

    Both governments' utilities are affine in the terms, so the set of feasible utility pairs is convex and
    its frontier concave: grid points below the envelope are dominated by packages between grid points.
    """
    return np.array(_upper_hull_lists(x.tolist(), y.tolist()), dtype=int)


def _upper_hull_lists(x: list[float], y: list[float]) -> list[int]:
    """:func:`_upper_hull` on plain floats (element access on arrays is the slow part)."""
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a])
            if cross >= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return hull


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


class Government(Actor):
    """A government that bargains by alternating offers (see the module docstring for the rules)."""

    traits: ClassVar[dict[str, Any]] = {"role": "government", "has_veto": True, "proposes": True,
                                        "stochastic": "beliefs only"}

    def __init__(self, model: mesa.Model, preferences: Preferences, discount: float, opening: Package,
                 concession_beta: float) -> None:
        super().__init__(model)
        self.preferences = preferences
        self.discount = discount
        self.opening = opening
        self.concession_beta = concession_beta
        # Beliefs: set by the model with `form_beliefs`.
        self.opponent_preferences: Preferences | None = None
        self.opponent_discount = 0.5
        self.fundable_share_prior = 1.0
        self.fundable_share_floor = 0.0
        self.fundable_share_ceiling = 1.0
        self.complete_information = True
        self.offers_made = 0
        self._plan: dict[int, float] | None = None
        self._frontier: Frontier | None = None
        self._own_view_of: Frontier | None = None
        self._accepted_rows: tuple[list[int], list[int]] | None = None  # see _accept_grid
        self._opponent_plane: tuple[float, float, float] | None = None
        self._share_list: list[float] = []
        self._relief_list: list[float] = []
        self._utility_memo: dict[Package, float] = {}
        self._plane_coefficients: tuple[float, float, float] | None = None
        self._plan_where: dict[int, tuple[int, float]] = {}
        self._targets: dict[int, Package | None] = {}
        self._plan_frontier: Frontier | None = None
        self._own_view_cache: Frontier | None = None
        self.last_target: Package | None = None

    # -- beliefs -----------------------------------------------------------------------------------------
    def form_beliefs(self, opponent_preferences: Preferences, opponent_discount: float,
                     fundable_share: float, complete_information: bool) -> None:
        """Set what this government believes about the other side and about the lenders' limit."""
        self.opponent_preferences = opponent_preferences
        self.opponent_discount = opponent_discount
        self.fundable_share_prior = fundable_share
        self.complete_information = complete_information
        self._plan = self._frontier = self._accepted_rows = self._opponent_plane = None

    @property
    def believed_fundable_share(self) -> float:
        """The highest US share this government believes Japan's lenders would fund."""
        lo, hi, prior = self.fundable_share_floor, self.fundable_share_ceiling, self.fundable_share_prior
        if lo <= prior <= hi:
            return prior
        return 0.5 * (lo + hi)

    def fundable(self, package: Package) -> bool:
        """Whether this government believes the package can be funded (Japan overrides with its lenders)."""
        return package.us_profit_share <= self.believed_fundable_share + ACCEPT_TOLERANCE

    # -- planning ----------------------------------------------------------------------------------------
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        """The fundable packages on the agents' grid: shares up to the believed limit (and the limit itself)."""
        model = self.model
        shares = np.union1d(model.share_grid, [self.believed_fundable_share])
        shares = shares[(shares >= 0.0) & (shares <= self.believed_fundable_share + ACCEPT_TOLERANCE)]
        s, x = np.meshgrid(shares, model.relief_grid, indexing="ij")
        return s.ravel(), x.ravel()

    def _accept_grid(self) -> None:
        """Per relief level, the first and last grid rows (shares) both sides accept.

        Computed once per belief about the opponent's preferences. Both planes are monotone in the share,
        in floating point too (each operation is), so the rows between the two are accepted as well.
        """
        (a0, a1, a2), (b0, b1, b2) = self._planes()
        s, x = self.model.share_grid[:, None], self.model.relief_grid[None, :]
        keep = (a0 + a1 * s + a2 * x >= self.preferences.disagreement) & (
            b0 + b1 * s + b2 * x >= self.opponent_preferences.disagreement)
        n = keep.shape[0]
        first = np.where(keep.any(axis=0), np.argmax(keep, axis=0), n)
        last = n - 1 - np.argmax(keep[::-1], axis=0)
        self._accepted_rows = (first.tolist(), last.tolist())
        self._share_list, self._relief_list = self.model.share_grid.tolist(), self.model.relief_grid.tolist()

    def _planes(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """The utility planes (see :meth:`_plane`) of this government and of the opponent as believed."""
        if self._opponent_plane is None:
            self._opponent_plane = _plane_of(self.opponent_preferences)
        return self._plane(), self._opponent_plane

    def frontier(self) -> Frontier:
        """Efficient fundable packages as this government believes them to be (cached until beliefs move)."""
        if self._frontier is not None:
            return self._frontier
        self._frontier = self._planar_frontier() if self._planar else self._grid_frontier()
        return self._frontier

    def _grid_frontier(self) -> Frontier:
        """The frontier of every fundable grid package both sides accept (any preferences)."""
        s, x = self._grid()
        own, opp = self.preferences.utility(s, x), self.opponent_preferences.utility(s, x)
        keep = (own >= self.preferences.disagreement) & (opp >= self.opponent_preferences.disagreement)
        return Frontier.from_grid(own[keep], opp[keep], s[keep], x[keep])

    @property
    def _planar(self) -> bool:
        """Whether both utilities (own, and the opponent's as believed) are affine in both terms."""
        return bool(getattr(self.preferences, "affine_in_terms", False)
                    and getattr(self.opponent_preferences, "affine_in_terms", False))

    def _planar_frontier(self) -> Frontier:
        """:meth:`frontier` when both utilities are planes over (share, relief), on plain floats.

        The candidates are the only grid packages that can be vertices: per relief level (a segment in
        utility space, both utilities being affine in the share), the lowest and highest fundable share both
        sides accept (grid rows at or below the believed limit, and the limit itself). Utilities come
        from the planes, so a new believed limit costs a pass over the relief levels and no array work. On
        the row at the limit the points are collinear in utility space, so only its two extreme accepted
        relief levels can be vertices and only those are kept.
        """
        if self._accepted_rows is None:
            self._accept_grid()
        first_rows, last_rows = self._accepted_rows
        shares, reliefs = self._share_list, self._relief_list
        (a0, a1, a2), (b0, b1, b2) = self._planes()
        d_own, d_opp = self.preferences.disagreement, self.opponent_preferences.disagreement
        cap = self.believed_fundable_share
        n_rows = bisect.bisect_right(shares, cap + ACCEPT_TOLERANCE)  # grid rows at or below the limit
        cap_row = 0.0 <= cap <= 1.0 and cap not in shares  # the limit is a row of its own
        s: list[float] = []
        x: list[float] = []
        at_cap: list[int] = []  # relief levels accepted on the row at the limit
        for c, first in enumerate(first_rows):
            on_cap = cap_row and (a0 + a1 * cap + a2 * reliefs[c] >= d_own
                                  and b0 + b1 * cap + b2 * reliefs[c] >= d_opp)
            if on_cap:
                at_cap.append(c)
            if first >= n_rows:  # also when the level accepts no grid row (first = number of rows)
                continue
            s.append(shares[first])
            x.append(reliefs[c])
            if on_cap:
                continue
            last = min(last_rows[c], n_rows - 1)
            if last != first:
                s.append(shares[last])
                x.append(reliefs[c])
        for c in dict.fromkeys(at_cap[:1] + at_cap[-1:]):
            s.append(cap)
            x.append(reliefs[c])
        own = [a0 + a1 * si + a2 * xi for si, xi in zip(s, x, strict=True)]
        opp = [b0 + b1 * si + b2 * xi for si, xi in zip(s, x, strict=True)]
        return Frontier.from_points(own, opp, s, x)

    def _own_view(self) -> Frontier:
        """The believed frontier seen from the opponent's side: its best given one's own utility (cached)."""
        f = self.frontier()
        if self._own_view_of is not f:
            self._own_view_cache = f.reversed()
            self._own_view_of = f
        return self._own_view_cache

    def plan(self) -> dict[int, float]:
        """Backward induction over the remaining rounds under this government's beliefs.

        Returns a dict round → the value this government gets from the round's SPE outcome; the package it
        would propose in a round is built on demand by :meth:`target`.
        """
        if self._plan is not None:
            return self._plan
        model = self.model
        frontier = self.frontier()
        d_own, d_opp = self.preferences.disagreement, self.opponent_preferences.disagreement
        delta_own, delta_opp = self.discount, self.opponent_discount
        opp_view = self._own_view()  # the opponent's best given what this government must get
        value_own, value_opp = d_own, d_opp  # the SPE outcome after the deadline: breakdown
        plan: dict[int, float] = {}
        where: dict[int, tuple[int, float]] = {}  # proposer rounds: where on the frontier the offer lies
        tol = ACCEPT_TOLERANCE
        # The inner step is Frontier.locate, inlined on plain lists: this loop is the agents' hot path.
        views = []
        for view in (frontier, opp_view):
            xs, ys = view._opponent_utility, view._own_utility  # type: ignore[attr-defined]
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
        self._plan, self._plan_where, self._plan_frontier, self._targets = plan, where, frontier, {}
        return plan

    # -- acting ------------------------------------------------------------------------------------------
    def target(self, t: int) -> Package | None:
        """The subgame-perfect package this government would propose in round ``t`` under its beliefs."""
        self.plan()
        if t not in self._targets:  # built once per plan: the same package object every time it is asked
            found = self._plan_where.get(t)
            self._targets[t] = None if found is None else self._plan_frontier.package_at(*found)
        return self._targets[t]

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

    def utility_of(self, package: Package | None) -> float:
        """This government's utility of a package agreed now (disagreement for ``None``)."""
        if package is None:
            return self.preferences.disagreement
        value = self._utility_memo.get(package)
        if value is None:  # packages recur (openings, targets, offers): evaluate each once
            plane = self._plane()
            if plane is not None:
                value = plane[0] + plane[1] * package.us_profit_share + plane[2] * package.relief_fraction
            else:
                value = float(self.preferences.utility(np.array([package.us_profit_share]),
                                                       np.array([package.relief_fraction]))[0])
            self._utility_memo[package] = value
        return value

    def _plane(self) -> tuple[float, float, float] | None:
        """(u(0, 0), ∂u/∂s, ∂u/∂x) when the preferences declare themselves affine in both terms, else None."""
        if self._plane_coefficients is None:
            self._plane_coefficients = _plane_of(self.preferences)
        return self._plane_coefficients

    def outcome_utility(self, package: Package | None) -> float:
        """See :meth:`Actor.outcome_utility`."""
        return self.utility_of(package)

    def respond(self, offer: Offer, funded: Callable[[Package], Response] | None = None) -> Response:
        """Accept an offer worth at least the discounted value of its own next offer and (Japan) fundable."""
        if funded is not None:
            verdict = funded(offer.package)
            if not verdict.accepted:
                return Response(self.key, False, verdict.reason)
        value = self.utility_of(offer.package)
        if value + ACCEPT_TOLERANCE >= max(self.next_offer_value(offer.round), self.preferences.disagreement):
            return Response(self.key, True)
        return Response(self.key, False, "worth less than my next offer")

    # -- learning ----------------------------------------------------------------------------------------
    def observe_own_offer_refused(self, offer: Offer, response: Response) -> None:
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

    def observe_offer(self, offer: Offer) -> None:
        """Update beliefs from an offer Japan made (Japan only proposes what its lenders fund)."""
        if self.complete_information:
            return
        if offer.proposer == "japan" and offer.package.us_profit_share > self.fundable_share_floor:
            cap = self.believed_fundable_share
            self.fundable_share_floor = min(offer.package.us_profit_share, self.fundable_share_ceiling)
            if self.believed_fundable_share != cap:
                self._forget(frontier_too=True)

    def _forget(self, frontier_too: bool) -> None:
        """Drop the cached plan (and the frontier, which depends only on the believed fundable share)."""
        self._plan = None
        if frontier_too:
            self._frontier = None


def _plane_of(preferences: Preferences) -> tuple[float, float, float] | None:
    """(u(0, 0), ∂u/∂s, ∂u/∂x) of preferences that declare themselves affine in both terms, else None."""
    if not getattr(preferences, "affine_in_terms", False):
        return None
    u = preferences.utility(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    return float(u[0]), float(u[1] - u[0]), float(u[2] - u[0])


def lognormal_factor(rng: np.random.Generator, sigma: float) -> float:
    """A belief error: a multiplicative factor exp(σ·z), z ~ N(0, 1), drawn from the model's RNG."""
    if sigma <= 0:
        return 1.0
    return math.exp(sigma * float(rng.standard_normal()))
