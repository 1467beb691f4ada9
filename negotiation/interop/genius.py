"""The two governments' issue space and preferences in GENIUS XML, the format NegMAS and the ANAC tools read.

The domain has one discrete issue for the shares and one per bargained group of goods' rate
(``tariff_rate_<group>``, in the order of ``model.terms``), each on an even grid: shares on [0, 1] with the
governments' public claims added, rates from the floor to the group's rate without a deal. Values are
written with six decimals, and the grid's values are those decimals, so what NegMAS reads back is the
package we valued.

GENIUS profiles are additive per issue: u = Σ wᵢ·eᵢ(vᵢ), eᵢ in [0, 1], Σ wᵢ = 1. A government's utility at
round 1 (``utility_of(package, 1)``: the package agreed at the talks' start) is u = F(q, s) + Σ_c g_c(x_c)
(its preferences' ``fixed_part`` and continuous terms): additive in the rates, but not in the two shares
(the recoup date moves with q, and each public claim is read across both phases: at the baseline the US's
F departs from the best additive fit in q and s by $1.6bn of a $7.7bn range). So in a two-phase deal the
US share before recoup (q) and after (s) are *one* issue, ``us_shares_before_after_recoup``, whose values
are the (q, s) pairs written ``"q/s"``; a one-phase deal's one share is the issue ``us_profit_share``. The
export is then exact up to GENIUS's normalisation: each issue's eᵢ is its own value table (F on the share
values, g_c on the rate's) rescaled to [0, 1] and wᵢ its share of the total range, so that
Σ wᵢ·eᵢ = (u − u_min)/(u_max − u_min) over the exported grid. The tables' sum is checked against
``utility_of`` on outcomes across the grid before anything is written.

Folded in faithfully: the lenders' verdict (the share issue holds only the share values they fund), TSMC's
response to the rates and the recoup rule (inside each government's utility), and the outside option (the
reservation value, normalised the same way). Not exported: each side's patience (GENIUS's discount is per
unit of normalised time, not per round; NegMAS runs the export undiscounted), beliefs and learning, the
deadline (set it on the mechanism), and anything between grid points. Written with the standard library
only (NegMAS is AGPL and stays out of the runtime dependencies).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from negotiation.issues import Package
from negotiation.result import TARIFF_PREFIX

DOMAIN_FILE = "chipdeal-domain.xml"
SHARE_POINTS = 11  # default values of each share (steps of 10 points, the claims added)
RATE_POINTS = 6  # default values of each rate (five equal steps from the floor to the no-deal rate)
DECIMALS = 6  # the values' decimals in the XML
MAX_VALUES = 10**DECIMALS + 1  # values per issue beyond which the written values would repeat
PAIRED_SHARES = "us_shares_before_after_recoup"  # the share issue of a two-phase deal: values "q/s"
ONE_SHARE = "us_profit_share"  # the share issue of a one-phase deal
CHECKS = 32  # random outcomes on which the decomposition is checked against utility_of (and the corners)
TOLERANCE = 1e-9  # relative to the largest |u| checked: the decomposition must reproduce utility_of so closely


def files(model: Any) -> dict[str, str]:
    """The files an export writes: the domain, then one profile per government (counterpart first)."""
    return {"domain": DOMAIN_FILE, model.counterpart.key: f"chipdeal-1-{model.counterpart.key}.xml",
            model.principal.key: f"chipdeal-2-{model.principal.key}.xml"}


class NotExportable(ValueError):
    """A scenario with no issue space to export (the lenders fund nothing, or the utilities do not decompose)."""


def label(value: float) -> str:
    """How a number is written in the XML (NegMAS reads it back as this string).

    >>> label(0.893313977463), label(1.0)
    ('0.893314', '1.000000')
    """
    return f"{value:.{DECIMALS}f}"


def rounded(values: Any) -> np.ndarray:
    """Values at the XML's decimals, sorted and without repeats (so what is written is what was valued)."""
    return np.unique(np.round(np.asarray(values, dtype=float), DECIMALS))


