"""The deal's economics, as pure functions: time and its weights, tariffs per good, profit streams.

Everything is in years (from the talks' start) and $bn, with continuous discounting, and broadcasts over
NumPy arrays of agreement dates and of the terms, so an actor values every package agreed in every round at
once. Nothing here knows about Mesa or about any one actor; the actors in ``agents/`` build their preferences
from these.

* **Time** (:class:`Clock`): a government discounts at its rate r and may weight what happens after a date T
  (an administration's term) by w: a flow of 1 a year over [a, b] is worth Ψ(b) − Ψ(a), with
  Ψ(x) = ∫₀ˣ e^(−r·u)·ω(u) du, ω = 1 before T and w after (political short-termism: Alesina & Tabellini
  1990). The package is *deployed* as projects are selected, uniformly from signing to the allocation
  deadline, so a dollar deployed, and every project cash flow dated from its deployment, is valued averaged
  over the deployment dates (:meth:`Clock.deployed_point`, :meth:`Clock.deployed_flow`). Where the cash is
  paid by capital calls under an annual cap (:class:`CapitalCalls`), it is deployed evenly at the pace the
  cap allows, past the deadline if it must.
* **Tariffs** (:class:`TradeTerms`, one :class:`Goods` per group of exports): each group pays its own rate.
  Without a deal a group pays its rate during the talks until the threat's effective date, then its rate
  without a deal (a threatened group the threat, a group under a sectoral tariff that tariff); a deal sets a
  rate for each group between the floor and that no-deal rate (a group already at or below the floor stays
  where it is), applied from the threat's date or signing, whichever is later, to the regime's end. Per
  year at rate τ on exports V with the exporters' share of the duty θ and import-demand elasticity ε (the
  domestic price rises by (1 − θ)·τ and the volume falls by ε·(1 − θ)·τ): the principal loses the duty its
  exporters bear on the volume that still trades and the margin m on the volume lost; the counterpart gains
  the duty on the volume that still trades — foreigners' part at par, its own buyers' part weighted by ω (a
  transfer at ω = 0) — less the Harberger triangle ½·ε·(1 − θ)²·τ²·V. Both sides are second order in τ, and
  the duty no longer paid on the lost volume is the same sum on both sides.
* **Profits** (:class:`ProjectClass`, :class:`Portfolio`): equity earns a cash yield after a build time, for
  a life, with a failure probability. The counterpart takes a share q of the cash until the principal has
  recouped its deemed allocation (principal plus interest at the recoup rate, from its share 1 − q), then a
  share s; the recoup date depends on q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

Times = Any  # a float or a NumPy array of dates (years from the talks' start)
MEMO_ENTRIES = 4096  # a portfolio's memo of values at deployment is emptied at this size (values are recomputed)


def _one_minus_exp_over(rate: float, x: Any) -> Any:
    """(1 − e^(−r·x))/r, exact for tiny r·x too (its series there; x at r = 0). Broadcasts."""
    z = rate * np.asarray(x, dtype=float)
    tiny = np.abs(z) < 1e-8
    if not tiny.any():  # the usual case: only the exact branch (np.where would evaluate both)
        return -np.expm1(-z) / rate
    safe = rate if rate != 0.0 else 1.0
    return np.where(tiny, x * (1.0 - 0.5 * z), -np.expm1(-z) / safe)


def annuity(rate_per_year: float, start_years: Times, end_years: Times) -> Any:
    """Present value at time 0 of a flow of 1 per year paid from ``start_years`` to ``end_years``.

    Continuous discounting: (e^(−r·a) − e^(−r·b)) / r, and b − a when r = 0; 0 when b ≤ a. Broadcasts.

    >>> round(float(annuity(0.0, 1.0, 3.0)), 6)
    2.0
    >>> round(float(annuity(0.05, 0.0, 20.0)), 4)  # (1 − e^−1)/0.05
    12.6424
    >>> annuity(0.05, np.array([0.0, 5.0]), 4.0).tolist()[1]
    0.0
    """
    if type(start_years) is float and type(end_years) is float:  # one date pair: plain floats, same formula
        lo, hi = start_years, max(start_years, end_years)
        z = rate_per_year * (hi - lo)
        if abs(z) < 1e-8:
            return math.exp(-rate_per_year * lo) * (hi - lo) * (1.0 - 0.5 * z)
        return math.exp(-rate_per_year * lo) * -math.expm1(-z) / rate_per_year
    a, b = np.asarray(start_years, dtype=float), np.asarray(end_years, dtype=float)
    b = np.maximum(a, b)
    out = np.exp(-rate_per_year * a) * _one_minus_exp_over(rate_per_year, b - a)  # exact for small r too
    return float(out) if out.ndim == 0 else out


def discount(rate_per_year: float, at_years: Times) -> Any:
    """e^(−r·t): the value at time 0 of 1 paid at ``at_years``."""
    if type(at_years) is float and at_years == 0.0 and math.isfinite(rate_per_year):  # e^0 = 1 exactly
        return 1.0
    out = np.exp(-rate_per_year * np.asarray(at_years, dtype=float))
    return float(out) if out.ndim == 0 else out


def _phi(rate: float, x: Any) -> Any:
    """Φ(x) = ∫₀ˣ e^(−r·u) du = (1 − e^(−r·x))/r (x when r = 0)."""
    return _one_minus_exp_over(rate, np.asarray(x, dtype=float))


def _lam(rate: float, x: Any) -> Any:
    """Λ(x) = ∫₀ˣ Φ(u) du = (r·x + e^(−r·x) − 1)/r² (x²/2 when r = 0), by a series where r·x is small."""
    x = np.asarray(x, dtype=float)
    if rate == 0.0:
        return 0.5 * x * x
    z = rate * x
    small = np.abs(z) < 1e-3
    exact = (z + np.expm1(-z)) / (rate * rate)
    if not small.any():  # the usual case: only the exact branch
        return exact
    series = x * x * (0.5 - z / 6.0 + z * z / 24.0 - z * z * z / 120.0)  # error below z⁴/720 relative
    return np.where(small, series, exact)


@dataclass(frozen=True)
class Clock:
    """How one government values time: its discount rate, and a lower weight on what comes after a date.

    Ψ(x) = ∫₀ˣ e^(−r·u)·ω(u) du with ω(u) = 1 for u < ``term_end_years`` and ``weight_after_term`` after it:
    a flow of 1 a year over [a, b] is worth Ψ(b) − Ψ(a), a payment of 1 at x is worth e^(−r·x)·ω(x). With
    w = 1 (or no term) this is plain discounting.

    Args:
        rate_per_year: the discount rate r.
        term_end_years: T, the date after which its weight is w (``inf``: none).
        weight_after_term: w in [0, 1].

    >>> c = Clock(0.05)
    >>> round(float(c.flow(0.0, 20.0)), 4) == round(float(annuity(0.05, 0.0, 20.0)), 4)
    True
    >>> round(float(Clock(0.0, 2.0, 0.5).flow(0.0, 4.0)), 6)  # 2 years at weight 1, 2 at weight 0.5
    3.0

    """

    rate_per_year: float
    term_end_years: float = math.inf
    weight_after_term: float = 1.0

    def psi(self, x: Any) -> Any:
        """Ψ(x): the weighted PV at 0 of 1 a year from 0 to ``x``."""
        r, big_t, w = self.rate_per_year, self.term_end_years, self.weight_after_term
        x = np.asarray(x, dtype=float)
        if w == 1.0 or not math.isfinite(big_t):
            return _phi(r, x)
        return _phi(r, np.minimum(x, big_t)) + w * (_phi(r, np.maximum(x, big_t)) - _phi(r, big_t))

    def xi(self, x: Any) -> Any:
        """Ξ(x) = ∫₀ˣ Ψ(u) du (the antiderivative the deployment averages need)."""
        r, big_t, w = self.rate_per_year, self.term_end_years, self.weight_after_term
        x = np.asarray(x, dtype=float)
        if w == 1.0 or not math.isfinite(big_t):
            return _lam(r, x)
        below = _lam(r, np.minimum(x, big_t))
        beyond = np.maximum(x - big_t, 0.0)
        above = (1.0 - w) * _phi(r, big_t) * beyond + w * (_lam(r, np.maximum(x, big_t)) - _lam(r, big_t))
        return below + above

    def flow(self, start_years: Any, end_years: Any) -> Any:
        """PV at 0 of 1 a year from ``start_years`` to ``end_years`` (0 when the end is not later)."""
        a = np.asarray(start_years, dtype=float)
        return self.psi(np.maximum(a, end_years)) - self.psi(a)

    def point(self, at_years: Any) -> Any:
        """PV at 0 of 1 paid at ``at_years``: e^(−r·t)·ω(t)."""
        t = np.asarray(at_years, dtype=float)
        weight = np.where(t < self.term_end_years, 1.0, self.weight_after_term)
        return np.exp(-self.rate_per_year * t) * weight

    def deployed_point(self, signed_years: Any, deadline_years: Any, offset_years: Any = 0.0) -> Any:
        """PV at 0 of 1 paid ``offset_years`` after each dollar's deployment, deployed evenly over [signing, deadline].

        (Ψ(H + c) − Ψ(t + c))/(H − t) for signing t, deadline H and offset c; e^(−r·(t + c))·ω(t + c) when
        nothing is left of the window (deployed at once on signing). H may be one date or one per signing
        date (broadcast with t: the end :meth:`CapitalCalls.end` gives).

        >>> c = Clock(0.05)
        >>> round(float(c.deployed_point(0.0, 4.0)), 6) == round((1 - math.exp(-0.2)) / (0.05 * 4.0), 6)
        True
        """
        t, c = np.asarray(signed_years, dtype=float), np.asarray(offset_years, dtype=float)
        span = deadline_years - t
        wide = span > 1e-9
        if wide.all():  # the usual case (signed before the deadline): only the spread branch
            return (self.psi(deadline_years + c) - self.psi(t + c)) / span
        safe = np.where(wide, span, 1.0)
        spread = (self.psi(deadline_years + c) - self.psi(t + c)) / safe
        return np.where(wide, spread, self.point(t + c))

    def deployed_flow(self, signed_years: Any, deadline_years: Any, start_offset: Any, end_offset: Any) -> Any:
        """PV at 0 of 1 a year from ``start_offset`` to ``end_offset`` after each dollar's deployment (as above).

        (Ξ(H + b) − Ξ(t + b) − Ξ(H + a) + Ξ(t + a))/(H − t); Ψ(t + b) − Ψ(t + a) with no window left.

        >>> c = Clock(0.05)
        >>> exact = (math.exp(-0.0) - math.exp(-0.05 * 4.0)) / (0.05 * 4.0) * float(annuity(0.05, 3.0, 10.0))
        >>> round(float(c.deployed_flow(0.0, 4.0, 3.0, 10.0)), 9) == round(exact, 9)
        True
        """
        t = np.asarray(signed_years, dtype=float)
        a, b = np.asarray(start_offset, dtype=float), np.asarray(end_offset, dtype=float)
        b = np.maximum(a, b)
        span = deadline_years - t
        wide = span > 1e-9
        h = deadline_years
        if wide.all():  # the usual case (signed before the deadline): only the spread branch
            return (self.xi(h + b) - self.xi(t + b) - self.xi(h + a) + self.xi(t + a)) / span
        safe = np.where(wide, span, 1.0)
        spread = (self.xi(h + b) - self.xi(t + b) - self.xi(h + a) + self.xi(t + a)) / safe
        return np.where(wide, spread, self.psi(t + b) - self.psi(t + a))


@dataclass(frozen=True)
class CapitalCalls:
    """Cash paid by capital calls under an annual cap: C $bn of the package at most K $bn a year.

    The cash is deployed evenly from signing t at the pace that ends it by the allocation deadline H, or, if
    the cap does not allow that, at the cap: over [t, E(t)] with

        E(t) = max(H, t + C/K),

    so a dollar of the cash, as deployed, is worth D_K(t) = (Ψ(E(t)) − Ψ(t))/(E(t) − t) (on a plain clock at
    rate r, with the cap binding: e^(−r·t)·(1 − e^(−r·C/K))/(r·C/K)), and every project cash flow is dated
    from its dollar's deployment as before (:meth:`Clock.deployed_point`, :meth:`Clock.deployed_flow` with
    E(t) for H). The cap binds when C/K > H − t; it never moves a deal's date, only when its money is paid.
    The equity whose profits are split is paid from this cash; the rest of the package (F − C) is deployed
    evenly to H (:meth:`fund_deployed_point`). FACTS korea-capital-calls: $200bn at most $20bn a year.

    >>> calls = CapitalCalls(200.0, 20.0)
    >>> float(calls.end(0.0, 3.78)), float(calls.end(0.0, 12.0))  # 10 years at the cap; a later deadline rules
    (10.0, 12.0)
    >>> c = Clock(0.05)
    >>> exact = (1 - math.exp(-0.05 * 10)) / (0.05 * 10)
    >>> round(float(c.deployed_point(0.0, calls.end(0.0, 3.78))), 12) == round(exact, 12)
    True
    """

    cash_usd_bn: float
    cap_usd_bn_per_year: float

    @property
    def years_at_cap(self) -> float:
        """C/K: how long the cash takes at the cap."""
        return self.cash_usd_bn / self.cap_usd_bn_per_year

    def end(self, signed_years: Any, deadline_years: float) -> Any:
        """E(t) = max(H, t + C/K): when the last dollar of the cash is called, for each signing date."""
        return np.maximum(deadline_years, np.asarray(signed_years, dtype=float) + self.years_at_cap)

    def fund_deployed_point(self, clock: Clock, signed_years: Any, deadline_years: float,
                            fund_usd_bn: float) -> Any:
        """PV per $ of the whole package F, as deployed: [C·D_K(t) + (F − C)·D(t)]/F (C capped at F)."""
        t = np.asarray(signed_years, dtype=float)
        cash = min(self.cash_usd_bn, fund_usd_bn)
        capped = clock.deployed_point(t, self.end(t, deadline_years))
        even = clock.deployed_point(t, deadline_years)
        return (cash * capped + (fund_usd_bn - cash) * even) / fund_usd_bn


def recoup_years(principal_phase1_share: Any, cash_yield_per_year: Any, recoup_rate_per_year: float,
                 build_years: Any, end_years: Any) -> Any:
    """When the principal has recouped its deemed allocation (principal plus interest at the recoup rate).

    It receives ``principal_phase1_share`` of a project's cash yield from ``build_years`` on; it has recouped
    at the τ where the value of what it received, discounted at the recoup rate, equals the principal:
    share·yield·(e^(−i·b) − e^(−i·τ))/i = 1. Returns ``end_years`` if that never happens within the life.
    Broadcasts over shares and over the projects' terms.

    >>> round(float(recoup_years(0.5, 0.2, 0.0, 0.0, 30.0)), 6)  # 0.1 a year repays 1 in 10 years
    10.0
    >>> float(recoup_years(0.5, 0.09, 0.05, 4.0, 29.0))  # 4.5% a year never covers 5% interest
    29.0
    """
    flow = np.asarray(principal_phase1_share, dtype=float) * cash_yield_per_year
    positive = flow > 0
    safe = np.where(positive, flow, 1.0)
    i = recoup_rate_per_year
    grow = np.exp(i * np.asarray(build_years, dtype=float))
    x = (i / safe) * grow  # τ = b − ln(1 − x)/i = b + (e^(i·b)/flow)·(−ln(1 − x)/x): exact as i → 0 (then b + 1/flow)
    ok = x < 1.0
    x_ok = np.where(ok, x, 0.0)
    ratio = np.where(x_ok > 1e-8, -np.log1p(-x_ok) / np.where(x_ok > 1e-8, x_ok, 1.0), 1.0 + 0.5 * x_ok)
    tau = np.where(ok, build_years + grow / safe * ratio, end_years)
    out = np.where(positive, np.minimum(tau, end_years), end_years)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------------------
# Profits


@dataclass(frozen=True)
class ProjectClass:
    """One class of funded projects, per $ of equity: cash yield, build time, life, failure and recovery."""

    cash_yield_per_year: float
    build_years: float
    life_years: float
    failure_probability: float
    recovery_fraction: float

    @property
    def end_years(self) -> float:
        """When its cash flows end, after its deployment."""
        return self.build_years + self.life_years

    @property
    def expected_yield_per_year(self) -> float:
        """Its cash yield net of failures: (1 − p)·y."""
        return (1.0 - self.failure_probability) * self.cash_yield_per_year


@dataclass(frozen=True)
class ProfitValues:
    """Per $ of equity, as one government values them: the flows before and after recoup, and recoveries.

    Arrays broadcast over (agreement dates, phase-1 shares q).
    """

    before: Any  # the whole cash flow until recoup
    after: Any  # the whole cash flow after recoup
    recovery: Any  # what failed projects return (the principal's alone)
    equity: Any  # the equity itself, paid as deployed

    def counterpart(self, q: Any, s: Any) -> Any:
        """The counterpart's part: q·before + s·after."""
        return q * self.before + s * self.after

    def principal(self, q: Any, s: Any) -> Any:
        """The principal's part net of its equity: (1 − q)·before + (1 − s)·after + recovery − equity."""
        return (1.0 - q) * self.before + (1.0 - s) * self.after + self.recovery - self.equity


