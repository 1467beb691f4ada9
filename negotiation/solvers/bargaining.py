"""Bargaining solutions, solved from the outside: pure functions on floats and arrays, no Mesa.

Each solver states its formula and cites its source; a checker beside it (``is_spe``, ``is_pareto_optimal``,
``is_nash_solution``, ``is_kalai_smorodinsky``) tests a candidate answer without reusing the solver, so
tests can apply checkers both to solver output and to what the agents agreed.

References (full entries in docs/ODD.md, "References"): Rubinstein (1982); Ståhl (1972); Nash (1950);
Kalai & Smorodinsky (1975); Binmore, Rubinstein & Wolinsky (1986).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------------------
# Unit surplus: Rubinstein and Ståhl


def rubinstein_share(delta_proposer: float, delta_responder: float) -> float:
    """Rubinstein (1982): the first proposer's subgame-perfect share of a unit surplus.

    x* = (1 − δ2)/(1 − δ1·δ2), agreed at once. With δ1 = δ2 = δ this is 1/(1 + δ).

    >>> round(rubinstein_share(0.8, 0.8), 4)
    0.5556
    >>> round(rubinstein_share(0.95, 0.9), 4)
    0.6897
    """
    _check_discounts(delta_proposer, delta_responder)
    return (1.0 - delta_responder) / (1.0 - delta_proposer * delta_responder)


def stahl_share(delta_proposer: float, delta_responder: float, rounds: int) -> float:
    """Ståhl (1972): the first proposer's SPE share when the surplus vanishes after ``rounds`` offers.

    Backward induction: whoever proposes in the last round takes everything; in each earlier round the
    proposer offers the responder δ times what the responder would take as next round's proposer.

    >>> stahl_share(0.5, 0.5, 1)
    1.0
    >>> stahl_share(0.5, 0.5, 2)  # 1 − 0.5·1
    0.5
    >>> round(stahl_share(0.9, 0.9, 2000), 6) == round(rubinstein_share(0.9, 0.9), 6)
    True
    """
    _check_discounts(delta_proposer, delta_responder)
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    share = 1.0  # the last proposer's share
    for k in range(rounds - 1, 0, -1):
        # round k's proposer is the first player if k is odd; its responder is next round's proposer
        delta_next = delta_responder if k % 2 == 1 else delta_proposer
        share = 1.0 - delta_next * share
    return share


def is_spe(share: float, delta_proposer: float, delta_responder: float, tol: float = 1e-9) -> bool:
    """Check the stationary SPE conditions of alternating offers on a unit surplus.

    A stationary split (x1 when 1 proposes, x2 when 2 proposes) is subgame perfect iff each responder is
    offered exactly its discounted value of proposing next: 1 − x1 = δ2·x2 and 1 − x2 = δ1·x1.

    >>> is_spe(5 / 9, 0.8, 0.8)
    True
    >>> is_spe(0.5, 0.8, 0.8)
    False
    """
    x2 = 1.0 - delta_proposer * share
    return abs((1.0 - share) - delta_responder * x2) <= tol


def _check_discounts(*deltas: float) -> None:
    for d in deltas:
        if not 0.0 <= d < 1.0:
            raise ValueError(f"discount factors must lie in [0, 1), got {d}")


# ---------------------------------------------------------------------------------------------------------
# Nash and Kalai–Smorodinsky


def nash_split(surplus: float, d1: float, d2: float, power: float = 0.5) -> float:
    """Generalised Nash (1950) solution of splitting ``surplus`` linearly: player 1's payoff.

    Maximises (u1 − d1)^α (u2 − d2)^(1−α) subject to u1 + u2 = S: x* = d1 + α(S − d1 − d2).

    >>> round(nash_split(1.0, 0.2, 0.1, 0.5), 6)
    0.55
    """
    if not 0.0 <= power <= 1.0:
        raise ValueError("bargaining power must lie in [0, 1]")
    if surplus < d1 + d2:
        raise ValueError("no gains from agreement: surplus below d1 + d2")
    return d1 + power * (surplus - d1 - d2)


def pareto_frontier(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated by another, ordered by u1 ascending (u2 descending).

    >>> pareto_frontier(np.array([0.0, 1.0, 0.5, 0.4]), np.array([1.0, 0.0, 0.5, 0.4])).tolist()
    [0, 2, 1]
    """
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    order = np.lexsort((-u1, -u2))  # by u2 descending, ties by u1 descending
    best_u1 = np.maximum.accumulate(u1[order])
    prev = np.concatenate(([-np.inf], best_u1[:-1]))
    keep = order[u1[order] > prev]
    return keep[np.argsort(u1[keep], kind="stable")]