@dataclass(frozen=True)
class Grid:
    """The exported issues, in order: the shares, then one rate issue per bargained group of goods.

    ``shares`` holds the share issue's values as (q, s) rows (q = s in a one-phase deal), only those the
    lenders fund; ``rates`` each rate issue's values.
    """

    names: tuple[str, ...]
    shares: np.ndarray
    rates: tuple[np.ndarray, ...]
    two_phase: bool

    @property
    def sizes(self) -> tuple[int, ...]:
        """Each issue's number of values."""
        return (len(self.shares), *(r.size for r in self.rates))

    @property
    def points(self) -> int:
        """How many outcomes the domain has: the product of its issues' values."""
        return int(np.prod(self.sizes))

    def labels(self, issue: int) -> list[str]:
        """Issue ``issue``'s values as written: ``"q/s"`` pairs (one share in a one-phase deal), or rates."""
        if issue == 0:
            if self.two_phase:
                return [f"{label(q)}/{label(s)}" for q, s in self.shares]
            return [label(s) for _, s in self.shares]
        return [label(v) for v in self.rates[issue - 1]]

    def package(self, index: tuple[int, ...]) -> Package:
        """The package of the outcome with these value indices (one per issue)."""
        q, s = (float(v) for v in self.shares[index[0]])
        return Package(q, s, tuple(float(r[i]) for r, i in zip(self.rates, index[1:], strict=True)))

    def package_of(self, outcome: tuple[Any, ...]) -> Package:
        """The package of an outcome as NegMAS hands it back (the values' labels, one per issue)."""
        shares = [float(v) for v in str(outcome[0]).split("/")]
        q, s = (shares[0], shares[-1])
        return Package(q, s, tuple(float(v) for v in outcome[1:]))


def claims(model: Any) -> list[float]:
    """The governments' public claims on the US share (they belong on the share grid, as on the model's)."""
    found = (getattr(gov.preferences, "claim", None) for gov in (model.counterpart, model.principal))
    return [float(c.us_share) for c in found if c is not None]


def share_values(model: Any, share_points: int = SHARE_POINTS) -> np.ndarray:
    """The values each share takes: an even grid on [0, 1] with the claims added."""
    return rounded(np.concatenate([np.linspace(0.0, 1.0, share_points), claims(model)]))


def rate_values(model: Any, rate_points: int = RATE_POINTS) -> tuple[np.ndarray, ...]:
    """Each bargained group's rates: an even grid from the floor to its rate without a deal."""
    return tuple(rounded(np.linspace(t.low, t.high, rate_points)) for t in model.terms.continuous)


def issue_sizes(model: Any, share_points: int = SHARE_POINTS, rate_points: int = RATE_POINTS) -> tuple[int, ...]:
    """Each issue's number of values before the lenders are asked (share pairs in a two-phase deal, then rates)."""
    shares = share_values(model, share_points).size
    return (shares * shares if model.spec.deal.two_phase else shares,
            *(r.size for r in rate_values(model, rate_points)))


def grid_points(model: Any, share_points: int = SHARE_POINTS, rate_points: int = RATE_POINTS) -> int:
    """How many outcomes the domain has at most: the product of :func:`issue_sizes` (before the lenders are asked)."""
    return int(np.prod(issue_sizes(model, share_points, rate_points)))


