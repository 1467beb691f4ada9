"""The geometry behind a government's plan: the efficient packages it believes feasible, as a frontier.

One seam, one oracle. :class:`FrontierBuilder` builds the believed frontier for a given believed lenders'
limit: from the utility planes when both sides' preferences declare themselves affine in the terms (the fast
path), and from every fundable grid package otherwise. :meth:`FrontierBuilder.grid_frontier` is the plain
definition and the oracle the fast path is tested against.

:class:`Frontier` holds the efficient packages ordered by the opponent's utility and answers the backward
induction's one question: the best package for oneself that gives the opponent at least so much.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from negotiation.issues import Package

ACCEPT_TOLERANCE = 1e-9  # numerical slack when an offer leaves the responder exactly indifferent


class Preferences(Protocol):
    """A government's preferences over packages, in present-value $bn (or shares in the unit game).

    A class may declare ``affine_in_terms = True`` (utility affine in both terms): the frontier is then
    built from the utility plane, where three numbers value a package. Other preferences get the frontier of
    every fundable grid package.
    """

    def utility(self, us_share: Any, relief_fraction: Any, delay_years: float = 0.0) -> Any:
        """Utility of each package if agreed after ``delay_years``."""
        ...

    @property
    def disagreement(self) -> float:
        """Utility of no deal (the outside option)."""
        ...


Plane = tuple[float, float, float]


def plane_of(preferences: Preferences) -> Plane | None:
    """(u(0, 0), ∂u/∂s, ∂u/∂x) of preferences that declare themselves affine in both terms, else None."""
    if not getattr(preferences, "affine_in_terms", False):
        return None
    u = preferences.utility(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    return float(u[0]), float(u[1] - u[0]), float(u[2] - u[0])


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


class FrontierBuilder:
    """The believed frontier of one government, for any believed lenders' limit.

    Built once per belief about the opponent's preferences; :meth:`frontier` is then called whenever the
    believed limit moves. Both preferences are fixed for the builder's life.

    Args:
        own: the government's own preferences.
        opponent: the opponent's preferences as believed.
        share_grid: the agents' grid over the US share (read-only, shared by every model).
        relief_grid: the agents' grid over the relief fraction.

    """

    def __init__(self, own: Preferences, opponent: Preferences, share_grid: np.ndarray,
                 relief_grid: np.ndarray) -> None:
        self.own, self.opponent = own, opponent
        self.share_grid, self.relief_grid = share_grid, relief_grid
        self.own_plane, self.opponent_plane = plane_of(own), plane_of(opponent)
        self.planar = self.own_plane is not None and self.opponent_plane is not None
        self._accepted_rows: tuple[list[int], list[int]] | None = None
        self._shares: list[float] = []
        self._reliefs: list[float] = []

    def frontier(self, cap: float) -> Frontier:
        """Efficient fundable packages both sides accept, under a believed limit ``cap`` on the US share."""
        return self._planar_frontier(cap) if self.planar else self.grid_frontier(cap)

    def grid_frontier(self, cap: float) -> Frontier:
        """The frontier of every fundable grid package both sides accept (any preferences): the oracle."""
        shares = np.union1d(self.share_grid, [cap])
        shares = shares[(shares >= 0.0) & (shares <= cap + ACCEPT_TOLERANCE)]
        s, x = (a.ravel() for a in np.meshgrid(shares, self.relief_grid, indexing="ij"))
        own, opp = self.own.utility(s, x), self.opponent.utility(s, x)
        keep = (own >= self.own.disagreement) & (opp >= self.opponent.disagreement)
        return Frontier.from_grid(own[keep], opp[keep], s[keep], x[keep])

    def _accept_grid(self) -> tuple[list[int], list[int]]:
        """Per relief level, the first and last grid rows (shares) both sides accept.

        Both planes are monotone in the share, in floating point too (each operation is), so the rows
        between the two are accepted as well.
        """
        if self._accepted_rows is None:
            (a0, a1, a2), (b0, b1, b2) = self.own_plane, self.opponent_plane  # type: ignore[misc]
            s, x = self.share_grid[:, None], self.relief_grid[None, :]
            keep = (a0 + a1 * s + a2 * x >= self.own.disagreement) & (
                b0 + b1 * s + b2 * x >= self.opponent.disagreement)
            n = keep.shape[0]
            first = np.where(keep.any(axis=0), np.argmax(keep, axis=0), n)
            last = n - 1 - np.argmax(keep[::-1], axis=0)
            self._accepted_rows = (first.tolist(), last.tolist())
            self._shares, self._reliefs = self.share_grid.tolist(), self.relief_grid.tolist()
        return self._accepted_rows

    def _planar_frontier(self, cap: float) -> Frontier:
        """:meth:`frontier` when both utilities are planes over (share, relief), on plain floats.

        The candidates are the only grid packages that can be vertices: per relief level (a segment in
        utility space, both utilities being affine in the share), the lowest and highest fundable share both
        sides accept (grid rows at or below the believed limit, and the limit itself). On the row at the
        limit the points are collinear in utility space, so only its two extreme accepted relief levels can
        be vertices and only those are kept.
        """
        first_rows, last_rows = self._accept_grid()
        shares, reliefs = self._shares, self._reliefs
        (a0, a1, a2), (b0, b1, b2) = self.own_plane, self.opponent_plane  # type: ignore[misc]
        d_own, d_opp = self.own.disagreement, self.opponent.disagreement
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
