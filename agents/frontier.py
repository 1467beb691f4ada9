"""The geometry behind a government's plan: the efficient packages it believes feasible in a round.

One seam, one oracle. Both governments' utilities are affine in the two terms in every round (a *plane*
per round, :data:`Plane`), and the terms range over a box (shares between the two openings and below the
lenders' limit, relief fractions in [0, 1]). The image of a box under two affine maps is a parallelogram, so
the efficient set is a chain of at most three of its corners: :func:`box_frontier` builds it exactly, in
plain floats. :func:`grid_frontier` is the plain definition (every package of a fine grid) and the oracle
it is tested against.

:class:`Frontier` holds the efficient packages ordered by the opponent's utility and answers the backward
induction's one question: the best package for oneself that gives the opponent at least so much.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, Self

import numpy as np

from negotiation.issues import Package

ACCEPT_TOLERANCE = 1e-9  # numerical slack when an offer leaves the responder exactly indifferent


class Preferences(Protocol):
    """A government's preferences over packages agreed at a date, in present-value $bn at time 0.

    ``utility(s, x, t)`` broadcasts over NumPy arrays of shares, relief fractions and agreement dates; it is
    affine in (s, x) for every t, and :meth:`planes` gives its coefficients for many dates at once.
    """

    def utility(self, us_share: Any, relief_fraction: Any, delay_years: Any = 0.0) -> Any:
        """Utility of each package if agreed at ``delay_years`` after the talks' start."""
        ...

    def planes(self, times_years: np.ndarray) -> list[Plane]:
        """(u(0, 0, t), ∂u/∂s, ∂u/∂x) for each date."""
        ...

    @property
    def disagreement(self) -> float:
        """Utility of no deal, PV at time 0."""
        ...


Plane = tuple[float, float, float]


def planes_of(preferences: Any, times_years: np.ndarray) -> list[Plane]:
    """Coefficients of an affine utility at each date, from three evaluations of ``utility``.

    >>> class Half:
    ...     def utility(self, s, x, t=0.0): return 2.0 + 3.0 * s - x + 0.0 * t
    >>> planes_of(Half(), np.array([0.0, 1.0]))[1]
    (2.0, 3.0, -1.0)
    """
    t = np.asarray(times_years, dtype=float)
    u00 = np.broadcast_to(preferences.utility(0.0, 0.0, t), t.shape)
    u10 = np.broadcast_to(preferences.utility(1.0, 0.0, t), t.shape)
    u01 = np.broadcast_to(preferences.utility(0.0, 1.0, t), t.shape)
    return list(zip(u00.tolist(), (u10 - u00).tolist(), (u01 - u00).tolist(), strict=True))


Box = tuple[float, float, float, float]  # s_low, s_high, x_low, x_high


def as_planes(arrays: tuple[Any, Any, Any], times_years: Any) -> list[Plane]:
    """Coefficient arrays (u(0, 0, t), ∂u/∂s, ∂u/∂x) over the dates as one plane per date (plain floats)."""
    shape = np.shape(times_years)
    a0, a1, a2 = (a if np.shape(a) == shape else np.broadcast_to(a, shape) for a in arrays)  # usually arrays already
    return list(zip(a0.tolist(), a1.tolist(), a2.tolist(), strict=True))


@dataclass(frozen=True)
class DatedPlanePreferences:
    """A government's utility as a plane over (share, relief) at each date: u = a0(t) + a1(t)·s + a2(t)·x.

    What both governments' preferences share: the unit game's patience (``unit_discount``: δ per round) or a
    yearly discount rate ρ, the round's length Δ, and the value of no deal. A subclass gives the plane's
    coefficients at the dates (:meth:`plane_arrays`) from its own economics.
    """

    unit_discount: float | None = None  # the unit game: patience per round
    round_years: float = 1.0
    discount_rate_per_year: float = 0.0
    disagreement: float = 0.0

    def plane_arrays(self, t: np.ndarray) -> tuple[Any, Any, Any]:
        """u(0, 0, t), ∂u/∂s and ∂u/∂x at the dates ``t``."""
        raise NotImplementedError

    def utility(self, us_share: Any, relief_fraction: Any, delay_years: Any = 0.0) -> Any:
        """Utility (PV $bn) of each package agreed at ``delay_years`` (broadcasts)."""
        a0, a1, a2 = self.plane_arrays(np.asarray(delay_years, dtype=float))
        return a0 + a1 * np.asarray(us_share, float) + a2 * np.asarray(relief_fraction, float)

    def planes(self, times_years: np.ndarray) -> list[Plane]:
        """(u(0, 0, t), ∂u/∂s, ∂u/∂x) for each date."""
        return as_planes(self.plane_arrays(np.asarray(times_years, float)), times_years)

    def more_patient(self) -> Self:
        """The same preferences, more patient: half the discount rate (unit game: δ halfway to 1)."""
        if self.unit_discount is not None:
            return replace(self, unit_discount=self.unit_discount + 0.5 * (1.0 - self.unit_discount))
        return replace(self, discount_rate_per_year=0.5 * self.discount_rate_per_year)

    def per_round_discount(self) -> float:
        """Its pure time preference over one round, e^(−ρΔ) (unit game: δ)."""
        if self.unit_discount is not None:
            return self.unit_discount
        return float(np.exp(-self.discount_rate_per_year * self.round_years))