def funded(model: Any, q: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Whether the principal's lenders and insurers fund each (q, s) (``fundable`` of each package, at once)."""
    ok = np.ones(q.shape, dtype=bool)
    for ratifier in model.principal.ratifiers:
        ok &= np.asarray(ratifier.funds(q, s), dtype=bool)
    return ok


def grid(model: Any, share_points: int = SHARE_POINTS, rate_points: int = RATE_POINTS) -> Grid:
    """The exported issues: the funded shares (pairs in a two-phase deal), then each bargained group's rates.

    Raises:
        NotExportable: the lenders fund no share at all.

    """
    two_phase = bool(model.spec.deal.two_phase)
    shares = share_values(model, share_points)
    if two_phase:
        q, s = (m.ravel() for m in np.meshgrid(shares, shares, indexing="ij"))
    else:
        q = s = shares
    ok = funded(model, q, s)
    if not ok.any():
        raise NotExportable("the lenders fund no share at all: there is no issue space to export")
    rates = rate_values(model, rate_points)
    names = (PAIRED_SHARES if two_phase else ONE_SHARE, *(f"{TARIFF_PREFIX}{t.name}" for t in model.terms.continuous))
    return Grid(names, np.column_stack([q[ok], s[ok]]), rates, two_phase)


@dataclass(frozen=True)
class Profile:
    """One government's normalised additive profile on the exported grid (one weight and table per issue)."""

    weights: tuple[float, ...]
    evaluations: tuple[np.ndarray, ...]
    reservation: float
    u_min: float
    u_range: float

    def utility(self, index: tuple[int, ...]) -> float:
        """GENIUS's utility of a grid outcome (value indices, one per issue)."""
        return sum(w * float(e[i]) for w, e, i in zip(self.weights, self.evaluations, index, strict=True))


def profile(gov: Any, g: Grid, when: float = 0.0) -> Profile:
    """One table per issue of a government's utility of a package agreed at ``when``, normalised the GENIUS way.

    ``when`` is in years (round 1's date, the talks' start, by default). The tables are its preferences' own
    parts (``fixed_part`` of the shares; a·x + b·x² of each rate), checked against ``utility_of`` first.

    Raises:
        NotExportable: the tables do not reproduce ``utility_of`` (it is not additive in the issues), or the
            utility is the same on every exported outcome.

    """
    prefs, t = gov.preferences, np.array([float(when)])
    c0, a, b = (np.asarray(v, dtype=float) for v in prefs.continuous_coefficients(t))
    a, b = a.reshape(1, -1), b.reshape(1, -1)
    shares = np.asarray(prefs.fixed_part(g.shares[:, 0], g.shares[:, 1], t), dtype=float).reshape(-1)
    parts = [shares + float(np.ravel(c0)[0])]
    parts += [a[0, c] * r + b[0, c] * r * r for c, r in enumerate(g.rates)]
    _check(gov, g, parts)
    spans = [float(np.ptp(p)) for p in parts]
    total = float(sum(spans))
    if total <= 0:
        raise NotExportable("utility is constant over the exported grid: nothing to negotiate")
    u_min = sum(float(p.min()) for p in parts)
    evaluations = tuple((p - p.min()) / s if s > 0 else np.ones_like(p) for p, s in zip(parts, spans, strict=True))
    reservation = min(max((float(prefs.disagreement) - u_min) / total, 0.0), 1.0)
    return Profile(tuple(s / total for s in spans), evaluations, reservation, u_min, total)


def _check(gov: Any, g: Grid, parts: list[np.ndarray]) -> None:
    """The tables add up to ``utility_of`` at round 1 on the grid's corners and on outcomes across it."""
    corners = list(itertools.product(*[(0, k - 1) for k in g.sizes]))
    rng = np.random.default_rng(0)
    picks = [tuple(int(rng.integers(k)) for k in g.sizes) for _ in range(CHECKS)]
    worst, scale = 0.0, 1.0
    for index in corners + picks:
        exact = float(gov.utility_of(g.package(index), 1))
        mine = sum(float(p[i]) for p, i in zip(parts, index, strict=True))
        worst, scale = max(worst, abs(mine - exact)), max(scale, abs(exact))
    if worst > TOLERANCE * scale:
        raise NotExportable(f"utility is not additive in the issues (residual {worst:.3g}); GENIUS cannot hold it")


def domain_xml(g: Grid) -> str:
    """The GENIUS domain file: one discrete issue per term, with explicit values."""
    lines = ["<negotiation_template>", f'<utility_space number_of_issues="{len(g.names)}">',
             '<objective description="" etype="objective" index="0" name="chipdeal" type="objective">']
    for i, name in enumerate(g.names, start=1):
        lines.append(f'    <issue etype="discrete" index="{i}" name="{name}" type="discrete" vtype="discrete">')
        for k, text in enumerate(g.labels(i - 1), start=1):
            lines.append(f'        <item index="{k}" value={quoteattr(text)} cost="0" '
                         f"description={quoteattr(text)}>\n        </item>")
        lines.append("    </issue>")
    lines += ["</objective>", "</utility_space>", "</negotiation_template>", ""]
    return "\n".join(lines)


def profile_xml(p: Profile, g: Grid, name: str) -> str:
    """A GENIUS utility-profile file (additive, discrete tables, reservation value, no discount)."""
    lines = [f'<utility_space number_of_issues="{len(g.names)}">',
             f'<objective index="0" etype="objective" type="objective" description="" name={quoteattr(name)}>']
    for i, (issue, ev) in enumerate(zip(g.names, p.evaluations, strict=True), start=1):
        lines.append(f'<issue index="{i}" etype="discrete" type="discrete" vtype="discrete" name="{issue}">')
        for k, (text, e) in enumerate(zip(g.labels(i - 1), ev, strict=True), start=1):
            lines.append(f'    <item index="{k}" value={quoteattr(text)} evaluation="{float(e)!r}" />')
        lines.append("</issue>")
    for i, w in enumerate(p.weights, start=1):
        lines.append(f'<weight index="{i}" value="{w!r}">\n</weight>')
    lines += ["</objective>", '<discount_factor value="1.0" />', f'<reservation value="{p.reservation!r}" />',
              "</utility_space>", ""]
    return "\n".join(lines)


def export(model: Any, folder: str | Path, share_points: int = SHARE_POINTS,
           rate_points: int = RATE_POINTS) -> dict[str, Any]:
    """Write the domain and the two profiles into ``folder``; returns the grid and the profiles.

    Raises:
        NotExportable: nothing to export (see :func:`grid` and :func:`profile`).

    """
    g = grid(model, share_points, rate_points)
    when = float(model.round_dates[0])
    profiles = {gov.key: profile(gov, g, when) for gov in (model.counterpart, model.principal)}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = files(model)
    (folder / names["domain"]).write_text(domain_xml(g))
    for key, p in profiles.items():
        (folder / names[key]).write_text(profile_xml(p, g, f"chipdeal {key}"))
    return {"grid": g, "profiles": profiles, "folder": folder}
