"""What the page shows, as plain data and matplotlib figures: no Solara here, so every view is testable alone.

Each function takes a running or finished :class:`~negotiation.model.NegotiationModel`. Actors keep one
colour in every view (:func:`colours`, by role); money is in $bn, shares are fractions shown as percentages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from negotiation.issues import Package

ROLE_COLOURS = {"counterpart": "#1f5fa8", "principal": "#c62f2f", "lender": "#7b4ea3", "insurer": "#168a72",
                "investor": "#d9822b"}
SPARE_COLOURS = ("#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # second lenders, investors, …
REFERENCE_COLOUR = "#555555"


def colours(model: Any) -> dict[str, str]:
    """One colour per actor key, by role (the first actor of a role gets the role's colour)."""
    out: dict[str, str] = {}
    spare = iter(SPARE_COLOURS * 4)
    for actor in model.actors():
        taken = ROLE_COLOURS[actor.role] in out.values()
        out[actor.key] = next(spare) if taken else ROLE_COLOURS[actor.role]
    return out


def name_of(model: Any, key: str) -> str:
    """An actor's display name."""
    return model.actor(key).name


@dataclass(frozen=True)
class OfferPoint:
    """One offer as the plots show it."""

    round: int
    proposer: str
    us_profit_share: float
    tariff_relief_usd_bn_per_year: float
    tariff_rate: float | None
    us_utility: float
    japan_utility: float
    accepted: bool


def offers(model: Any) -> list[OfferPoint]:
    """Every offer so far, in order, with its value to each government and whether it was accepted."""
    out = []
    for offer, responses in zip(model.offers, model.responses, strict=False):
        p = offer.package
        out.append(OfferPoint(offer.round, offer.proposer, p.us_profit_share, model.relief_usd_bn_per_year(p),
                              model.tariff_rate(p),
                              model.counterpart.utility_of(p), model.principal.utility_of(p),
                              responses[-1].accepted))
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
                + (f"a {model.tariff_rate(pkg):.1%} tariff (${model.relief_usd_bn_per_year(pkg):.1f}bn/yr of duty "
                   "relief)" if model.trade is not None else "no tariff at stake"))
        if sol.spe is not None:
            text += f"; {abs(pkg.us_profit_share - sol.spe.us_profit_share):.2f} from the equilibrium"
        return text + "."
    if model.outcome == "breakdown":
        return f"No agreement: talks broke down after {model.steps} rounds (the tariff stays)."
    if not model.offers:
        who = name_of(model, model.proposer_in(1))
        return f"Round 0 of {model.max_rounds}: {who} will open. Press Step or Play."
    last = model.offers[-1]
    answer = model.responses[-1][-1]
    why = f" ({answer.reason})" if answer.reason else ""
    rate = model.tariff_rate(last.package)
    terms = f", a {rate:.1%} tariff" if rate is not None else ""
    return (f"Round {model.steps} of {model.max_rounds}: {name_of(model, last.proposer)} offered US "
            f"{last.package.us_profit_share:.0%}{terms}; {name_of(model, last.responder)} said no{why}.")


def actor_rows(model: Any) -> list[dict[str, Any]]:
    """Each actor's standing at the current package: utility, reservation value, and where it stands.

    Utilities are PV $bn gains over no deal for the lenders and investors; for the governments the PV $bn
    value of the package and of no deal (the reservation value).
    """
    pkg = current_package(model)
    palette = colours(model)
    return [{"key": actor.key, "actor": actor.name, "role": actor.role, "colour": palette[actor.key],
             "utility_usd_bn": actor.outcome_utility(pkg) if pkg is not None else None,
             "reservation_usd_bn": actor.reservation_utility(), "status": actor.stance(pkg)}
            for actor in model.actors()]


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
    """US share and the tariff rate offered by each side, round by round, with the equilibrium as a reference."""
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax_share, ax_rate = fig.subplots(2, 1, sharex=True)
    pts = offers(model)
    sol = model.solve()
    palette = colours(model)
    tariff = model.trade is not None
    for key in (model.principal.key, model.counterpart.key):
        mine = [p for p in pts if p.proposer == key]
        if mine:
            rounds = [p.round for p in mine]
            ax_share.plot(rounds, [100 * p.us_profit_share for p in mine], "o-", color=palette[key],
                          label=f"{name_of(model, key)}'s offers")
            if tariff:
                ax_rate.plot(rounds, [100 * p.tariff_rate for p in mine], "o-", color=palette[key],  # type: ignore[operator]
                             label=f"{name_of(model, key)}'s offers")
    if sol.spe is not None:
        ax_share.axhline(100 * sol.spe.us_profit_share, ls="--", color=REFERENCE_COLOUR, label="equilibrium (SPE)")
        if tariff:
            rate = model.tariff_rate(Package(sol.spe.us_profit_share, sol.spe.relief_fraction))
            ax_rate.axhline(100 * rate, ls="--", color=REFERENCE_COLOUR, label="equilibrium (SPE)")
    if model.agreement is not None:
        ax_share.plot([model.steps], [100 * model.agreement.us_profit_share], "*", ms=16, color="black",
                      label="agreement")
        if tariff:
            ax_rate.plot([model.steps], [100 * model.tariff_rate(model.agreement)], "*", ms=16, color="black",
                         label="agreement")
    ax_share.set_ylabel("US share of profits\nafter recoup (%)")
    ax_share.set_ylim(-2, 102)
    if tariff:
        low, high = 100 * model.trade.floor_rate, 100 * model.trade.threat_rate
        ax_rate.set_ylabel("tariff rate (%)")
        ax_rate.set_ylim(low - 0.05 * (high - low + 1), high + 0.05 * (high - low + 1))
        ax_rate.axhline(high, color="#bbbbbb", lw=1)
        ax_rate.axhline(low, color="#bbbbbb", lw=1)
    else:
        ax_rate.text(0.5, 0.5, "no tariff at stake", transform=ax_rate.transAxes, ha="center", color="#777777")
        ax_rate.set_yticks([])
    ax_rate.set_xlabel(f"round ({model.spec.protocol.round_months:g} months each)")
    ax_rate.set_xlim(0.5, max(model.steps, 1) + 0.5)
    ax_share.set_title("Offers over time")
    ax_share.legend(loc="lower right", fontsize="small")
    ax_share.grid(alpha=0.3)
    ax_rate.grid(alpha=0.3)
    return fig


def utility_space(model: Any) -> dict[str, Any]:
    """The data of the utility-space view: frontier, disagreement, Nash and SPE points, offers, agreement."""
    sol = model.solve()
    pts = offers(model)
    d = (model.counterpart.preferences.disagreement, model.principal.preferences.disagreement)
    agreement = None
    if model.agreement is not None:
        agreement = (model.counterpart.utility_of(model.agreement), model.principal.utility_of(model.agreement))
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
        palette = colours(model)
        for key in (model.principal.key, model.counterpart.key):
            mine = [(u, j) for k, u, j in path if k == key]
            if mine:
                ax.plot(*zip(*mine, strict=True), "o", color=palette[key], label=f"{name_of(model, key)}'s offers")
    if data["agreement"] is not None:
        ax.plot(*data["agreement"], "*", color="black", ms=18, label="agreement")
    ax.set_xlabel(f"{model.counterpart.name}: utility (PV $bn)")
    ax.set_ylabel(f"{model.principal.name}: utility (PV $bn)")
    ax.set_title("Utility space")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return fig