class Frontier:
    """Efficient packages under some beliefs, ordered by the opponent's utility (ascending).

    Held as plain lists (the backward induction makes thousands of scalar look-ups per run); the
    ``opponent_utility``, ``own_utility``, ``us_share`` and ``relief_fraction`` arrays are built on demand.
    """

    _FIELDS = ("opponent_utility", "own_utility", "us_share", "relief_fraction")

    def __init__(self, opponent_utility: Sequence[float], own_utility: Sequence[float],
                 us_share: Sequence[float], relief_fraction: Sequence[float]) -> None:
        self.opponent_values: list[float] = _as_list(opponent_utility)
        self.own_values: list[float] = _as_list(own_utility)
        self.share_values: list[float] = _as_list(us_share)
        self.relief_values: list[float] = _as_list(relief_fraction)
        self._arrays: dict[str, np.ndarray] = {}

    def _array(self, values: list[float], name: str) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = np.array(values, dtype=float)
        return self._arrays[name]

    @property
    def opponent_utility(self) -> np.ndarray:
        """The opponent's utility of each frontier package."""
        return self._array(self.opponent_values, "opponent")

    @property
    def own_utility(self) -> np.ndarray:
        """One's own utility of each frontier package."""
        return self._array(self.own_values, "own")

    @property
    def us_share(self) -> np.ndarray:
        """The US profit share of each frontier package."""
        return self._array(self.share_values, "share")

    @property
    def relief_fraction(self) -> np.ndarray:
        """The relief fraction of each frontier package."""
        return self._array(self.relief_values, "relief")

    @classmethod
    def from_grid(cls, own: np.ndarray, opponent: np.ndarray, us_share: np.ndarray,
                  relief: np.ndarray) -> Frontier:
        """Keep the packages no other package beats for both sides (and on the upper concave hull)."""
        order = np.lexsort((-own, -opponent))  # opponent descending, then own descending
        running_best = np.maximum.accumulate(own[order])
        before = np.concatenate(([-np.inf], running_best[:-1]))
        idx = order[own[order] > before + 1e-12][::-1]
        idx = idx[np.array(upper_hull(opponent[idx].tolist(), own[idx].tolist()), dtype=int)]
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
        hull = upper_hull([opponent[i] for i in kept], [own[i] for i in kept])
        pick = [kept[h] for h in hull]
        return cls([opponent[i] for i in pick], [own[i] for i in pick], [us_share[i] for i in pick],
                   [relief[i] for i in pick])

    def reversed(self) -> Frontier:
        """The same packages seen from the other side (the roles of the two utilities swapped).

        Along a frontier the own utility falls strictly as the opponent's rises, so sorting by own utility
        is a reversal.
        """
        return Frontier(self.own_values[::-1], self.opponent_values[::-1], self.share_values[::-1],
                        self.relief_values[::-1])

    def locate(self, opponent_at_least: float) -> tuple[float, int, float] | None:
        """Where on the frontier the opponent gets exactly ``opponent_at_least``: (own utility, i, w).

        The point lies a fraction ``w`` of the way from frontier point ``i`` to ``i + 1``; ``None`` if no
        efficient package gives the opponent that much.
        """
        u_opp, own = self.opponent_values, self.own_values
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
        shares, reliefs = self.share_values, self.relief_values
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


def _as_list(values: Sequence[float]) -> list[float]:
    return values if isinstance(values, list) else np.asarray(values, float).tolist()


