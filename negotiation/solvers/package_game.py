"""The package game of a scenario, solved from the outside: SPE with exact time, Nash and Kalai–Smorodinsky.

Independent of the agents in substance: it reads only the two governments' utility functions (PV at the
talks' start of a package agreed at a date), the box of terms the protocol allows, and the principal's
ratifiers' verdict on a share. It finds the lenders' limit by bisection on that verdict, evaluates the
utilities at the box's corners for every round's date (checking on interior points that they are affine in
the terms, else it falls back to a grid), builds each round's frontier with its own geometry, and runs the
backward induction with time-varying frontiers (:func:`~negotiation.solvers.bargaining.spe_on_dated_frontiers`).
No discount factor, belief or frontier of the agents is used.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from negotiation.solvers.bargaining import clip_polyline, ks_on_polyline, nash_on_polyline, spe_on_dated_frontiers

Utility = Callable[[Any, Any, Any], Any]  # (share, relief fraction, agreement date in years) → PV $bn


@dataclass(frozen=True)
class PackageGame:
    """A two-government bargaining game over packages (US share s, relief fraction x), from outside.

    Player 0 is the counterpart (the US), player 1 the principal. ``box`` bounds the terms the protocol lets
    either side ask for (under no-retraction, shares between the two openings); ``fundable`` is the principal's
    ratifiers' verdict on a share (monotone: a share above a funded one may be refused, not the reverse).
    """

    us_utility: Utility
    japan_utility: Utility
    disagreement: tuple[float, float]
    round_years: float
    rounds: int
    us_first: bool
    box: tuple[float, float, float, float]
    fundable: Callable[[float], bool]
    relief_at_stake: bool
    names: tuple[str, str] = ("US", "Japan")  # the two governments' display names, for the concept's text
    survival: float = 1.0  # the chance the talks go on after a refusal


@dataclass(frozen=True)
class Solution:
    """A point of the package game: the terms and the two governments' utilities (PV at the talks' start)."""

    us_profit_share: float
    relief_fraction: float
    us_utility: float
    japan_utility: float
    round: int = 1


@dataclass(frozen=True)
class GameSolution:
    """The SPE of a package game with the Nash and Kalai–Smorodinsky points (of round 1) beside it."""

    concept: str
    spe: Solution | None
    nash: Solution | None
    kalai_smorodinsky: Solution | None
    frontier_us: np.ndarray
    frontier_japan: np.ndarray
    fundable_share: float


def fundable_limit(fundable: Callable[[float], bool], low: float, high: float, steps: int = 60) -> float | None:
    """The highest share in [low, high] the ratifiers fund, by bisection on their verdict (None: not even low).

    >>> round(fundable_limit(lambda s: s <= 0.3, 0.0, 1.0), 9)
    0.3
    """
    if not fundable(low):
        return None
    if fundable(high):
        return high
    lo, hi = low, high
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if fundable(mid) else (lo, mid)
    return lo


def _chain(u1: list[float], u2: list[float], s: list[float], x: list[float]) -> list[tuple[float, float, float, float]]:
    """The Pareto frontier of a few points' convex hull, ordered by u1 ascending (upper-right chain)."""
    pts = sorted(zip(u1, u2, s, x, strict=True), key=_BY_UTILITIES)  # stable: ties keep the points' order
    undominated: list[tuple[float, float, float, float]] = []
    for p in reversed(pts):  # u1 descending: keep a point only if it beats every point to its right on u2
        if not undominated or p[1] > undominated[-1][1] + 1e-12:
            undominated.append(p)
    undominated.reverse()
    hull: list[tuple[float, float, float, float]] = []
    for p in undominated:  # upper concave envelope
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (b[1] - a[1]) * (p[0] - a[0]) <= (p[1] - a[1]) * (b[0] - a[0]):
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


_BY_UTILITIES = operator.itemgetter(0, 1)


def _corners(box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    s_lo, s_hi, x_lo, x_hi = box
    return np.array([s_lo, s_hi, s_lo, s_hi]), np.array([x_lo, x_lo, x_hi, x_hi])


_INNER = ((0.3, 0.7), (0.8, 0.1))  # interior points (fractions of the box's sides) where affinity is checked


def _probes(box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The box's four corners, then the interior points of :data:`_INNER`: where the utilities are evaluated."""
    s_lo, s_hi, x_lo, x_hi = box
    s, x = _corners(box)
    inner_s = [s_lo + ws * (s_hi - s_lo) for ws, _ in _INNER]
    inner_x = [x_lo + wx * (x_hi - x_lo) for _, wx in _INNER]
    return np.concatenate([s, inner_s]), np.concatenate([x, inner_x])


def _affine(values: np.ndarray) -> bool:
    """Whether utilities at :func:`_probes` (rows) and dates (columns) are affine in the terms over the box.

    Each interior point's value must be the bilinear interpolation of the corners' (the corners are
    u(s_lo, x_lo), u(s_hi, x_lo), u(s_lo, x_hi), u(s_hi, x_hi)), within a relative 1e-9.
    """
    at = values[:4]
    bilinear = [(1 - ws) * (1 - wx) * at[0] + ws * (1 - wx) * at[1] + (1 - ws) * wx * at[2] + ws * wx * at[3]
                for ws, wx in _INNER]
    return bool(np.allclose(values[4:], bilinear, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(at).max()))))


