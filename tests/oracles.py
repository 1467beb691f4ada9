"""Reference implementations the tests check the code against: slow, obvious, written apart from the code."""

import numpy as np

from agents.frontier import ACCEPT_TOLERANCE


def _best_on_polyline(own, other, need):
    """The point of a polyline (own[i], other[i]) best for ``own`` among those giving ``other`` at least ``need``.

    Every segment is searched on its own: on a segment both utilities are affine in its parameter w ∈ [0, 1],
    so the feasible part is an interval and its best point one of that interval's ends. Returns (own, other)
    or None when no point is feasible.
    """
    best = None
    points = list(zip(own, other, strict=True))
    segments = list(zip(points[:-1], points[1:], strict=True)) or [(points[0], points[0])]
    for (a_own, a_other), (b_own, b_other) in segments:
        lo, hi = 0.0, 1.0
        slope = b_other - a_other
        if slope == 0.0:
            if a_other < need:
                continue
        else:
            w = (need - a_other) / slope  # other ≥ need on one side of w
            lo, hi = (max(lo, w), hi) if slope > 0 else (lo, min(hi, w))
            if lo > hi:
                continue
        for w in (lo, hi):
            cand = (a_own + w * (b_own - a_own), a_other + w * (b_other - a_other))
            if best is None or cand[0] > best[0]:
                best = cand
    return best


def spe_by_brute_force(frontiers, d, first, survival):
    """Backward induction on piecewise-linear frontiers, searched segment by segment: the proposer takes its best
    point among those giving the responder at least its value of refusing, if that beats waiting (the checker).

    Args:
        frontiers: per round, (u1 values, u2 values) of the frontier's vertices, in order along it.
        d: the no-deal utilities (u1, u2).
        first: who proposes in round 1 (0 or 1); they alternate.
        survival: the chance the talks survive a refusal.

    Returns:
        (the first round that agrees or None, that agreement's utilities, round 1's values).
    """
    values = list(d)
    agreed, terms = None, None
    for k in range(len(frontiers) - 1, -1, -1):
        p = first if k % 2 == 0 else 1 - first
        r = 1 - p
        values = [d[i] + survival * (values[i] - d[i]) for i in range(2)]
        u = [np.asarray(frontiers[k][0], float), np.asarray(frontiers[k][1], float)]
        need = values[r]
        if u[r].max() < need <= u[r].max() + ACCEPT_TOLERANCE:  # the rule's slack: within it, the frontier's end is
            need = float(u[r].max())  # as good as the responder's value of refusing
        found = _best_on_polyline(u[p], u[r], need - 1e-12)
        if found is not None and found[0] >= values[p] - 1e-9:
            values = [0.0, 0.0]
            values[p], values[r] = found
            agreed, terms = k + 1, list(values)
    return agreed, terms, values