def concave_envelope(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Indices of the frontier points on its upper concave envelope (u1 ascending).

    When both utilities are affine in the terms the feasible utility set is convex, and grid points that
    fall below the chord of their neighbours are beaten by terms between grid points.

    >>> concave_envelope(np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.4, 0.0])).tolist()
    [0, 2]
    """
    f = pareto_frontier(u1, u2)
    x = np.asarray(u1, dtype=float)[f].tolist()  # plain floats: element access on arrays is slow
    y = np.asarray(u2, dtype=float)[f].tolist()
    kept: list[int] = []
    for i in range(f.size):
        while len(kept) >= 2:
            a, b = kept[-2], kept[-1]
            # drop b when it lies on or below the chord from a to i
            if (y[b] - y[a]) * (x[i] - x[a]) <= (y[i] - y[a]) * (x[b] - x[a]):
                kept.pop()
            else:
                break
        kept.append(i)
    return f[np.array(kept, dtype=int)]


def is_pareto_optimal(point: tuple[float, float], u1: np.ndarray, u2: np.ndarray, tol: float = 1e-9) -> bool:
    """No feasible point gives both players more than ``point`` by at least ``tol`` (weak Pareto).

    >>> is_pareto_optimal((0.5, 0.5), np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.5, 0.0]))
    True
    >>> is_pareto_optimal((0.4, 0.4), np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.5, 0.0]))
    False
    """
    a, b = point
    return not bool(np.any((np.asarray(u1) > a + tol) & (np.asarray(u2) > b + tol)))


def nash_solution(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float], power: float = 0.5) -> int:
    """Generalised Nash (1950): the index of the point maximising (u1 − d1)^α (u2 − d2)^(1−α).

    Only points strictly better than ``d`` for both count; raises ``ValueError`` if there are none.

    >>> u1 = np.linspace(0, 1, 101); u2 = 1 - u1**2
    >>> i = nash_solution(u1, u2, (0.0, 0.0)); round(float(u1[i]), 2), round(float(u2[i]), 2)
    (0.58, 0.66)
    """
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    ok = (u1 > d[0]) & (u2 > d[1])
    if not ok.any():
        raise ValueError("no point is better than the disagreement point for both")
    log_product = np.full(u1.shape, -np.inf)
    log_product[ok] = power * np.log(u1[ok] - d[0]) + (1.0 - power) * np.log(u2[ok] - d[1])
    return int(np.argmax(log_product))


def is_nash_solution(point: tuple[float, float], u1: np.ndarray, u2: np.ndarray, d: tuple[float, float],
                     power: float = 0.5, tol: float = 1e-9) -> bool:
    """No feasible point has a Nash product larger than ``point``'s by more than a relative ``tol``."""
    a, b = point
    if a <= d[0] or b <= d[1]:
        return False
    mine = power * np.log(a - d[0]) + (1 - power) * np.log(b - d[1])
    u1, u2 = np.asarray(u1), np.asarray(u2)
    ok = (u1 > d[0]) & (u2 > d[1])
    other = power * np.log(u1[ok] - d[0]) + (1 - power) * np.log(u2[ok] - d[1])
    return bool(np.all(other <= mine + tol))


