"""The geometry behind a government's plan: the efficient packages it believes feasible in each round.

One seam, with its oracle. A package has discrete and continuous terms (:class:`PackageTerms`):

* the US shares before and after recoup (q, s) take the values of a grid (:func:`share_grid`: steps of
  :data:`SHARE_STEP`, with the governments' public claims added), each pair an *option*. A government's
  utility in (q, s) is not concave (its audience reads the phase most favourable to it; the recoup date moves
  with q), so options are enumerated, never interpolated;
* each continuous term — the tariff rate on a group of goods; the share itself in the unit game — enters
  both utilities separably as a·x + b·x², and between the two sides' ideal values the efficient pairs form a
  concave curve (the counterpart's gain is concave in a rate, the principal's loss concave too but flatter:
  the cost of a point of relief to the one rises as the rate falls, faster than its worth to the other).

In a round, the efficient packages are then: an option, plus a point of the *chain* of the continuous terms
— from one government's ideal rates to the other's, conceding first the term that costs the conceder least
per unit the other gains (the exchange-rate order of logrolling: Raiffa 1982; Sebenius 1983). Within a term
the chain runs through :data:`SEGMENTS` equal steps between the two ideals, and between its vertices it is
the chord: exact where a term is linear, and never above the true frontier where it is concave, so a
package on it gives each side at least what the chain says. :func:`build_chain` builds every round's chain
at once; :func:`best_for_own` and :func:`best_for_other` answer the backward induction's one question —
the best package for one side that gives the other at least so much; :func:`grid_best` is the plain
definition (every package of a fine grid), the oracle they are tested against.

Ties between options (values within :data:`TIE` of each other, as last-ulp differences between CPUs can
make them) go to the option better for the other side, then to the first in grid order: a choice that does
not depend on the machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from negotiation.issues import PackageTerms

ACCEPT_TOLERANCE = 1e-9  # numerical slack when an offer leaves the responder exactly indifferent
TIE = 1e-9  # values closer than this (PV $bn) are a tie, broken the same way on every machine
SEGMENTS = 24  # steps of each continuous term's chain between the two governments' ideals


class Preferences(Protocol):
    """A government's preferences over packages agreed at dates, in present-value $bn at the talks' start.

    u(option, x; t) = fixed(q, s; t) + c0(t) + Σ_c a_c(t)·x_c + b_c(t)·x_c², with b ≤ 0.
    """

    @property
    def disagreement(self) -> float:
        """Utility of no deal, PV at time 0."""
        ...

    def fixed_part(self, q: np.ndarray, s: np.ndarray, times_years: np.ndarray) -> np.ndarray:
        """The part of the utility that depends on the shares alone: (K dates, O options)."""
        ...

    def continuous_coefficients(self, times_years: np.ndarray) -> tuple[Any, Any, Any]:
        """(c0, a, b) at each date: shapes (K,), (K, C), (K, C)."""
        ...


@dataclass(frozen=True)
class Values:
    """One government's utility terms at every round's date: options (K, O) and the continuous terms."""

    options: np.ndarray  # fixed part plus c0, per round and option
    a: np.ndarray  # (K, C)
    b: np.ndarray  # (K, C)

    def at(self, k: int, option: int, x: Sequence[float]) -> float:
        """The utility of ``option`` with the continuous terms at ``x`` in round index ``k``."""
        total = float(self.options[k, option])
        for c, value in enumerate(x):
            total += float(self.a[k, c]) * value + float(self.b[k, c]) * value * value
        return total

    @staticmethod
    def fixed_of(preferences: Preferences, terms: PackageTerms, times_years: np.ndarray) -> np.ndarray:
        """The shares' part of the utility on every option and date, (K, O)."""
        t = np.asarray(times_years, dtype=float)
        return np.broadcast_to(preferences.fixed_part(terms.q, terms.s, t), (t.size, terms.options))

    @classmethod
    def of(cls, preferences: Preferences, terms: PackageTerms, times_years: np.ndarray,
           fixed: np.ndarray | None = None) -> Values:
        """Evaluate ``preferences`` on every option and date (``fixed``: its shares' part, if known already)."""
        t = np.asarray(times_years, dtype=float)
        c0, a, b = preferences.continuous_coefficients(t)
        if fixed is None:
            fixed = cls.fixed_of(preferences, terms, t)
        return cls(np.asarray(fixed + np.asarray(c0, dtype=float)[:, None], dtype=float),
                   np.asarray(a, dtype=float).reshape(t.size, -1), np.asarray(b, dtype=float).reshape(t.size, -1))