@dataclass(frozen=True)
class _ClassArrays:
    """A portfolio's project classes as arrays along one axis: weight·(1 − p)·y and weight·p·recovery."""

    cash_yield: np.ndarray
    build: np.ndarray
    end: np.ndarray
    weighted_yield: np.ndarray
    weighted_recovery: np.ndarray


@dataclass(frozen=True)
class Portfolio:
    """Project classes, the share of the equity each takes (weights sum to 1), and the deal's split rule.

    ``two_phase``: the counterpart's share may differ before and after the principal recoups (the MOU's
    deemed allocation, FACTS mou-split); without it one share applies throughout and nothing is recouped.
    ``calls``: the equity is paid by capital calls under an annual cap (:class:`CapitalCalls`); ``None``, it
    is deployed evenly to the deadline. The values at deployment (signed and deadline 0, as the lenders and
    the claims read them) do not depend on it; :meth:`deployment_end` gives the governments' end E(t).
    """

    classes: tuple[ProjectClass, ...]
    weights: tuple[float, ...]
    recoup_rate_per_year: float
    two_phase: bool = True
    calls: CapitalCalls | None = None
    # values at deployment by (rate, q): not part of the portfolio's identity; emptied when it grows large
    _memo: dict[tuple[float, tuple[int, ...], bytes], ProfitValues] = field(default_factory=dict, init=False,
                                                                            repr=False, compare=False)

    @cached_property
    def _class_arrays(self) -> _ClassArrays:
        """The classes' terms as arrays (one entry per class), for valuing every class at once."""
        cs, w = self.classes, np.asarray(self.weights, dtype=float)
        return _ClassArrays(
            cash_yield=np.array([c.cash_yield_per_year for c in cs]),
            build=np.array([c.build_years for c in cs]), end=np.array([c.end_years for c in cs]),
            weighted_yield=w * np.array([c.expected_yield_per_year for c in cs]),
            weighted_recovery=w * np.array([c.failure_probability * c.recovery_fraction for c in cs]))

    def deployment_end(self, signed_years: Any, deadline_years: float) -> Any:
        """When the equity signed at each date is all deployed: H, or E(t) = max(H, t + C/K) under capital calls."""
        if self.calls is None:
            return deadline_years
        return self.calls.end(signed_years, deadline_years)

    def recoup_after_deployment(self, q: Any) -> list[Any]:
        """Each class's recoup date after deployment at phase-1 share ``q`` (its end if never)."""
        if not self.two_phase:
            return [np.broadcast_to(np.asarray(c.build_years, dtype=float), np.shape(q)) for c in self.classes]
        return [np.asarray(recoup_years(1.0 - np.asarray(q, dtype=float), c.cash_yield_per_year,
                                        self.recoup_rate_per_year, c.build_years, c.end_years), dtype=float)
                for c in self.classes]

    def values(self, clock: Clock, signed_years: Any, deadline_years: Any, q: Any,
               _direct: bool = False) -> ProfitValues:
        """Per $ of equity, the PV at 0 (on ``clock``) of the flows before and after recoup, recoveries, equity.

        ``signed_years`` and ``q`` broadcast (e.g. dates as a column, shares as a row); ``deadline_years`` is
        one date or one per signing date, shaped like ``signed_years`` (:meth:`deployment_end`).
        """
        t = np.asarray(signed_years, dtype=float)
        if not _direct and (clock.weight_after_term == 1.0 or not math.isfinite(clock.term_end_years)):
            # plain discounting: every flow is dated from its deployment, so the values at a date are the
            # values at deployment times the PV of a dollar deployed from that date (the same formulas)
            q_arr = np.asarray(q, dtype=float)
            key = (clock.rate_per_year, q_arr.shape, q_arr.tobytes())
            at = self._memo.get(key)
            if at is None:
                if len(self._memo) >= MEMO_ENTRIES:
                    self._memo.clear()
                at = self._memo[key] = self.values(Clock(clock.rate_per_year), 0.0, 0.0, q_arr, _direct=True)
            d = clock.deployed_point(t, deadline_years)
            shape = np.broadcast_shapes(np.shape(t), np.shape(q))
            return ProfitValues(*(np.broadcast_to(d * v, shape) for v in (at.before, at.after, at.recovery,
                                                                          at.equity)))
        # every class at once, along a last axis: the equity-weighted sum over classes of each flow
        k = self._class_arrays
        q_k = np.asarray(q, dtype=float)[..., None]
        if self.two_phase:
            tau = recoup_years(1.0 - q_k, k.cash_yield, self.recoup_rate_per_year, k.build, k.end)
        else:
            tau = np.broadcast_to(k.build, np.broadcast_shapes(q_k.shape, k.build.shape))
        t_k = t[..., None]
        h_k = np.asarray(deadline_years, dtype=float)
        h_k = h_k[..., None] if h_k.ndim else h_k
        before = (k.weighted_yield * clock.deployed_flow(t_k, h_k, k.build, tau)).sum(axis=-1)
        after = (k.weighted_yield * clock.deployed_flow(t_k, h_k, tau, k.end)).sum(axis=-1)
        recovery = (k.weighted_recovery * clock.deployed_point(t_k, h_k, k.build)).sum(axis=-1)
        equity = clock.deployed_point(t, deadline_years)
        shape = np.broadcast_shapes(np.shape(t), np.shape(q))
        return ProfitValues(*(np.broadcast_to(np.asarray(v, dtype=float), shape)
                              for v in (before, after, recovery, equity)))

    def own_investment_value(self, rate_per_year: float) -> float:
        """PV per $ of the same projects held alone (all the profits), now: what the money earns without a deal."""
        total = 0.0
        for w, c in zip(self.weights, self.classes, strict=True):
            total += w * (c.expected_yield_per_year * annuity(rate_per_year, c.build_years, c.end_years)
                          + c.failure_probability * c.recovery_fraction * math.exp(-rate_per_year * c.build_years))
        return float(total)

    def never_recoups(self, q: float) -> float:
        """The share of the equity in classes that never reach the post-recoup phase at phase-1 share ``q``."""
        if not self.two_phase:
            return 0.0
        return float(sum(w for w, c, tau in zip(self.weights, self.classes, self.recoup_after_deployment(q),
                                                strict=True) if float(tau) >= c.end_years))

    def recoup_years(self, q: float) -> float:
        """The equity-weighted recoup date after deployment (a class that never recoups counts its end)."""
        return float(sum(w * float(tau) for w, tau in zip(self.weights, self.recoup_after_deployment(q),
                                                          strict=True)))

    def yearly_profit(self) -> float:
        """Expected cash yield per $ of equity a year in steady operation."""
        return float(sum(w * c.expected_yield_per_year for w, c in zip(self.weights, self.classes, strict=True)))