def _round_frontiers(game: PackageGame, box: tuple[float, float, float, float],
                     times: np.ndarray) -> list[list[tuple[float, float, float, float]]]:
    """Each round's frontier: the chain of the box's corners (affine utilities), else of a 41 × 41 grid."""
    s, x = _probes(box)
    shape = (s.size, times.size)
    uu = np.broadcast_to(game.us_utility(s[:, None], x[:, None], times[None, :]), shape)
    uj = np.broadcast_to(game.japan_utility(s[:, None], x[:, None], times[None, :]), shape)
    if _affine(uu) and _affine(uj):
        s, x, uu, uj = s[:4], x[:4], uu[:4], uj[:4]
    else:
        s, x = (a.ravel() for a in np.meshgrid(np.linspace(box[0], box[1], 41), np.linspace(box[2], box[3], 41),
                                               indexing="ij"))
        shape = (s.size, times.size)
        uu = np.broadcast_to(game.us_utility(s[:, None], x[:, None], times[None, :]), shape)
        uj = np.broadcast_to(game.japan_utility(s[:, None], x[:, None], times[None, :]), shape)
    s_list, x_list = s.tolist(), x.tolist()
    return [_chain(a, b, s_list, x_list) for a, b in zip(uu.T.tolist(), uj.T.tolist(), strict=True)]


def _terms(chain: list[tuple[float, float, float, float]], i: int, lam: float) -> tuple[float, float]:
    j = min(i + 1, len(chain) - 1)
    return (chain[i][2] + lam * (chain[j][2] - chain[i][2]), chain[i][3] + lam * (chain[j][3] - chain[i][3]))


def solve_package_game(game: PackageGame) -> GameSolution:
    """Solve the package game: SPE (alternating offers, deadline, exact time), Nash and K–S of round 1."""
    last = game.names[0] if (game.rounds % 2 == 1) == game.us_first else game.names[1]
    concept = (f"subgame-perfect equilibrium, alternating offers, exact time, {game.rounds}-round deadline, "
               f"last offer {last}'s")
    s_lo, s_hi, x_lo, x_hi = game.box
    x_hi = x_hi if game.relief_at_stake else x_lo
    cap = fundable_limit(game.fundable, s_lo, s_hi) if s_hi >= s_lo else None
    empty = GameSolution(concept, None, None, None, np.array([]), np.array([]), -1.0 if cap is None else cap)
    if cap is None:
        return empty
    box = (s_lo, cap, x_lo, x_hi)
    times = np.arange(game.rounds, dtype=float) * game.round_years
    chains = _round_frontiers(game, box, times)
    frontiers = [([p[0] for p in c], [p[1] for p in c]) for c in chains]  # plain floats: a few vertices a round
    d = game.disagreement
    out = spe_on_dated_frontiers(frontiers, d, first=0 if game.us_first else 1, survival=game.survival)
    spe = None
    if out is not None:
        k, i, lam, u_us, u_j = out
        share, relief = _terms(chains[k - 1], i, lam)
        spe = Solution(share, relief, u_us, u_j, k)
    first_u, first_j = (np.array(u) for u in frontiers[0])
    fu, fj, where = clip_polyline(first_u, first_j, d)  # the individually rational part of round 1's frontier
    nash = ks = None
    for name, solver in (("nash", nash_on_polyline), ("ks", ks_on_polyline)):
        found = solver(fu, fj, d) if fu.size else None
        if found is None:
            continue
        i, lam, a, b = found
        j = min(i + 1, len(where) - 1)
        (vi, li), (vj, lj) = where[i], where[j]
        s0, x0 = _terms(chains[0], vi, li)
        s1, x1 = _terms(chains[0], vj, lj)
        point = Solution(s0 + lam * (s1 - s0), x0 + lam * (x1 - x0), a, b)
        nash, ks = (point, ks) if name == "nash" else (nash, point)
    return GameSolution(concept, spe, nash, ks, fu, fj, cap)
