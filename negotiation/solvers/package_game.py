"""The package game of a scenario, solved from the outside: SPE with exact time, Nash and Kalai–Smorodinsky.

Independent of the agents in substance: it reads only the two governments' preferences (their utility of
each pair of shares at each date, and of each continuous term), the game's terms (the pairs of shares it
allows, the continuous terms' ranges) and the ratifiers' verdict on each pair of shares. It builds its own
frontier in its own way: the continuous terms' frontier from the exact maximiser of U + λ·J term by term
for a dense set of exchange rates λ (Lagrangian: each term's frontier is concave, so every efficient point
of it is such a maximiser), each pair of shares shifted along it; then backward induction over the dated
frontiers (the proposer offers the responder its value of the next round and keeps the best rest, if that
beats waiting). No belief, chain or interpolation of the agents is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from negotiation.issues import Package, PackageTerms
from negotiation.solvers.bargaining import clip_polyline, ks_on_polyline, nash_on_polyline

RATES = np.concatenate([[1e-12], np.geomspace(1e-5, 1e5, 101), [1e12]])  # exchange rates λ always swept
TERM_POINTS = 121  # values of each continuous term whose exchange rate is swept too
SLACK = 1e-9  # PV $bn: a responder offered its value within this accepts


@dataclass(frozen=True)
class PackageGame:
    """A two-government bargaining game over packages, from outside.

    Player 0 is the counterpart (the US), player 1 the principal. ``us_utility`` and ``japan_utility`` are
    their preferences (``fixed_part(q, s, t)`` and ``continuous_coefficients(t)``: see
    :class:`agents.frontier.Preferences`); ``terms`` gives the continuous terms' ranges and the share values
    that must be on the grid; ``funds(q, s)`` is the principal's ratifiers' verdict on each pair of shares.
    """

    us_utility: Any
    japan_utility: Any
    disagreement: tuple[float, float]
    round_years: float
    rounds: int
    us_first: bool
    terms: PackageTerms
    funds: Callable[[np.ndarray, np.ndarray], np.ndarray]
    names: tuple[str, str] = ("US", "Japan")
    survival: float = 1.0  # the chance the talks go on after a refusal


@dataclass(frozen=True)
class GameSolution:
    """The SPE of a package game (its package and round) with the Nash and Kalai–Smorodinsky packages of round 1."""

    concept: str
    spe: Package | None
    spe_round: int | None
    spe_utilities: tuple[float, float] | None
    nash: Package | None
    kalai_smorodinsky: Package | None
    frontier_us: np.ndarray
    frontier_japan: np.ndarray


@dataclass(frozen=True)
class _Options:
    q: np.ndarray
    s: np.ndarray
    us: np.ndarray  # (K, O): each option's utility with the continuous terms at the US's ideal
    japan: np.ndarray


@dataclass(frozen=True)
class _Curve:
    """Per round, the continuous terms' efficient points from the US's ideal (λ → 0) to Japan's (λ → ∞)."""

    us: np.ndarray  # (K, P): gains over the US's ideal point (falling from 0)
    japan: np.ndarray  # (K, P): gains over the point (rising from 0)
    x: np.ndarray  # (K, P, C): the terms at each point


def _options(game: PackageGame, times: np.ndarray, curve_base: tuple[np.ndarray, np.ndarray]) -> _Options:
    terms = game.terms
    if terms.share_is_continuous:
        q = s = np.zeros(1)
    else:  # the pairs of shares the game allows (its options), those the ratifiers fund
        ok = np.asarray(game.funds(terms.q, terms.s), dtype=bool)
        q, s = terms.q[ok], terms.s[ok]
    us = np.broadcast_to(game.us_utility.fixed_part(q, s, times), (times.size, q.size)) + curve_base[0][:, None]
    japan = np.broadcast_to(game.japan_utility.fixed_part(q, s, times), (times.size, q.size)) + curve_base[1][:, None]
    return _Options(q, s, np.asarray(us, dtype=float), np.asarray(japan, dtype=float))