# ---------------------------------------------------------------------------------------------------------
# Tariffs


@dataclass(frozen=True)
class Goods:
    """One group of the principal's exports, what it pays without a deal, and the rates a deal may set."""

    name: str
    exports_usd_bn_per_year: float
    rate_during_talks: float
    rate_without_deal: float  # from the threat's effective date on, without a deal
    exporters_share_of_duty: float

    def deal_range(self, floor_rate: float) -> tuple[float, float]:
        """The rates a deal may set: from the floor (or its no-deal rate, if lower) up to its no-deal rate."""
        return min(floor_rate, self.rate_without_deal), self.rate_without_deal

    def bargained(self, floor_rate: float) -> bool:
        """Whether a deal has anything to set for it (a group at or below the floor stays where it is)."""
        low, high = self.deal_range(floor_rate)
        return high > low


@dataclass(frozen=True)
class TradeTerms:
    """The tariff side of the deal: the groups of goods, the floor, and the clocks they run on.

    Args:
        goods: the export groups.
        floor_rate: the lowest rate the counterpart grants anyone (FACTS baseline-rate).
        threat_effective_years: when the no-deal rates (the threat) apply; a deal's rates apply from then or
            from signing, whichever is later (FACTS order-calendar).
        regime_end_years: when the tariff regime, and with it threat and relief, ends.
        trade_elasticity: import-demand elasticity of the principal's exports (first order).
        exporters_margin: quasi-rents beyond the supply curve the exporters lose per $ of lost exports (their
            surplus under the supply curve is counted already: :meth:`principal_loss`).

    """

    goods: tuple[Goods, ...]
    floor_rate: float
    threat_effective_years: float
    regime_end_years: float
    trade_elasticity: float
    exporters_margin: float

    @property
    def bargained(self) -> tuple[Goods, ...]:
        """The groups a deal sets a rate for, in the scenario's order."""
        return tuple(g for g in self.goods if g.bargained(self.floor_rate))

    def principal_loss(self, g: Goods) -> tuple[float, float]:
        """The principal's yearly loss from the rate τ on ``g`` as (a, b) in a·τ + b·τ².

        Linear partial equilibrium, the same one the counterpart's side uses (:meth:`counterpart_gain`): the
        exporters' price falls by θ·τ per $ of value, and the volume by ε(1 − θ)·τ·V. Their surplus loss is the
        price cut on the volume that still trades, θ·τ·V·(1 − ε(1 − θ)·τ), plus the triangle under their supply
        curve on the volume lost, ½·θ·τ·ε(1 − θ)·τ·V — the standard producer-surplus loss, which needs no margin
        of its own: exporters who bear little of the duty (elastic supply) lose little on the volume they give
        up. ``exporters_margin`` m adds quasi-rents beyond the supply curve on the volume lost, m·ε(1 − θ)·τ·V.
        So a = V·(θ + m·ε·(1 − θ)), b = −½·θ·ε·(1 − θ)·V. With the counterpart's side the two triangles make
        the whole Harberger loss, ½·τ·ε(1 − θ)·τ·V (a test).
        """
        theta, v = g.exporters_share_of_duty, g.exports_usd_bn_per_year
        eps = self.trade_elasticity
        return v * (theta + self.exporters_margin * eps * (1.0 - theta)), -0.5 * theta * eps * (1.0 - theta) * v

    def principal_loss_usd_bn_per_year(self, g: Goods, rate: float) -> float:
        """The principal's yearly loss at the rate on ``g`` (:meth:`principal_loss`)."""
        a, b = self.principal_loss(g)
        return a * rate + b * rate * rate

    def counterpart_gain(self, g: Goods, buyers_duty_weight: float) -> tuple[float, float]:
        """The counterpart's yearly gain from the rate τ on ``g`` as (a, b) in a·τ + b·τ².

        The duty on the volume that still trades, foreigners' part θ at par and its buyers' part at ω,
        (θ + ω(1 − θ))·τ·V·(1 − ε(1 − θ)·τ), less the Harberger triangle of the volume its buyers give up,
        ½·ε·(1 − θ)²·τ²·V: a = V·(θ + ω(1 − θ)), b = −V·ε·(1 − θ)·(θ + ω(1 − θ) + ½(1 − θ)). At ω = 0 this is
        V·[θ·τ − ½·ε·(1 − θ)(1 + θ)·τ²], whose best rate is θ/(ε(1 − θ)(1 + θ)) (the optimal tariff).
        """
        theta, v = g.exporters_share_of_duty, g.exports_usd_bn_per_year
        weight = theta + buyers_duty_weight * (1.0 - theta)
        return v * weight, -v * self.trade_elasticity * (1.0 - theta) * (weight + 0.5 * (1.0 - theta))

    def deadweight_loss_usd_bn_per_year(self, g: Goods, rate: float) -> float:
        """The Harberger triangle of the rate on ``g``: ½·ε·(1 − θ)²·τ²·V."""
        return 0.5 * self.trade_elasticity * (1.0 - g.exporters_share_of_duty) ** 2 * rate**2 \
            * g.exports_usd_bn_per_year

    def relief_window(self, clock: Clock, signed_years: Any) -> Any:
        """PV on ``clock`` of 1 a year while a deal's rates replace the no-deal rates: max(t, t_threat) to the end."""
        t = np.asarray(signed_years, dtype=float)
        start = np.minimum(np.maximum(t, self.threat_effective_years), self.regime_end_years)
        return clock.flow(start, self.regime_end_years)

    def rates(self, bargained_rates: tuple[float, ...] | None) -> list[float]:
        """Every group's rate under a deal that sets ``bargained_rates`` (no deal: ``None``, the no-deal rates)."""
        out, it = [], iter(bargained_rates or ())
        for g in self.goods:
            if bargained_rates is not None and g.bargained(self.floor_rate):
                out.append(next(it))
            else:
                out.append(g.rate_without_deal)
        return out

    def all_in_rate(self, bargained_rates: tuple[float, ...] | None) -> float:
        """The export-weighted average rate (2024 volumes) under the deal (or without one, after the threat)."""
        rates = self.rates(bargained_rates)
        total = sum(g.exports_usd_bn_per_year for g in self.goods)
        return float(sum(g.exports_usd_bn_per_year * r for g, r in zip(self.goods, rates, strict=True)) / total)

    def duty_relief_usd_bn_per_year(self, bargained_rates: tuple[float, ...]) -> float:
        """Duty the deal's rates save the principal's exporters a year against the no-deal rates (2024 volumes)."""
        rates = self.rates(bargained_rates)
        return float(sum(g.exports_usd_bn_per_year * (g.rate_without_deal - r)
                         for g, r in zip(self.goods, rates, strict=True)))