def upper_hull(x: list[float], y: list[float]) -> list[int]:
    """Indices of the upper concave envelope of points sorted by x (Andrew's monotone chain).

    Both governments' utilities are affine in the terms, so the set of feasible utility pairs is convex and
    its frontier concave: grid points below the envelope are dominated by packages between grid points.

    >>> upper_hull([0.0, 0.5, 1.0], [1.0, 0.4, 0.0])
    [0, 2]
    """
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


def box_frontier(own: Plane, opponent: Plane, box: Box) -> Frontier:
    """The efficient packages of a box of terms under two affine utilities: a chain of the box's corners.

    Packages between corners lie on the segments joining them (both utilities are affine), so the frontier
    is exact, not a grid's approximation. An empty box (s_low > s_high) gives an empty frontier.
    """
    s_lo, s_hi, x_lo, x_hi = box
    if s_hi < s_lo - ACCEPT_TOLERANCE:
        return Frontier([], [], [], [])
    a0, a1, a2 = own
    b0, b1, b2 = opponent
    corners = [(s_lo, x_lo), (s_hi, x_lo), (s_lo, x_hi), (s_hi, x_hi)]
    if s_hi - s_lo <= 0.0:  # a box of no width in a term has one end there (as in plane_chain); a narrow one
        corners = corners[::2]  # keeps both, for the other side may gain across it
    if x_hi - x_lo <= 0.0:
        corners = corners[:2] if len(corners) == 4 else corners[:1]
    s = [c[0] for c in corners]
    x = [c[1] for c in corners]
    own_u = [a0 + a1 * si + a2 * xi for si, xi in corners]
    opp_u = [b0 + b1 * si + b2 * xi for si, xi in corners]
    return Frontier.from_points(own_u, opp_u, s, x)


def grid_frontier(own: Plane, opponent: Plane, box: Box, points: int = 101) -> Frontier:
    """The frontier of every package on a ``points`` × ``points`` grid of the box: the oracle."""
    s_lo, s_hi, x_lo, x_hi = box
    if s_hi < s_lo:
        return Frontier([], [], [], [])
    s, x = (a.ravel() for a in np.meshgrid(np.linspace(s_lo, s_hi, points), np.linspace(x_lo, x_hi, points),
                                           indexing="ij"))
    own_u = own[0] + own[1] * s + own[2] * x
    opp_u = opponent[0] + opponent[1] * s + opponent[2] * x
    return Frontier.from_grid(own_u, opp_u, s, x)


def corner_values(planes: list[Plane], box: Box) -> list[tuple[float, float, float, float]]:
    """Each round's utility at the box's four corners: (s_lo, x_lo), (s_hi, x_lo), (s_lo, x_hi), (s_hi, x_hi)."""
    s_lo, s_hi, x_lo, x_hi = box
    a = np.asarray(planes, dtype=float).reshape(-1, 3)
    s = np.array([s_lo, s_hi, s_lo, s_hi])
    x = np.array([x_lo, x_lo, x_hi, x_hi])
    return [tuple(row) for row in (a[:, :1] + a[:, 1:2] * s + a[:, 2:3] * x).tolist()]