def _best_x(a: np.ndarray, b: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The maximiser of a·x + b·x² over [low, high]: the clipped vertex where it is concave, else the better end."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        interior = np.clip(-a / (2.0 * np.where(b < 0.0, b, -1.0)), low, high)
    end = np.where(a * high + b * high * high >= a * low + b * low * low, high, low)
    return np.where(b < 0.0, interior, end)


def _rates_for(au: np.ndarray, bu: np.ndarray, aj: np.ndarray, bj: np.ndarray, low: np.ndarray,
               high: np.ndarray, points: int) -> np.ndarray:
    """The exchange rates to sweep in one round.

    For each term, the λ at which each of ``points`` values of it is the maximiser of U + λ·J (from its
    first-order condition a_U + 2b_U·x + λ·(a_J + 2b_J·x) = 0), so every term is sampled densely in its
    own values, however flat or steep it is; a linear term's switching rate −a_U/a_J is taken from both
    sides.
    """
    rates = [RATES]
    for c in range(au.size):
        x = np.linspace(low[c], high[c], points)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lam = -(au[c] + 2.0 * bu[c] * x) / (aj[c] + 2.0 * bj[c] * x)
        lam = lam[np.isfinite(lam) & (lam > 0.0)]
        rates.append(np.concatenate([lam * (1.0 - 1e-12), lam * (1.0 + 1e-12)]))
    out = np.unique(np.concatenate(rates))
    return out[(out > 0.0) & np.isfinite(out)]


def _curve(game: PackageGame, times: np.ndarray) -> tuple[_Curve, tuple[np.ndarray, np.ndarray]]:
    """The continuous terms' efficient points for every exchange rate, each round; and their values at λ → 0."""
    c0u, au, bu = game.us_utility.continuous_coefficients(times)
    c0j, aj, bj = game.japan_utility.continuous_coefficients(times)
    au, bu, aj, bj = (np.asarray(v, dtype=float).reshape(times.size, -1) for v in (au, bu, aj, bj))
    c = au.shape[1]
    low = np.array([t.low for t in game.terms.continuous], dtype=float)
    high = np.array([t.high for t in game.terms.continuous], dtype=float)
    per_round = [_rates_for(au[k], bu[k], aj[k], bj[k], low, high, TERM_POINTS) for k in range(times.size)]
    width = max(r.size for r in per_round)
    lam = np.stack([np.pad(r, (0, width - r.size), mode="edge") for r in per_round])[:, :, None]  # (K, P, 1)
    if c:
        x = _best_x(au[:, None, :] + lam * aj[:, None, :], bu[:, None, :] + lam * bj[:, None, :],
                    low[None, None, :], high[None, None, :])
    else:
        x = np.zeros((times.size, width, 0))
    us = (au[:, None, :] * x + bu[:, None, :] * x * x).sum(axis=2)
    japan = (aj[:, None, :] * x + bj[:, None, :] * x * x).sum(axis=2)
    base = (np.asarray(c0u, dtype=float) + us[:, 0], np.asarray(c0j, dtype=float) + japan[:, 0])
    us_gain, japan_gain = us - us[:, :1], japan - japan[:, :1]
    # keep the curve monotone (a rounding step back is not a point of the frontier)
    japan_gain = np.maximum.accumulate(japan_gain, axis=1)
    us_gain = np.minimum.accumulate(us_gain, axis=1)
    return _Curve(us_gain, japan_gain, x), base


def _interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray, last: bool) -> np.ndarray:
    """Interpolate on a rising ``xp`` that may be flat somewhere.

    At a flat value take its first point (its last with ``last``); never divide by a zero-width step.
    """
    x = np.clip(x, xp[0], xp[-1])
    if xp.size == 1:
        return np.full(np.shape(x), fp[0])
    j = np.clip(np.searchsorted(xp, x, side="right" if last else "left"), 1, xp.size - 1)
    lo, hi = xp[j - 1], xp[j]
    w = np.where(hi > lo, (x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0 if last else 1.0)
    return fp[j - 1] + w * (fp[j] - fp[j - 1])


def _pick(values: np.ndarray, others: np.ndarray) -> int:
    """The best value's index; within :data:`SLACK` of it, the one best for the other side, then the first."""
    top = float(values.max())
    near = np.flatnonzero(values >= top - SLACK)
    sub = others[near]
    return int(near[np.flatnonzero(sub >= float(sub.max()) - SLACK)[0]])


def _offer(options: _Options, curve: _Curve, k: int, proposer: int,
           need: float) -> tuple[float, float, int, float] | None:
    """The proposer's best package giving the responder ``need``: (u_us, u_japan, option, Japan's gain on the curve)."""
    cu, cj = curve.us[k], curve.japan[k]
    if proposer == 0:  # the US keeps the most while Japan gets need
        gap = need - options.japan[k]
        ok = gap <= cj[-1] + SLACK
        if not ok.any():
            return None
        g = np.clip(gap, 0.0, cj[-1])
        us = options.us[k] + _interp(g, cj, cu, last=False)
        japan = options.japan[k] + g
        i = _pick(np.where(ok, us, -np.inf), np.where(ok, japan, -np.inf))
    else:  # Japan keeps the most while the US gets need: move from the US's ideal only as far as it allows
        room = options.us[k] - need
        ok = room >= -SLACK
        if not ok.any():
            return None
        lost = np.clip(room, 0.0, -cu[-1])
        g = _interp(lost, -cu, cj, last=True)
        us = options.us[k] - lost
        japan = options.japan[k] + g
        i = _pick(np.where(ok, japan, -np.inf), np.where(ok, us, -np.inf))
    return float(us[i]), float(japan[i]), i, float(g[i])


def _package(game: PackageGame, options: _Options, curve: _Curve, k: int, option: int, japan_gain: float) -> Package:
    cj = curve.japan[k]
    xs = [float(_interp(np.array([japan_gain]), cj, curve.x[k, :, c], last=False)[0]) for c in range(curve.x.shape[2])]
    if game.terms.share_is_continuous:
        share = min(max(xs[0], 0.0), 1.0)
        return Package(share, share)
    rates = tuple(min(max(v, t.low), t.high) for v, t in zip(xs, game.terms.continuous, strict=True))
    return Package(float(options.q[option]), float(options.s[option]), rates)


def _upper_right(u: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats for both (first of equals), ordered by u descending."""
    order = np.lexsort((-j, -u))  # u descending, then j descending
    js = j[order]
    before = np.maximum.accumulate(np.concatenate([[-np.inf], js[:-1]]))
    return order[js > before + 1e-12]


def _frontier_points(options: _Options, curve: _Curve, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Round k's efficient points: (us, japan, option, curve index), us ascending, from undominated options."""
    us0, j0 = options.us[k], options.japan[k]
    idx = _upper_right(us0, j0)
    u = (us0[idx][:, None] + curve.us[k][None, :]).ravel()
    j = (j0[idx][:, None] + curve.japan[k][None, :]).ravel()
    opt = np.repeat(idx, curve.us.shape[1])
    pos = np.tile(np.arange(curve.us.shape[1]), idx.size)
    sel = _upper_right(u, j)[::-1]
    # a vertex of one pair of shares can fall between two sampled points of another pair's curve and under
    # its chord: undominated among vertices, yet beaten by packages of that pair (the rates between the two
    # points); drop every vertex some pair's chord beats
    u, j, opt, pos = u[sel], j[sel], opt[sel], pos[sel]
    span = -curve.us[k]  # rising from 0: how far from the US's ideal a point of the curve is
    beaten = np.zeros(u.size, dtype=bool)
    for o in idx:
        room = us0[o] - u
        inside = (room >= 0.0) & (room <= span[-1]) & (opt != o)
        if inside.any():
            best = j0[o] + _interp(room[inside], span, curve.japan[k], last=True)
            beaten[np.flatnonzero(inside)[j[inside] < best - 1e-9]] = True
    keep = ~beaten
    return u[keep], j[keep], opt[keep], pos[keep]


def _on_frontier(u: np.ndarray, j: np.ndarray, opt: np.ndarray,
                 found: tuple[int, float, float, float] | None) -> tuple[int, float, float, float] | None:
    """A point found on the polyline through the frontier's vertices, kept only if it is a package.

    Between two vertices of the same pair of shares the segment is the rates' own frontier (a chord of it);
    between vertices of different pairs it joins two packages but holds none, so the better vertex is taken
    (``found`` is (segment i, λ, u, j); the better end is the one nearer the point along the segment).
    """
    if found is None:
        return None
    i, lam, _, _ = found
    k = min(i + 1, u.size - 1)
    if lam <= 0.0 or k == i or opt[i] == opt[k]:
        return found
    end = i if lam < 0.5 else k
    return end, 0.0, float(u[end]), float(j[end])


def _solutions(options: _Options, curve: _Curve, k: int, d: tuple[float, float]) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, float, float, float] | None,
        tuple[int, float, float, float] | None]:
    """Round k's frontier (US utility ascending) with its Nash and Kalai–Smorodinsky points on it."""
    u, j, opt, pos = _frontier_points(options, curve, k)
    fu, fj, where = clip_polyline(u, j, d)  # the individually rational part
    nash = ks = None
    if fu.size:
        for name, solver in (("nash", nash_on_polyline), ("ks", ks_on_polyline)):
            found = solver(fu, fj, d)
            if found is None:
                continue
            i, lam, a, b = found
            # back onto the unclipped polyline: the clipped vertex i lies a fraction w of the way from vertex v
            v0, w0 = where[i]
            v1, w1 = where[min(i + 1, len(where) - 1)]
            start, stop = v0 + w0, v1 + w1
            at = start + lam * (stop - start)
            seg = min(int(at), u.size - 1)
            point = _on_frontier(u, j, opt, (seg, at - seg, a, b))
            if name == "nash":
                nash = point
            else:
                ks = point
    return u, j, opt, pos, nash, ks


