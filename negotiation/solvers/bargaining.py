"""Bargaining solutions, solved from the outside: pure functions on floats and arrays, no Mesa.

Each solver states its formula and cites its source; a checker beside it (``is_spe``, ``is_pareto_optimal``,
``is_nash_solution``, ``is_kalai_smorodinsky``) tests a candidate answer without reusing the solver, so
tests can apply checkers both to solver output and to what the agents agreed.

References (full entries in docs/ODD.md, "References"): Rubinstein (1982); Ståhl (1972); Nash (1950);
Kalai & Smorodinsky (1975); Binmore, Rubinstein & Wolinsky (1986).
"""

from __future__ import annotations

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
