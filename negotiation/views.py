"""What the page shows, as plain data and matplotlib figures: no Solara here, so every view is testable alone.

Each function takes a running or finished :class:`~negotiation.model.NegotiationModel`. Actors keep one
colour in every view (:data:`ACTOR_COLOURS`); money is in $bn, shares are fractions shown as percentages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from negotiation.issues import Package

ACTOR_COLOURS = {"us": "#1f5fa8", "japan": "#c62f2f", "jbic": "#7b4ea3", "nexi": "#168a72", "tsmc": "#d9822b"}
ACTOR_NAMES = {"us": "US", "japan": "Japan", "jbic": "JBIC", "nexi": "NEXI", "tsmc": "TSMC"}
REFERENCE_COLOUR = "#555555"


@dataclass(frozen=True)
class OfferPoint:
    """One offer as the plots show it."""

    round: int
    proposer: str
    us_profit_share: float
    tariff_relief_usd_bn_per_year: float
    us_utility: float
    japan_utility: float
    accepted: bool


def offers(model: Any) -> list[OfferPoint]:
    """Every offer so far, in order, with its value to each government and whether it was accepted."""
    out = []
    for offer, responses in zip(model.offers, model.responses, strict=False):
        p = offer.package
        out.append(OfferPoint(offer.round, offer.proposer, p.us_profit_share, model.relief_usd_bn_per_year(p),
                              model.us.utility_of(p), model.japan.utility_of(p), responses[-1].accepted))
    return out


def current_package(model: Any) -> Package | None:
    """The agreement if there is one, else the latest offer, else ``None`` (before the first round)."""
    if model.agreement is not None:
        return model.agreement
    return model.offers[-1].package if model.offers else None


def outcome_text(model: Any) -> str:
    """One sentence on where the negotiation stands, in the words an analyst would use."""
    sol = model.solve()
    if model.outcome == "agreement":
        pkg = model.agreement
        text = (f"Agreement in round {model.steps}: US {pkg.us_profit_share:.0%} of equity profits, "
                f"${model.relief_usd_bn_per_year(pkg):.1f}bn/yr tariff relief")
        if sol.spe is not None:
            text += f"; {abs(pkg.us_profit_share - sol.spe.us_profit_share):.2f} from the equilibrium"
        return text + "."
    if model.outcome == "breakdown":
        return f"No agreement: talks broke down after {model.steps} rounds (the tariff stays)."
    if not model.offers:
        who = ACTOR_NAMES[model.proposer_in(1)]
        return f"Round 0 of {model.max_rounds}: {who} will open. Press Step or Play."
    last = model.offers[-1]
    answer = model.responses[-1][-1]
    why = f" ({answer.reason})" if answer.reason else ""
    return (f"Round {model.steps} of {model.max_rounds}: {ACTOR_NAMES[last.proposer]} offered US "
            f"{last.package.us_profit_share:.0%}, ${model.relief_usd_bn_per_year(last.package):.1f}bn/yr relief; "
            f"{ACTOR_NAMES[last.responder]} said no{why}.")


def actor_rows(model: Any) -> list[dict[str, Any]]:
    """Each actor's standing at the current package: utility, reservation value, and what it does.

    Utilities are PV $bn gains over no deal for the lenders and TSMC; for the governments the PV $bn value of
    the package and of no deal (the reservation value).
    """
    pkg = current_package(model)
    rows = []
    for actor in model.actors():
        key = actor.key
        row: dict[str, Any] = {"key": key, "actor": ACTOR_NAMES[key], "colour": ACTOR_COLOURS[key]}
        if key in ("us", "japan"):
            gov = model.governments[key]
            row["utility_usd_bn"] = gov.utility_of(pkg) if pkg is not None else None
            row["reservation_usd_bn"] = gov.preferences.disagreement
            row["status"] = "proposes" if model.offers and model.offers[-1].proposer == key else "responds"
        elif key in ("jbic", "nexi"):
            row["utility_usd_bn"] = actor.outcome_utility(pkg) if pkg is not None else None
            row["reservation_usd_bn"] = 0.0
            if pkg is None:
                row["status"] = "—"
            else:
                row["status"] = "would fund" if actor.respond(pkg).accepted else "would NOT fund"
        else:  # tsmc
            relief = pkg.relief_fraction if pkg is not None else 0.0
            row["utility_usd_bn"] = actor.outcome_utility(pkg) if pkg is not None else None
            row["reservation_usd_bn"] = 0.0
            row["status"] = f"builds ${float(actor.build_usd_bn(relief)):.0f}bn in the US"
        rows.append(row)
    return rows


def _money(v: float | None) -> str:
    return "—" if v is None else f"{v:,.1f}"


def actor_table_html(model: Any) -> str:
    """:func:`actor_rows` as an HTML table, each actor's name in its colour."""
    head = ("<tr><th style='text-align:left'>actor</th><th>value now<br>($bn PV)</th><th>no deal<br>($bn PV)</th>"
            "<th style='text-align:left'>stance</th></tr>")
    body = "".join(
        f"<tr class='actor-{r['key']}'><td style='color:{r['colour']};font-weight:bold'>{html.escape(r['actor'])}</td>"
        f"<td style='text-align:right'>{_money(r['utility_usd_bn'])}</td>"
        f"<td style='text-align:right'>{_money(r['reservation_usd_bn'])}</td>"
        f"<td>{html.escape(r['status'])}</td></tr>"
        for r in actor_rows(model))
    return f"<table class='chipdeal-actor-table' style='border-spacing:12px 4px'>{head}{body}</table>"