def kalai_smorodinsky(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float]) -> tuple[float, float]:
    """Kalai & Smorodinsky (1975): the frontier point on the segment from ``d`` to the ideal point.

    The ideal point takes each player's best individually rational payoff; the solution equalises
    (u1 − d1)/(I1 − d1) = (u2 − d2)/(I2 − d2) on the frontier (interpolated linearly between points).

    >>> u1 = np.linspace(0, 1, 100001); u2 = 1 - u1**2
    >>> [round(v, 4) for v in kalai_smorodinsky(u1, u2, (0.0, 0.0))]
    [0.618, 0.618]
    """
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    ok = (u1 >= d[0]) & (u2 >= d[1])
    if not ok.any():
        raise ValueError("no individually rational point")
    f = pareto_frontier(u1[ok], u2[ok])
    a, b = u1[ok][f], u2[ok][f]
    ideal = (a.max(), b.max())
    if ideal[0] <= d[0] or ideal[1] <= d[1]:
        return float(a[-1]), float(b[0])
    ra = (a - d[0]) / (ideal[0] - d[0])
    rb = (b - d[1]) / (ideal[1] - d[1])
    gap = ra - rb  # increasing along the frontier
    j = int(np.searchsorted(gap, 0.0))
    if j == 0:
        return float(a[0]), float(b[0])
    if j >= gap.size:
        return float(a[-1]), float(b[-1])
    w = -gap[j - 1] / (gap[j] - gap[j - 1])
    return float(a[j - 1] + w * (a[j] - a[j - 1])), float(b[j - 1] + w * (b[j] - b[j - 1]))


def is_kalai_smorodinsky(point: tuple[float, float], u1: np.ndarray, u2: np.ndarray, d: tuple[float, float],
                         tol: float = 1e-3) -> bool:
    """The point is (weakly) Pareto optimal and its gains are proportional to the ideal point's."""
    u1, u2 = np.asarray(u1), np.asarray(u2)
    ok = (u1 >= d[0]) & (u2 >= d[1])
    ideal = (u1[ok].max(), u2[ok].max())
    ra = (point[0] - d[0]) / (ideal[0] - d[0])
    rb = (point[1] - d[1]) / (ideal[1] - d[1])
    return abs(ra - rb) <= tol and is_pareto_optimal(point, u1, u2, tol=tol * max(ideal[0], ideal[1], 1.0))


# ---------------------------------------------------------------------------------------------------------
# Subgame-perfect equilibrium of alternating offers over a general frontier


@dataclass(frozen=True)
class SPEOutcome:
    """The SPE outcome of the whole game, as the first round's agreement (index into the frontier)."""

    u1: float
    u2: float
    weight: float  # position between frontier points i and i + 1
    index: int
    agreed: bool


def spe_on_frontier(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float], deltas: tuple[float, float],
                    rounds: int, first: int = 0) -> SPEOutcome:
    """Subgame-perfect outcome of alternating offers with a deadline over a frontier (Ståhl; BRW 1986).

    ``u1, u2`` is a Pareto frontier ordered by u1 ascending, taken as piecewise linear. Player ``first``
    (0 or 1) proposes in round 1. Backward from the deadline (after which both get ``d``): the proposer
    offers the responder d_r + δ_r·(v_r − d_r), its value of proposing next round, and keeps the best
    frontier payoff consistent with that, if that beats waiting. As rounds → ∞ with a linear unit frontier
    this is Rubinstein's split.

    >>> u = np.linspace(0, 1, 11)
    >>> o = spe_on_frontier(u, 1 - u, (0.0, 0.0), (0.8, 0.8), rounds=400)
    >>> round(o.u1, 4)
    0.5556
    """
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    if u1.size == 0:
        return SPEOutcome(d[0], d[1], 0.0, -1, False)
    u2_rev, u1_rev = u2[::-1], u1[::-1]  # u2 ascending, for lookups of player 1's best
    values = [d[0], d[1]]
    agreed = False
    for k in range(rounds, 0, -1):
        p = first if k % 2 == 1 else 1 - first
        r = 1 - p
        need = d[r] + deltas[r] * (values[r] - d[r])
        wait = d[p] + deltas[p] * (values[p] - d[p])
        if p == 0:
            best = np.interp(need, u2_rev, u1_rev, right=-np.inf) if need <= u2_rev[-1] + 1e-12 else -np.inf
        else:
            best = np.interp(need, u1, u2, right=-np.inf) if need <= u1[-1] + 1e-12 else -np.inf
        if best >= wait - 1e-12:
            values[p], values[r] = float(best), float(need)
            agreed = True
        else:
            values[p], values[r] = wait, need
            agreed = False
    if not agreed:
        return SPEOutcome(values[0], values[1], 0.0, -1, False)
    j = int(np.clip(np.searchsorted(u1, values[0]), 1, max(u1.size - 1, 1)))
    if u1.size == 1:
        return SPEOutcome(values[0], values[1], 0.0, 0, True)
    span = u1[j] - u1[j - 1]
    w = 0.0 if span <= 0 else float(np.clip((values[0] - u1[j - 1]) / span, 0.0, 1.0))
    return SPEOutcome(values[0], values[1], w, j - 1, True)


