"""The two governments' issue space and preferences in GENIUS XML, the format NegMAS and the ANAC tools read.

GENIUS profiles are additive per issue: u = Σ wᵢ·eᵢ(vᵢ), eᵢ in [0, 1], Σ wᵢ = 1. Both governments'
utilities are additive in the US share and the relief (checked on the grid before writing), so the export
is exact up to GENIUS's normalisation: for each issue eᵢ is the issue's own value table rescaled to [0, 1]
and wᵢ its share of the total range, so that Σ wᵢ·eᵢ = (u − u_min)/(u_max − u_min) over the exported grid.

Folded in faithfully: the lenders' feasibility (the share issue stops at the highest share JBIC and NEXI
fund), TSMC's response to relief and the two-phase recoup rule (both are inside each government's value
tables), and the outside option (the reservation value, normalised the same way). Not exported: each
side's patience (GENIUS's discount is per unit of normalised time, not per round; NegMAS runs the export
undiscounted), beliefs and learning, the deadline (set it on the mechanism), and anything between grid
points. Written with the standard library only (NegMAS is AGPL and stays out of the runtime dependencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

ISSUES = ("us_profit_share", "relief_fraction")
DOMAIN_FILE = "chipdeal-domain.xml"


def files(model: Any) -> dict[str, str]:
    """The files an export writes: the domain, then one profile per government (counterpart first)."""
    return {"domain": DOMAIN_FILE, model.counterpart.key: f"chipdeal-1-{model.counterpart.key}.xml",
            model.principal.key: f"chipdeal-2-{model.principal.key}.xml"}


@dataclass(frozen=True)
class Profile:
    """One government's normalised additive profile on the exported grid."""

    weights: tuple[float, float]
    evaluations: tuple[np.ndarray, np.ndarray]
    reservation: float
    u_min: float
    u_range: float

    def utility(self, share_index: int, relief_index: int) -> float:
        """GENIUS's utility of a grid outcome."""
        return (self.weights[0] * float(self.evaluations[0][share_index])
                + self.weights[1] * float(self.evaluations[1][relief_index]))


class NotExportable(ValueError):
    """A scenario with no issue space to export (the lenders fund no share, or the utilities are not additive)."""


def grid(model: Any, share_points: int = 101, relief_points: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """The exported values: the shares the protocol allows, up to the fundable limit; relief in [0, 1].

    Shares run between the openings under no-retraction (both ends included), and stop at the limit.
    """
    low, high = model.share_range()
    cap = min(max(model.fundable_share, 0.0), high)
    shares = np.linspace(low, high, share_points)
    shares = np.union1d(shares[shares <= cap + 1e-12], [cap]) if cap >= low else np.array([])
    reliefs = np.linspace(0.0, 1.0, relief_points) if model.relief_at_stake else np.array([0.0])
    return shares, reliefs


def label(value: float) -> str:
    """How a value is written in the XML (NegMAS reads it back as this string).

    >>> label(0.893313977463), label(1.0)
    ('0.893314', '1.000000')
    """
    return f"{value:.6f}"


def profile(preferences: Any, shares: np.ndarray, reliefs: np.ndarray) -> Profile:
    """Decompose a government's utility into per-issue tables and normalise them the GENIUS way."""
    s, x = np.meshgrid(shares, reliefs, indexing="ij")
    u = np.asarray(preferences.utility(s.ravel(), x.ravel())).reshape(s.shape)
    f_share = u[:, 0]
    f_relief = u[0, :] - u[0, 0]
    residual = np.abs(u - f_share[:, None] - f_relief[None, :]).max()
    scale = max(np.abs(u).max(), 1.0)
    if residual > 1e-9 * scale:
        raise NotExportable(f"utility is not additive in the two issues (residual {residual:.3g}); GENIUS cannot "
                            "hold it")
    ranges = np.array([np.ptp(f_share), np.ptp(f_relief)])
    total = float(ranges.sum())
    if total <= 0:
        raise NotExportable("utility is constant over the exported grid: nothing to negotiate")
    evaluations = []
    for f, r in ((f_share, ranges[0]), (f_relief, ranges[1])):
        evaluations.append((f - f.min()) / r if r > 0 else np.ones_like(f))
    u_min = float(f_share.min() + f_relief.min())
    reservation = min(max((preferences.disagreement - u_min) / total, 0.0), 1.0)
    return Profile((float(ranges[0] / total), float(ranges[1] / total)), (evaluations[0], evaluations[1]),
                   reservation, u_min, total)


def domain_xml(shares: np.ndarray, reliefs: np.ndarray) -> str:
    """The GENIUS domain file: two discrete issues with explicit values."""
    lines = ["<negotiation_template>", '<utility_space number_of_issues="2">',
             '<objective description="" etype="objective" index="0" name="chipdeal" type="objective">']
    for i, (name, values) in enumerate(zip(ISSUES, (shares, reliefs), strict=True), start=1):
        lines.append(f'    <issue etype="discrete" index="{i}" name="{name}" type="discrete" vtype="discrete">')
        for k, v in enumerate(values, start=1):
            lines.append(f'        <item index="{k}" value={quoteattr(label(v))} cost="0" '
                         f"description={quoteattr(label(v))}>\n        </item>")
        lines.append("    </issue>")
    lines += ["</objective>", "</utility_space>", "</negotiation_template>", ""]
    return "\n".join(lines)


def profile_xml(p: Profile, shares: np.ndarray, reliefs: np.ndarray, name: str) -> str:
    """A GENIUS utility-profile file (additive, discrete tables, reservation value, no discount)."""
    lines = ['<utility_space number_of_issues="2">',
             f'<objective index="0" etype="objective" type="objective" description="" name={quoteattr(name)}>']
    for i, (issue, values, ev) in enumerate(zip(ISSUES, (shares, reliefs), p.evaluations, strict=True), start=1):
        lines.append(f'<issue index="{i}" etype="discrete" type="discrete" vtype="discrete" name="{issue}">')
        for k, (v, e) in enumerate(zip(values, ev, strict=True), start=1):
            lines.append(f'    <item index="{k}" value={quoteattr(label(v))} evaluation="{float(e)!r}" />')
        lines.append("</issue>")
    for i, w in enumerate(p.weights, start=1):
        lines.append(f'<weight index="{i}" value="{w!r}">\n</weight>')
    lines += ["</objective>", '<discount_factor value="1.0" />', f'<reservation value="{p.reservation!r}" />',
              "</utility_space>", ""]
    return "\n".join(lines)


def export(model: Any, folder: str | Path, share_points: int = 101, relief_points: int = 11) -> dict[str, Any]:
    """Write the domain and the two profiles into ``folder``; returns the grid and the profiles."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shares, reliefs = grid(model, share_points, relief_points)
    if shares.size < 2:
        raise NotExportable("the lenders fund no share at all: there is no issue space to export")
    profiles = {gov.key: profile(gov.preferences, shares, reliefs) for gov in (model.counterpart, model.principal)}
    names = files(model)
    (folder / names["domain"]).write_text(domain_xml(shares, reliefs))
    for key, p in profiles.items():
        (folder / names[key]).write_text(profile_xml(p, shares, reliefs, f"chipdeal {key}"))
    return {"shares": shares, "reliefs": reliefs, "profiles": profiles, "folder": folder}