def plane_chain(own: Plane, opponent: Plane, box: Box) -> tuple[list[float], list[float], list[int]]:
    """The frontier of the box under two planes, from the planes' signs: (opponent ascending, own, corner).

    Corners are numbered 0 (s_lo, x_lo), 1 (s_hi, x_lo), 2 (s_lo, x_hi), 3 (s_hi, x_hi). A term both sides want
    at the same end (or one side does not care about) sits at that end; a term they pull apart spans its
    range. With both terms contested, the frontier runs from one's own best corner to the opponent's through
    the corner that gives up the term it values less per unit of the other's gain first (the steeper
    slope). Equal to :func:`corner_chain_general` on the corner values (tested); the backward induction's step.

    >>> plane_chain((0.0, 3.0, -1.0), (0.0, -1.0, 2.0), (0.0, 1.0, 0.0, 1.0))
    ([-1.0, 1.0, 2.0], [3.0, 2.0, -1.0], [1, 3, 2])
    >>> plane_chain((0.0, 1.0, -1.0), (0.0, 0.0, 2.0), (0.0, 1.0, 0.0, 1.0))  # it alone cares about s
    ([0.0, 2.0], [1.0, 0.0], [1, 3])
    """
    a0, a1, a2 = own
    b0, b1, b2 = opponent
    s_lo, s_hi, x_lo, x_hi = box
    s_fixed = None if a1 * b1 < 0 else (s_hi if (a1 > 0 or b1 > 0) else s_lo)
    x_fixed = None if a2 * b2 < 0 else (x_hi if (a2 > 0 or b2 > 0) else x_lo)
    if s_hi - s_lo <= 0.0:
        s_fixed = s_lo
    if x_hi - x_lo <= 0.0:
        x_fixed = x_lo
    sb = 1 if s_fixed == s_hi and s_hi != s_lo else 0  # the corner bit of a fixed share
    xb = 2 if x_fixed == x_hi and x_hi != x_lo else 0
    if s_fixed is not None and x_fixed is not None:
        k = sb + xb
        return [b0 + b1 * s_fixed + b2 * x_fixed], [a0 + a1 * s_fixed + a2 * x_fixed], [k]
    if s_fixed is not None:  # x is contested: the edge at the fixed share, from own's end of x to the opponent's
        own_x, opp_x = (x_hi, x_lo) if a2 > 0 else (x_lo, x_hi)
        ids = [sb + (2 if own_x == x_hi else 0), sb + (2 if opp_x == x_hi else 0)]
        return ([b0 + b1 * s_fixed + b2 * own_x, b0 + b1 * s_fixed + b2 * opp_x],
                [a0 + a1 * s_fixed + a2 * own_x, a0 + a1 * s_fixed + a2 * opp_x], ids)
    if x_fixed is not None:  # the share is contested
        own_s, opp_s = (s_hi, s_lo) if a1 > 0 else (s_lo, s_hi)
        ids = [xb + (1 if own_s == s_hi else 0), xb + (1 if opp_s == s_hi else 0)]
        return ([b0 + b1 * own_s + b2 * x_fixed, b0 + b1 * opp_s + b2 * x_fixed],
                [a0 + a1 * own_s + a2 * x_fixed, a0 + a1 * opp_s + a2 * x_fixed], ids)
    own_s, opp_s = (s_hi, s_lo) if a1 > 0 else (s_lo, s_hi)
    own_x, opp_x = (x_hi, x_lo) if a2 > 0 else (x_lo, x_hi)
    # from own's best corner, concede first the term with the smaller own loss per unit of opponent gain
    share_first = -a1 / b1 < -a2 / b2  # |∂own/∂opp| along the share, against along relief
    mid_s, mid_x = (opp_s, own_x) if share_first else (own_s, opp_x)
    pts = ((own_s, own_x), (mid_s, mid_x), (opp_s, opp_x))
    ids = [(1 if si == s_hi else 0) + (2 if xi == x_hi else 0) for si, xi in pts]
    xs = [b0 + b1 * si + b2 * xi for si, xi in pts]
    ys = [a0 + a1 * si + a2 * xi for si, xi in pts]
    if (xs[1] - xs[0]) * (ys[2] - ys[0]) - (ys[1] - ys[0]) * (xs[2] - xs[0]) >= 0:  # collinear: one segment
        del xs[1], ys[1], ids[1]
    return xs, ys, ids


def corner_chain_general(own: tuple[float, ...],
                         opponent: tuple[float, ...]) -> tuple[list[float], list[float], list[int]]:
    """:func:`box_frontier` on four corner values, as plain lists: (opponent's utility ascending, own, corner).

    The Pareto-efficient corners (a corner another beats for both sides, or equals, is dropped), ordered by the
    opponent's utility, less those below the chord of their neighbours. The backward induction's inner step.

    >>> corner_chain_general((0.0, 3.0, -1.0, 2.0), (0.0, -1.0, 2.0, 1.0))  # own (0, 3, −1), opponent (0, −1, 2)
    ([-1.0, 1.0, 2.0], [3.0, 2.0, -1.0], [1, 3, 2])
    >>> corner_chain_general((0.0, 1.0, 0.0, 1.0), (0.0, 0.0, 1.0, 1.0))  # one corner best for both: a point
    ([1.0], [1.0], [3])
    """
    kept = []
    for i in range(4):
        oi, pi = own[i], opponent[i]
        dominated = False
        for j in range(4):
            if j != i and opponent[j] >= pi and own[j] >= oi and (opponent[j] > pi or own[j] > oi or j < i):
                dominated = True
                break
        if not dominated:
            kept.append(i)
    kept.sort(key=opponent.__getitem__)
    hull: list[int] = []
    for i in kept:  # upper concave envelope (a middle corner on or below the chord goes)
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if ((opponent[b] - opponent[a]) * (own[i] - own[a]) - (own[b] - own[a]) * (opponent[i] - opponent[a])) >= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return [opponent[i] for i in hull], [own[i] for i in hull], hull