# ---------------------------------------------------------------------------------------------------------
# Piecewise-linear frontiers: Nash and Kalai–Smorodinsky exactly, SPE with time-varying frontiers


def clip_polyline(u1: np.ndarray, u2: np.ndarray,
                  d: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, float]]]:
    """The part of a piecewise-linear frontier (u1 ascending) where both get at least ``d``.

    Segments crossing u1 = d1 or u2 = d2 are cut at the crossing. Returns the clipped vertices and, for each,
    where it lies on the original (vertex i, fraction λ to i + 1), so terms can be interpolated.

    >>> a, b, where = clip_polyline(np.array([0.0, 1.0]), np.array([1.0, 0.0]), (0.25, 0.5))
    >>> a.tolist(), b.tolist(), where
    ([0.25, 0.5], [0.75, 0.5], [(0, 0.25), (0, 0.5)])
    """
    u1, u2 = np.asarray(u1, float), np.asarray(u2, float)
    out1: list[float] = []
    out2: list[float] = []
    where: list[tuple[int, float]] = []

    def add(i: int, lam: float) -> None:
        j = min(i + 1, u1.size - 1)
        a, b = u1[i] + lam * (u1[j] - u1[i]), u2[i] + lam * (u2[j] - u2[i])
        if not out1 or abs(a - out1[-1]) > 1e-12 or abs(b - out2[-1]) > 1e-12:
            out1.append(float(a))
            out2.append(float(b))
            where.append((i, float(lam)))

    tol = 1e-12
    for i in range(u1.size):
        if u1[i] >= d[0] - tol and u2[i] >= d[1] - tol:
            add(i, 0.0)
        if i + 1 < u1.size:
            lams = []
            for k, (a, b) in enumerate(((u1[i], u1[i + 1]), (u2[i], u2[i + 1]))):
                if (a < d[k]) != (b < d[k]) and a != d[k] and b != d[k]:
                    lams.append((d[k] - a) / (b - a))
            for lam in sorted(lams):
                a1 = u1[i] + lam * (u1[i + 1] - u1[i])
                a2 = u2[i] + lam * (u2[i + 1] - u2[i])
                if a1 >= d[0] - 1e-9 and a2 >= d[1] - 1e-9:
                    add(i, float(lam))
    return np.array(out1), np.array(out2), where


