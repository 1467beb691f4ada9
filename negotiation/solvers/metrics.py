"""Negotiation metrics of the automated-negotiation field (GENIUS, NegMAS), as pure functions on floats.

What ANAC and NegMAS report about one negotiation's outcome, for two parties with utilities u = (u1, u2) and
disagreement (reservation) point d:

* **Pareto distance**: the Euclidean distance in utility space from the outcome to the Pareto frontier,
  taken as the piecewise-linear chain through its vertices (NegMAS's ``dist_to_convex_hull_frontier``: the
  frontier of the terms' convex hull, which is what continuous terms give). 0 on the frontier.
* **Nash distance**: the Euclidean distance from the outcome to the Nash point (the maximiser of
  (u1 − d1)(u2 − d2) on the frontier; NegMAS's ``nash_dist``).
* **Welfare**: NegMAS's ``welfare`` is the sum of the raw utilities Σ uᵢ; chipdeal reports the sum of the
  *gains* over no deal, Σ (uᵢ − dᵢ), which does not depend on where each utility's zero lies (the two
  differ by Σ dᵢ).
* **Advantage** of party i: (uᵢ − dᵢ)/(maxᵢ − dᵢ), its gain over no deal divided by its gain at its best
  point of the frontier (GENIUS's convention, NegMAS's ``advantage`` with ``max_utils``); invariant under
  any positive affine rescaling of uᵢ (so GENIUS's normalisation to [0, 1] leaves it unchanged).
* **Concession rate** of party i: how far its offers moved from its opening toward the other party's opening,
  in its own utility and as a fraction of that gap, per round: c = (vᵢ(own opening) − vᵢ(own last offer)) /
  (vᵢ(own opening) − vᵢ(other's opening)) / rounds. NegMAS's ``concession_rate`` is the raw drop in own
  utility per own offer, (s₀ − s_last)/max(k − 1, 1); chipdeal's is the fraction of the gap between the
  openings (scale-free, comparable across scenarios) per round of the talks.

References: Baarslag et al. (2013), "Evaluating practical negotiating agents: results and analysis of the
2011 international competition" (GENIUS's quality measures); NegMAS ``negmas.preferences.ops``
(``calc_outcome_distances``, ``calc_negotiator_metrics``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def point_segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """The Euclidean distance from point ``p`` to the segment from ``a`` to ``b``.

    Args:
        p: the point.
        a: one end of the segment.
        b: the other end (may equal ``a``).

    Returns:
        min over λ ∈ [0, 1] of |p − (a + λ(b − a))|.

    >>> point_segment_distance((0.0, 0.0), (0.0, 1.0), (1.0, 0.0)) == math.sqrt(0.5)
    True
    >>> point_segment_distance((2.0, 0.0), (0.0, 0.0), (1.0, 0.0))  # beyond an end: the distance to it
    1.0

    """
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = dx * dx + dy * dy
    lam = 0.0 if span == 0.0 else min(max(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / span, 0.0), 1.0)
    return math.hypot(p[0] - (a[0] + lam * dx), p[1] - (a[1] + lam * dy))


def frontier_distance(point: tuple[float, float], u1: Sequence[float], u2: Sequence[float]) -> float:
    """The Pareto distance: from ``point`` to the piecewise-linear frontier through the vertices (u1, u2).

    Args:
        point: the outcome's utilities (u1, u2).
        u1: the frontier's vertices' first utilities, in order along it.
        u2: their second utilities.

    Returns:
        The smallest distance to a segment of the chain (to the vertex, if there is one).

    Raises:
        ValueError: the frontier has no vertex.

    >>> frontier_distance((0.5, 0.5), [0.0, 1.0], [1.0, 0.0])  # on the frontier
    0.0
    >>> round(frontier_distance((0.0, 0.0), [0.0, 1.0], [1.0, 0.0]), 6)  # √½ below the unit split
    0.707107

    """
    if not len(u1):
        raise ValueError("the frontier has no vertex")
    x, y = np.asarray(u1, dtype=float), np.asarray(u2, dtype=float)
    if x.size == 1:
        return math.hypot(point[0] - float(x[0]), point[1] - float(y[0]))
    ax, ay, dx, dy = x[:-1], y[:-1], np.diff(x), np.diff(y)  # every segment at once: point_segment_distance's formula
    span = dx * dx + dy * dy
    safe = np.where(span > 0.0, span, 1.0)
    lam = np.where(span > 0.0, np.clip(((point[0] - ax) * dx + (point[1] - ay) * dy) / safe, 0.0, 1.0), 0.0)
    return float(np.hypot(point[0] - (ax + lam * dx), point[1] - (ay + lam * dy)).min())


def welfare(gains: Sequence[float]) -> float:
    """Welfare: the sum of the parties' gains over no deal, Σ (uᵢ − dᵢ).

    Args:
        gains: each party's utility minus its disagreement value.

    Returns:
        Their sum (0 when the talks break down: every gain is 0).

    >>> welfare([0.6, 0.4])
    1.0

    """
    return float(sum(gains))


def advantage(gain: float, best_gain: float) -> float | None:
    """A party's advantage: its gain over no deal divided by its gain at its best point of the frontier.

    Args:
        gain: uᵢ − dᵢ at the outcome (0 with no agreement).
        best_gain: maxᵢ − dᵢ, the most it could gain on the frontier.

    Returns:
        (uᵢ − dᵢ)/(maxᵢ − dᵢ) (1: it got its best; 0: no more than no deal), or ``None`` when no point of the
        frontier gains it anything (``best_gain`` ≤ 0: NegMAS returns 0 when maxᵢ = dᵢ).

    >>> advantage(0.25, 0.5), advantage(0.0, 0.0)
    (0.5, None)

    """
    if not best_gain > 0.0:
        return None
    return gain / best_gain


def concession_rate(opening_value: float, last_offer_value: float, other_opening_value: float,
                    rounds: int) -> float | None:
    """How far a party's offers moved from its opening toward the other's, as a fraction of the gap, per round.

    All three values are the party's own utilities, valued at one common date (so the passage of time is not
    counted as a concession): c = (v(opening) − v(last offer)) / (v(opening) − v(other's opening)) / rounds.

    Args:
        opening_value: its value of its own opening.
        last_offer_value: its value of the last offer it made.
        other_opening_value: its value of the other party's opening.
        rounds: the rounds the talks lasted (≥ 1).

    Returns:
        The rate (0: it never moved; 1/rounds overall: it ended offering the other's opening), or ``None``
        when the openings are no gap apart in its own valuation, or the talks had no round.

    >>> concession_rate(1.0, 0.25, 0.0, 3)  # moved 75% of the way in 3 rounds
    0.25

    """
    gap = opening_value - other_opening_value
    if rounds < 1 or not gap > 0.0:
        return None
    return (opening_value - last_offer_value) / gap / rounds