def _package_on(game: PackageGame, options: _Options, curve: _Curve, k: int, opt: np.ndarray, pos: np.ndarray,
                point: tuple[int, float, float, float]) -> Package:
    """The package at a point of the frontier: its pair of shares, the rates interpolated along its curve."""
    i, lam, _, _ = point
    nxt = min(i + 1, pos.size - 1)
    gain = float(curve.japan[k, pos[i]] + lam * (curve.japan[k, pos[nxt]] - curve.japan[k, pos[i]])) \
        if opt[nxt] == opt[i] else float(curve.japan[k, pos[i]])
    return _package(game, options, curve, k, int(opt[i]), gain)


def round_frontier(game: PackageGame, t: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None] | None:
    """Round ``t``'s Pareto frontier (US utility ascending, Japan's) and its Nash point (``None``: nothing funded)."""
    times = np.array([(t - 1) * game.round_years])
    curve, base = _curve(game, times)
    options = _options(game, times, base)
    if options.q.size == 0:
        return None
    u, j, _, _, nash, _ = _solutions(options, curve, 0, game.disagreement)
    return u, j, None if nash is None else (nash[2], nash[3])


def solve_package_game(game: PackageGame) -> GameSolution:
    """Solve the package game: SPE (alternating offers, deadline, exact time), Nash and K–S of round 1."""
    last = game.names[0] if (game.rounds % 2 == 1) == game.us_first else game.names[1]
    concept = (f"subgame-perfect equilibrium, alternating offers, exact time, {game.rounds}-round deadline, "
               f"last offer {last}'s")
    times = np.arange(game.rounds, dtype=float) * game.round_years
    curve, base = _curve(game, times)
    options = _options(game, times, base)
    empty = GameSolution(concept, None, None, None, None, None, np.array([]), np.array([]))
    if options.q.size == 0:
        return empty
    d = game.disagreement
    values = [d[0], d[1]]
    first = 0 if game.us_first else 1
    offers: dict[int, tuple[int, float, float, float]] = {}
    for k in range(game.rounds - 1, -1, -1):
        p = first if k % 2 == 0 else 1 - first
        r = 1 - p
        if game.survival < 1.0:
            values = [d[0] + game.survival * (values[0] - d[0]), d[1] + game.survival * (values[1] - d[1])]
        found = _offer(options, curve, k, p, values[r])
        if found is None:
            continue
        mine = found[p]
        if mine >= values[p] - SLACK:
            values = [found[0], found[1]]
            offers[k] = (found[2], found[3], found[0], found[1])
    spe = spe_round = spe_utilities = None
    if offers:
        k = min(offers)
        option, gain, u_us, u_j = offers[k]
        spe, spe_round, spe_utilities = _package(game, options, curve, k, option, gain), k + 1, (u_us, u_j)
    u, j, opt, pos, nash_at, ks_at = _solutions(options, curve, 0, d)
    nash = None if nash_at is None else _package_on(game, options, curve, 0, opt, pos, nash_at)
    ks = None if ks_at is None else _package_on(game, options, curve, 0, opt, pos, ks_at)
    return GameSolution(concept, spe, spe_round, spe_utilities, nash, ks, u, j)