def nash_on_polyline(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float],
                     power: float = 0.5) -> tuple[int, float, float, float] | None:
    """Generalised Nash (1950) on a piecewise-linear frontier: the maximiser of (u1 − d1)^α (u2 − d2)^(1−α).

    ``u1, u2`` are the frontier's vertices in order (the frontier is the segments joining them). On a segment
    a = A + λ·Δa, b = B + λ·Δb the first-order condition α·Δa/a + (1 − α)·Δb/b = 0 is linear in λ, so the
    optimum is exact: λ* = −(α·Δa·B + (1 − α)·Δb·A)/(Δa·Δb), clipped to the segment. Returns (segment i,
    λ, u1, u2) with the point a fraction λ of the way from vertex i to i + 1; ``None`` if no point beats d.

    >>> nash_on_polyline(np.array([0.0, 1.0]), np.array([1.0, 0.0]), (0.0, 0.0))  # the unit split
    (0, 0.5, 0.5, 0.5)
    >>> nash_on_polyline(np.array([0.0, 0.6, 1.0]), np.array([1.0, 0.4, 0.0]), (0.0, 0.0))[2:]  # mid-segment
    (0.5, 0.5)
    """
    u1, u2 = np.asarray(u1, float), np.asarray(u2, float)
    best: tuple[float, int, float, float, float] | None = None
    n = u1.size
    for i in range(max(n - 1, 1)):
        j = min(i + 1, n - 1)
        a0, b0 = u1[i] - d[0], u2[i] - d[1]
        da, db = u1[j] - u1[i], u2[j] - u2[i]
        candidates = [0.0, 1.0]
        if da * db != 0.0:
            candidates.append(-(power * da * b0 + (1.0 - power) * db * a0) / (da * db))
        for lam in candidates:
            lam = min(max(float(lam), 0.0), 1.0)
            a, b = a0 + lam * da, b0 + lam * db
            if a <= 0 or b <= 0:
                continue
            value = power * math.log(a) + (1.0 - power) * math.log(b)
            if best is None or value > best[0] + 1e-15:
                best = (value, i, lam, float(a + d[0]), float(b + d[1]))
    return None if best is None else best[1:]


def ks_on_polyline(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float]) -> tuple[int, float, float, float] | None:
    """Kalai & Smorodinsky (1975) on a piecewise-linear frontier, exactly: (segment i, λ, u1, u2).

    The ideal point takes each player's best individually rational payoff; along a segment the gap between
    the two normalised gains is linear, so its root is found exactly. ``None`` if no point is rational.

    >>> ks_on_polyline(np.array([0.0, 1.0]), np.array([2.0, 0.0]), (0.0, 0.0))
    (0, 0.5, 0.5, 1.0)
    """
    u1, u2 = np.asarray(u1, float), np.asarray(u2, float)
    ok = (u1 >= d[0] - 1e-12) & (u2 >= d[1] - 1e-12)
    if not ok.any():
        return None
    # the ideal point over the rational part of the frontier (clipping each segment at d)
    ideal1, ideal2 = d[0], d[1]
    n = u1.size
    for i in range(n):
        if u2[i] >= d[1]:
            ideal1 = max(ideal1, u1[i])
        if u1[i] >= d[0]:
            ideal2 = max(ideal2, u2[i])
    for i in range(n - 1):  # a segment crossing u2 = d2 or u1 = d1 holds the ideal's coordinate at the crossing
        for (a, b, c, e, axis) in ((u1[i], u2[i], u1[i + 1], u2[i + 1], 1), (u2[i], u1[i], u2[i + 1], u1[i + 1], 0)):
            dline = d[axis]
            if (b < dline) != (e < dline) and b != dline and e != dline:  # crosses (no product: it can underflow)
                w = (dline - b) / (e - b)
                value = a + w * (c - a)
                if axis == 1:
                    ideal1 = max(ideal1, value)
                else:
                    ideal2 = max(ideal2, value)
    g1, g2 = ideal1 - d[0], ideal2 - d[1]
    if g1 <= 0 or g2 <= 0:
        return None
    gap = (u1 - d[0]) / g1 - (u2 - d[1]) / g2
    for i in range(max(n - 1, 1)):
        j = min(i + 1, n - 1)
        if gap[i] == 0.0:
            return i, 0.0, float(u1[i]), float(u2[i])
        if (gap[i] < 0) != (gap[j] < 0) or gap[j] == 0.0:
            lam = float(gap[i] / (gap[i] - gap[j]))
            return i, lam, float(u1[i] + lam * (u1[j] - u1[i])), float(u2[i] + lam * (u2[j] - u2[i]))
    return None