def offers_figure(model: Any) -> Figure:
    """US share and tariff relief offered by each side, round by round, with the equilibrium as a reference."""
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax_share, ax_relief = fig.subplots(2, 1, sharex=True)
    pts = offers(model)
    sol = model.solve()
    for key in ("japan", "us"):
        mine = [p for p in pts if p.proposer == key]
        if mine:
            rounds = [p.round for p in mine]
            ax_share.plot(rounds, [100 * p.us_profit_share for p in mine], "o-", color=ACTOR_COLOURS[key],
                          label=f"{ACTOR_NAMES[key]}'s offers")
            ax_relief.plot(rounds, [p.tariff_relief_usd_bn_per_year for p in mine], "o-",
                           color=ACTOR_COLOURS[key], label=f"{ACTOR_NAMES[key]}'s offers")
    if sol.spe is not None:
        relief = model.relief_usd_bn_per_year(Package(sol.spe.us_profit_share, sol.spe.relief_fraction))
        ax_share.axhline(100 * sol.spe.us_profit_share, ls="--", color=REFERENCE_COLOUR, label="equilibrium (SPE)")
        ax_relief.axhline(relief, ls="--", color=REFERENCE_COLOUR, label="equilibrium (SPE)")
    if model.agreement is not None:
        ax_share.plot([model.steps], [100 * model.agreement.us_profit_share], "*", ms=16, color="black",
                      label="agreement")
        ax_relief.plot([model.steps], [model.relief_usd_bn_per_year(model.agreement)], "*", ms=16, color="black",
                       label="agreement")
    ax_share.set_ylabel("US share of profits (%)")
    ax_share.set_ylim(-2, 102)
    ax_relief.set_ylabel("tariff relief ($bn/yr)")
    top = model.spec.deal.tariff_relief_max_usd_bn_per_year if model.relief_at_stake else 1.0
    ax_relief.set_ylim(-0.03 * top, 1.05 * top)
    ax_relief.set_xlabel("round (month)")
    ax_relief.set_xlim(0.5, max(model.steps, 1) + 0.5)
    ax_share.set_title("Offers over time")
    ax_share.legend(loc="lower right", fontsize="small")
    ax_share.grid(alpha=0.3)
    ax_relief.grid(alpha=0.3)
    return fig


def utility_space(model: Any) -> dict[str, Any]:
    """The data of the utility-space view: frontier, disagreement, Nash and SPE points, offers, agreement."""
    sol = model.solve()
    pts = offers(model)
    d = (model.us.preferences.disagreement, model.japan.preferences.disagreement)
    agreement = None
    if model.agreement is not None:
        agreement = (model.us.utility_of(model.agreement), model.japan.utility_of(model.agreement))
    return {
        "frontier": (np.asarray(sol.frontier_us), np.asarray(sol.frontier_japan)),
        "disagreement": d,
        "nash": (sol.nash.us_utility, sol.nash.japan_utility) if sol.nash is not None else None,
        "spe": (sol.spe.us_utility, sol.spe.japan_utility) if sol.spe is not None else None,
        "offers": [(p.proposer, p.us_utility, p.japan_utility) for p in pts],
        "agreement": agreement,
    }


def utility_figure(model: Any) -> Figure:
    """The two governments' utility space: what could be agreed, and where the offers went."""
    data = utility_space(model)
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    fu, fj = data["frontier"]
    if fu.size:
        order = np.argsort(fu)
        ax.plot(fu[order], fj[order], "-", color=REFERENCE_COLOUR, lw=2, label="Pareto frontier (fundable)")
    ax.plot(*data["disagreement"], "s", color="black", ms=8, label="no deal")
    if data["nash"] is not None:
        ax.plot(*data["nash"], "D", color="#2a9d8f", ms=9, label="Nash bargaining point")
    if data["spe"] is not None:
        ax.plot(*data["spe"], "P", color=REFERENCE_COLOUR, ms=11, label="equilibrium (SPE)")
    path = data["offers"]
    if path:
        ax.plot([u for _, u, _ in path], [j for _, _, j in path], ":", color="#999999", lw=1)
        for key in ("japan", "us"):
            mine = [(u, j) for k, u, j in path if k == key]
            if mine:
                ax.plot(*zip(*mine, strict=True), "o", color=ACTOR_COLOURS[key], label=f"{ACTOR_NAMES[key]}'s offers")
    if data["agreement"] is not None:
        ax.plot(*data["agreement"], "*", color="black", ms=18, label="agreement")
    ax.set_xlabel("US utility (PV $bn)")
    ax.set_ylabel("Japan utility (PV $bn)")
    ax.set_title("Utility space")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return fig