def ideal(a: np.ndarray, b: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The x in [low, high] maximising a·x + b·x²; NaN where it is indifferent (a = b = 0).

    Concave (b < 0): the vertex, clipped; otherwise the better end (a convex loss, the principal's, is best at
    an end).

    >>> ideal(np.array([1.0, -1.0, 0.2, 0.0, -1.0]), np.array([0.0, 0.0, -1.0, 0.0, 0.2]), np.zeros(5),
    ...       np.ones(5)).tolist()
    [1.0, 0.0, 0.1, nan, 0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vertex = np.clip(-a / (2.0 * np.where(b < 0.0, b, -1.0)), low, high)
    better_end = np.where(a * high + b * high * high >= a * low + b * low * low, high, low)
    out = np.where(b < 0.0, vertex, better_end)
    return np.where((a == 0.0) & (b == 0.0), np.nan, out)


@dataclass(frozen=True)
class Chain:
    """Every round's efficient packages from one side ("own") to the other, under some beliefs.

    ``own_base`` / ``other_base`` (K, O): each option's utilities with the continuous terms at own's ideal.
    ``cum_own`` (K, L + 1, falling from 0) / ``cum_other`` (K, L + 1, rising from 0): what the chain's first
    segments, in the order conceded, add to each side. ``start``/``end`` (K, C) are the two ideals,
    ``segment_term`` (K, L) which term each conceded segment moves, ``steps`` how many steps a term has.
    """

    own_base: np.ndarray
    other_base: np.ndarray
    cum_own: np.ndarray
    cum_other: np.ndarray
    start: np.ndarray
    end: np.ndarray
    segment_term: np.ndarray
    steps: int
    own_a: np.ndarray  # (K, C): each side's coefficients, to set the last term exactly
    own_b: np.ndarray
    other_a: np.ndarray
    other_b: np.ndarray

    def values_at(self, k: int, option: int, other_gain: float) -> tuple[float, float]:
        """(own, other) of ``option`` with the chain moved until the other side has gained ``other_gain``."""
        own = float(self.own_base[k, option] + along(self.cum_other[k], self.cum_own[k], np.array([other_gain]))[0])
        other = float(self.other_base[k, option] + min(max(other_gain, 0.0), float(self.cum_other[k, -1])))
        return own, other

    def continuous_at(self, k: int, other_gain: float, binding: str = "other") -> list[float]:
        """The continuous terms' values once the chain has moved until the other side has gained ``other_gain``.

        Whole segments are taken at their vertices (which lie on both utilities); inside the last one the
        term is set so that the ``binding`` side ("other": the responder that must get its value; "own": the
        side whose floor binds) gets exactly what the chain says, solving its quadratic, not the chord: the
        package then gives that side its value however curved its utility is.
        """
        cum = self.cum_other[k]
        g = min(max(other_gain, 0.0), float(cum[-1]))
        whole = int(np.searchsorted(cum, g, side="right")) - 1  # segments fully conceded
        whole = min(max(whole, 0), cum.size - 1)
        moved = np.zeros(self.start.shape[1])
        for i in range(whole):
            moved[self.segment_term[k, i]] += 1.0
        step = (self.end[k] - self.start[k]) / self.steps
        x = self.start[k] + moved * step
        if whole < cum.size - 1 and g > float(cum[whole]):
            c = int(self.segment_term[k, whole])
            if binding == "other":
                a, b, target = self.other_a[k, c], self.other_b[k, c], g - float(cum[whole])
            else:  # own loses exactly the chain's loss up to g
                span = float(cum[whole + 1] - cum[whole])
                frac = 0.0 if span <= 0.0 else (g - float(cum[whole])) / span
                lost = frac * float(self.cum_own[k, whole + 1] - self.cum_own[k, whole])
                a, b, target = self.own_a[k, c], self.own_b[k, c], lost
            x[c] = _solve_step(float(a), float(b), float(x[c]), float(x[c] + step[c]), float(target))
        return x.tolist()


def _solve_step(a: float, b: float, x0: float, x1: float, gain: float) -> float:
    """The x between x0 and x1 where a·x + b·x² has moved by ``gain`` from x0 (a monotone stretch of it).

    >>> _solve_step(2.0, 0.0, 0.0, 1.0, 1.0)
    0.5
    >>> round(_solve_step(0.0, 1.0, 0.0, 1.0, 0.25), 12)
    0.5
    """
    lo, hi = min(x0, x1), max(x0, x1)
    f0 = a * x0 + b * x0 * x0
    total = a * x1 + b * x1 * x1 - f0
    if total == 0.0:
        return x0
    left, right = x0, x1  # bisection on a monotone quadratic: exact to the float, and never leaves the step
    for _ in range(60):
        mid = 0.5 * (left + right)
        moved = a * mid + b * mid * mid - f0
        if (moved < gain) == (total > 0.0):
            left = mid
        else:
            right = mid
    return min(max(0.5 * (left + right), lo), hi)


def build_chain(own: Values, other: Values, terms: PackageTerms, steps: int = SEGMENTS) -> Chain:
    """Every round's chain from own's ideal continuous terms to the other's (see the module docstring).

    A term both sides want at the same value sits there; one a side is indifferent about sits at the other's
    ideal. Segments are ordered by own's loss per unit of the other's gain (a stable sort: within a term,
    concavity already orders them).
    """
    k = own.options.shape[0]
    low = np.array([t.low for t in terms.continuous], dtype=float)[None, :].repeat(k, axis=0)
    high = np.array([t.high for t in terms.continuous], dtype=float)[None, :].repeat(k, axis=0)
    mine, theirs = ideal(own.a, own.b, low, high), ideal(other.a, other.b, low, high)
    mine = np.where(np.isnan(mine), np.where(np.isnan(theirs), low, theirs), mine)
    theirs = np.where(np.isnan(theirs), mine, theirs)
    frac = np.arange(steps + 1, dtype=float) / steps
    xs = mine[:, :, None] + frac[None, None, :] * (theirs - mine)[:, :, None]  # (K, C, steps + 1)
    own_v = own.a[:, :, None] * xs + own.b[:, :, None] * xs * xs
    other_v = other.a[:, :, None] * xs + other.b[:, :, None] * xs * xs
    d_own = np.diff(own_v, axis=2).reshape(k, -1)
    d_other = np.diff(other_v, axis=2).reshape(k, -1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cost = np.where(d_other > 0.0, -d_own / np.where(d_other > 0.0, d_other, 1.0), np.inf)
    # within a term, concessions run from its cheapest step on (the frontier is concave: costs rise along it);
    # the running maximum keeps rounding from reordering them
    cost = np.maximum.accumulate(cost.reshape(k, -1, steps), axis=2).reshape(k, -1)
    order = np.argsort(cost, axis=1, kind="stable")
    d_own = np.take_along_axis(d_own, order, axis=1)
    d_other = np.take_along_axis(d_other, order, axis=1)
    zeros = np.zeros((k, 1))
    cum_own = np.concatenate([zeros, np.cumsum(d_own, axis=1)], axis=1)
    cum_other = np.concatenate([zeros, np.maximum.accumulate(np.cumsum(d_other, axis=1), axis=1)], axis=1)
    at_own = (own.a * mine + own.b * mine * mine).sum(axis=1)
    other_at_own = (other.a * mine + other.b * mine * mine).sum(axis=1)
    return Chain(own.options + at_own[:, None], other.options + other_at_own[:, None], cum_own, cum_other,
                 mine, theirs, order // steps, steps, own.a, own.b, other.a, other.b)


def along(xp: np.ndarray, fp: np.ndarray, x: np.ndarray, last: bool = False) -> np.ndarray:
    """Linear interpolation on a chain whose ``xp`` rises but may stay flat (a segment one side does not feel).

    Where ``x`` equals a flat stretch of ``xp``, the first point of the stretch is taken, or with ``last`` the
    last one (the chain point furthest along at that value); never a division by a zero-width step. ``x``
    outside ``xp`` is clipped to it.

    >>> along(np.array([0.0, 1.0, 1.0, 2.0]), np.array([5.0, 4.0, 3.0, 2.0]), np.array([1.0, 1.5])).tolist()
    [4.0, 2.5]
    >>> along(np.array([0.0, 1.0, 1.0, 2.0]), np.array([5.0, 4.0, 3.0, 2.0]), np.array([1.0]), last=True).tolist()
    [3.0]
    """
    if xp.size == 1:
        return np.full(np.shape(x), fp[0])
    x = np.minimum(np.maximum(x, xp[0]), xp[-1])  # (np.clip costs more per call)
    j = xp.searchsorted(x, side="right" if last else "left")
    j = np.minimum(np.maximum(j, 1), xp.size - 1)
    x0, f0 = xp[j - 1], fp[j - 1]
    step = xp[j] - x0
    rising = step > 0.0
    if rising.all():  # the usual case: no flat step under any x
        return f0 + (x - x0) / step * (fp[j] - f0)
    w = np.where(rising, (x - x0) / np.where(rising, step, 1.0), float(last))
    return f0 + w * (fp[j] - f0)


def _pick(values: np.ndarray, others: np.ndarray) -> int:
    """The index of the best value; near-ties (within :data:`TIE`) go to the best other, then the first."""
    best = float(values.max())
    near = (values >= best - TIE).nonzero()[0]
    if near.size == 1:
        return int(near[0])
    sub = others[near]
    top = float(sub.max())
    return int(near[(sub >= top - TIE).nonzero()[0][0]])


def best_for_own(chain: Chain, k: int, other_at_least: float,
                 feasible: np.ndarray | None = None) -> tuple[float, float, int, float] | None:
    """The package best for own that gives the other at least ``other_at_least`` in round ``k`` (0-based index).

    Returns (own's value, other's value, option, the chain's gain to the other), or ``None`` if no feasible
    option reaches that much for the other.
    """
    need = other_at_least - chain.other_base[k]
    cum_other = chain.cum_other[k]
    ok = need <= float(cum_other[-1]) + ACCEPT_TOLERANCE
    if feasible is not None:
        ok &= feasible
    if not ok.any():
        return None
    gain = np.minimum(np.maximum(need, 0.0), float(cum_other[-1]))
    own = chain.own_base[k] + along(cum_other, chain.cum_own[k], gain)
    other = chain.other_base[k] + gain
    own = np.where(ok, own, -np.inf)
    o = _pick(own, np.where(ok, other, -np.inf))
    return float(own[o]), float(other[o]), o, float(gain[o])


def best_for_other(chain: Chain, k: int, own_at_least: float,
                   feasible: np.ndarray | None = None) -> tuple[float, float, int, float] | None:
    """The package best for the other side that gives own at least ``own_at_least`` in round ``k``.

    Returns (own's value, other's value, option, the chain's gain to the other), or ``None`` if no feasible
    option gives own that much.
    """
    room = chain.own_base[k] - own_at_least  # how much own can give up along the chain
    cum_own = chain.cum_own[k]
    ok = room >= -ACCEPT_TOLERANCE
    if feasible is not None:
        ok &= feasible
    if not ok.any():
        return None
    lost = np.minimum(np.maximum(room, 0.0), -float(cum_own[-1]))
    gain = along(-cum_own, chain.cum_other[k], lost, last=True)
    other = chain.other_base[k] + gain
    own = chain.own_base[k] - lost
    other = np.where(ok, other, -np.inf)
    o = _pick(other, np.where(ok, own, -np.inf))
    return float(own[o]), float(other[o]), o, float(gain[o])


def grid_best(own: Values, other: Values, terms: PackageTerms, k: int, other_at_least: float,
              points: int = 101, feasible: np.ndarray | None = None) -> float | None:
    """The oracle of :func:`best_for_own`: every option with every continuous term on a ``points`` grid.

    The plain definition — the best own value over all packages of the grid (each term's range cut into
    ``points`` values, all combinations) that give the other at least ``other_at_least`` — for tests on
    small games (its cost is options × points^terms).
    """
    grids = [np.linspace(t.low, t.high, points) for t in terms.continuous]
    mesh = np.meshgrid(*grids, indexing="ij") if grids else []
    own_c = sum((own.a[k, c] * m + own.b[k, c] * m * m for c, m in enumerate(mesh)), np.zeros(()))
    other_c = sum((other.a[k, c] * m + other.b[k, c] * m * m for c, m in enumerate(mesh)), np.zeros(()))
    own_c, other_c = np.ravel(own_c), np.ravel(other_c)
    best: float | None = None
    for o in range(terms.options):
        if feasible is not None and not feasible[o]:
            continue
        ok = other.options[k, o] + other_c >= other_at_least - 1e-9
        if ok.any():
            value = float((own.options[k, o] + own_c)[ok].max())
            best = value if best is None else max(best, value)
    return best