def spe_on_dated_frontiers(frontiers: Sequence[tuple[Sequence[float], Sequence[float]]], d: tuple[float, float],
                           first: int = 0, survival: float = 1.0) -> tuple[int, int, float, float, float] | None:
    """SPE of alternating offers with a deadline when the frontier changes every round (exact time).

    ``frontiers[k]`` is round k + 1's Pareto frontier (lists or arrays), vertices ordered by u1 ascending,
    utilities already valued at the talks' start (so no discount factor appears). Backward from the deadline
    (both get ``d`` after it): the proposer offers the responder its value of the next round and keeps the best frontier
    payoff consistent with that, if that beats waiting; where even the proposer's best point gives the
    responder more than that, the responder's value is what that point gives it. With a breakdown risk
    (Binmore, Rubinstein & Wolinsky 1986), a refusal is followed by the next round only with probability
    ``survival`` and by ``d`` otherwise, so a responder's value of refusing is d + survival·(v − d). Returns
    the equilibrium agreement as (round, vertex i, λ, u1, u2): the first round whose proposer offers rather
    than waits (the point lies a fraction λ of the way from vertex i to i + 1); ``None`` if no round agrees.

    >>> u = np.linspace(0, 1, 2)
    >>> rounds = [(u * 0.9 ** k, (1 - u) * 0.9 ** k) for k in range(400)]  # δ = 0.9 each
    >>> round(spe_on_dated_frontiers(rounds, (0.0, 0.0))[3], 4)  # Rubinstein: 1/(1 + δ), agreed in round 1
    0.5263
    """
    values = [d[0], d[1]]
    offers: dict[int, tuple[int, float, float, float]] = {}
    for k in range(len(frontiers) - 1, -1, -1):
        p = first if k % 2 == 0 else 1 - first
        r = 1 - p
        u1, u2 = frontiers[k]
        if survival < 1.0:
            values = [d[0] + survival * (values[0] - d[0]), d[1] + survival * (values[1] - d[1])]
        if not len(u1):
            continue
        fr, fp = (u2, u1) if r == 1 else (u1, u2)  # responder's and proposer's coordinates
        fr, fp = _floats(fr), _floats(fp)  # plain floats: a frontier has a few vertices, and NumPy's scalars are slow
        need, wait = values[r], values[p]
        order = sorted(range(len(fr)), key=fr.__getitem__)  # responder's utility ascending (stable, as argsort's)
        xs, ys = [fr[i] for i in order], [fp[i] for i in order]
        if need > xs[-1] + 1e-12:
            continue
        j = bisect.bisect_left(xs, need)
        gets = need  # the responder gets its value of waiting, or more where even the proposer's best gives more
        if j == 0:
            best, vi, lam, gets = ys[0], order[0], 0.0, xs[0]
        else:
            j = min(j, len(xs) - 1)
            span = xs[j] - xs[j - 1]
            w = 0.0 if span <= 0 else min(max((need - xs[j - 1]) / span, 0.0), 1.0)
            best = ys[j - 1] + w * (ys[j] - ys[j - 1])
            a, b = order[j - 1], order[j]  # neighbours along the frontier
            vi, lam = (a, w) if a < b else (b, 1.0 - w)
        if best >= wait - 1e-9:
            values[p], values[r] = best, gets
            offers[k] = (vi, lam, values[0], values[1])
    if not offers:
        return None
    k = min(offers)
    return (k + 1, *offers[k])


def _floats(values: Sequence[float]) -> list[float]:
    """A frontier's coordinates as a list of plain floats (the same values; an array's are converted)."""
    if isinstance(values, list):
        return values
    return values.tolist() if isinstance(values, np.ndarray) else list(values)
