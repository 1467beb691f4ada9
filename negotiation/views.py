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
from matplotlib.ticker import MaxNLocator

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


def who(model: Any, key: str) -> str:
    """An actor's display name, or "you (Japan)" for the government a person plays on the page."""
    seat = getattr(model, "seats", {}).get(key)
    name = name_of(model, key)
    return f"you ({name})" if seat is not None and type(seat).__name__ == "HumanSeat" else name


def terms_text(model: Any, package: Package) -> str:
    """A package in words: ``US 90% of equity profits after recoup, a 15.1% tariff ($15.6bn/yr of duty relief)``.

    In the reduced (unit-surplus) game: ``US 52.6% of the unit surplus``.
    """
    if model.unit_surplus:
        return f"US {package.us_profit_share:.1%} of the unit surplus"
    recoup = " after recoup" if model.spec.deal.two_phase else ""
    text = f"US {package.us_profit_share:.0%} of equity profits{recoup}"
    if model.trade is None:
        return text + ", no tariff at stake"
    return (f"{text}, a {model.tariff_rate(package):.1%} tariff (${model.relief_usd_bn_per_year(package):.1f}bn/yr "
            "of duty relief)")


def equilibrium_gap(model: Any, package: Package) -> dict[str, float] | None:
    """How far ``package`` lies from the equilibrium (SPE): the share and, with a tariff, the rate, in points.

    Returns:
        ``{"share_points", "tariff_points"?, "eq_share", "eq_tariff_rate"?}`` (points: percentage points),
        or ``None`` when the game has no equilibrium agreement.

    """
    spe = model.solve().spe
    if spe is None:
        return None
    gap = {"eq_share": spe.us_profit_share, "share_points": 100 * abs(package.us_profit_share - spe.us_profit_share)}
    if model.trade is not None:
        eq_rate = model.tariff_rate(Package(spe.us_profit_share, spe.relief_fraction))
        gap.update(eq_tariff_rate=eq_rate, tariff_points=100 * abs(model.tariff_rate(package) - eq_rate))
    return gap


def outcome_text(model: Any) -> str:
    """Where the negotiation stands, in the words an analyst would use (one or two sentences)."""
    if model.outcome == "agreement":
        pkg = model.agreement
        text = f"Agreement in round {model.steps}: {terms_text(model, pkg)}."
        gap = equilibrium_gap(model, pkg)
        if gap is not None:
            if "tariff_points" in gap:
                text += (f" Equilibrium (SPE): US {gap['eq_share']:.0%}, a {gap['eq_tariff_rate']:.1%} tariff; this "
                         f"deal is {gap['share_points']:.1f} points from it on the share and "
                         f"{gap['tariff_points']:.1f} on the tariff.")
            else:
                text += (f" Equilibrium (SPE): US {gap['eq_share']:.1%}; this deal is {gap['share_points']:.1f} "
                         "points from it on the share.")
        return text
    if model.outcome == "breakdown":
        stays = "" if model.unit_surplus or model.trade is None else " (the tariff stays)"
        return f"No agreement: talks broke down after {model.steps} rounds{stays}."
    if model.steps == 0:
        opener = who(model, model.proposer_in(1))
        seated = any(type(seat).__name__ == "HumanSeat" for seat in getattr(model, "seats", {}).values())
        return f"Round 0 of {model.max_rounds}: {opener} will open." + ("" if seated else " Press Step or Play.")
    last = model.offers[-1] if model.offers else None
    said = ""
    if last is not None:
        answer = model.responses[-1][-1]
        why = f" ({answer.reason})" if answer.reason else ""
        said = (f"{who(model, last.proposer)} offered {terms_text(model, last.package)}; "
                f"{who(model, last.responder)} said no{why}.")
    if last is None or last.round < model.steps:  # this round passed without an offer: say so, not round 0's text
        proposer = who(model, model.proposer_in(model.steps))
        silent = (f"Round {model.steps} of {model.max_rounds}: {proposer} made no offer (it sees no package it "
                  "would rather sign than wait, among those it believes the lenders fund).")
        return silent + (f" The last offer, in round {last.round}: {said}" if last is not None else "")
    return f"Round {model.steps} of {model.max_rounds}: {said}"


def amount(model: Any, value: float) -> str:
    """A government's value in its unit: ``$17.8bn``, ``−$2.4bn``; in the reduced game ``0.526 of the surplus``.

    >>> class M: unit_surplus = False
    >>> amount(M(), -2.44), amount(M(), 17.8)
    ('−$2.4bn', '$17.8bn')
    """
    if model.unit_surplus:
        return f"{value:.3f} of the surplus".replace("-", "−")
    return f"{'−' if value < 0 else ''}${abs(value):,.1f}bn"


def value_unit(model: Any) -> str:
    """The unit of the governments' values: PV $bn, or, in the reduced game, shares of a unit surplus."""
    return "share of a unit surplus, discounted" if model.unit_surplus else "PV $bn"


def actor_rows(model: Any) -> list[dict[str, Any]]:
    """Each actor's gain over no deal at the current package, and where it stands.

    The gain is PV $bn at the talks' start (0: no better off than without a deal; in the reduced game, a
    discounted share of the unit surplus): the governments' at the round the package was offered or agreed
    in, the other actors' at the agreement's terms.
    """
    pkg = current_package(model)
    palette = colours(model)
    t = model.agreement_round if model.agreement is not None else (model.offers[-1].round if model.offers else 0)
    rows = []
    for actor in model.actors():
        if pkg is None:
            value = None
        elif actor.key in model.governments:
            gov = model.governments[actor.key]
            value = float(gov.utility_of(pkg, t) - gov.preferences.disagreement)
        else:
            value = float(actor.outcome_utility(pkg))
        rows.append({"key": actor.key, "actor": actor.name, "role": actor.role, "colour": palette[actor.key],
                     "gain_usd_bn": value, "status": actor.stance(pkg)})
    return rows


def _value(v: float | None, unit_game: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if unit_game else f"{v:,.1f}"


def actor_table_html(model: Any) -> str:
    """:func:`actor_rows` as an HTML table, each actor's name in its colour."""
    unit = "share of the surplus, discounted" if model.unit_surplus else "$bn PV"
    head = (f"<tr><th style='text-align:left'>actor</th><th>gain over no deal<br>({unit})</th>"
            "<th style='text-align:left'>stance</th></tr>")
    body = "".join(
        f"<tr class='actor-{r['key']}'><td style='color:{r['colour']};font-weight:bold'>{html.escape(r['actor'])}</td>"
        f"<td style='text-align:right'>{_value(r['gain_usd_bn'], model.unit_surplus)}</td>"
        f"<td>{html.escape(r['status'])}</td></tr>"
        for r in actor_rows(model))
    return f"<table class='chipdeal-actor-table' style='border-spacing:12px 4px'>{head}{body}</table>"


def offers_figure(model: Any) -> Figure:
    """US share and the tariff rate offered by each side, round by round, with the equilibrium as a reference.

    One panel (the share) when no tariff is at stake, as in the reduced (unit-surplus) game.
    """
    tariff = model.trade is not None
    fig = Figure(figsize=(6.4, 4.6 if tariff else 3.4), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True) if tariff else [fig.subplots()]
    ax_share, ax_rate = axes[0], axes[-1]
    pts = offers(model)
    sol = model.solve()
    palette = colours(model)
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
    if model.unit_surplus:
        ax_share.set_ylabel("US share of\nthe unit surplus (%)")
    else:
        recoup = "\nafter recoup" if model.spec.deal.two_phase else ""
        ax_share.set_ylabel(f"US share of profits{recoup} (%)")
    ax_share.set_ylim(-2, 102)
    if tariff:
        low, high = 100 * model.trade.floor_rate, 100 * model.trade.threat_rate
        ax_rate.set_ylabel("tariff rate (%)")
        ax_rate.set_ylim(low - 0.05 * (high - low + 1), high + 0.05 * (high - low + 1))
        ax_rate.axhline(high, color="#bbbbbb", lw=1)
        ax_rate.axhline(low, color="#bbbbbb", lw=1)
        ax_rate.grid(alpha=0.3)
    ax_rate.set_xlabel(f"round ({model.spec.protocol.round_months:g} months each)")
    ax_rate.set_xlim(0.5, max(model.steps, 1) + 0.5)
    ax_share.set_title("Offers over time" + ("" if tariff or model.unit_surplus else " (no tariff at stake)"))
    if ax_share.get_legend_handles_labels()[0]:
        ax_share.legend(loc="lower right", fontsize="small")
    ax_rate.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax_share.grid(alpha=0.3)
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
        label = "Pareto frontier" if model.unit_surplus else "Pareto frontier (fundable)"
        ax.plot(fu[order], fj[order], "-", color=REFERENCE_COLOUR, lw=2, label=label)
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
    ax.set_xlabel(f"{model.counterpart.name}: utility ({value_unit(model)})")
    ax.set_ylabel(f"{model.principal.name}: utility ({value_unit(model)})")
    ax.set_title("Utility space")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def figure_png(fig: Figure) -> bytes:
    """A figure as PNG bytes (what the page's plots show and its downloads hand over)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


ROUND_COLUMNS = ("round", "proposer", "responder", "us_profit_share", "relief_fraction", "tariff_rate",
                 "tariff_relief_usd_bn_per_year", "counterpart_utility", "principal_utility", "lenders_fund",
                 "accepted", "answer")


def rounds_table(model: Any) -> list[dict[str, Any]]:
    """Every round played so far: the offer, its terms, both governments' utilities and the answers.

    Utilities are PV at the talks' start of the package agreed in that round (``value_unit``); ``answer`` is
    the responder's, with its reason when it refused; ``lenders_fund`` whether every ratifier funds it.
    """
    rows = []
    for offer, responses in zip(model.offers, model.responses, strict=False):
        p, answer = offer.package, responses[-1]
        rows.append({"round": offer.round, "proposer": offer.proposer, "responder": offer.responder,
                     "us_profit_share": p.us_profit_share, "relief_fraction": p.relief_fraction,
                     "tariff_rate": model.tariff_rate(p),
                     "tariff_relief_usd_bn_per_year": model.relief_usd_bn_per_year(p),
                     "counterpart_utility": float(model.counterpart.utility_of(p, offer.round)),
                     "principal_utility": float(model.principal.utility_of(p, offer.round)),
                     "lenders_fund": all(r.accepted for r in responses[:-1]), "accepted": answer.accepted,
                     "answer": "accepted" if answer.accepted else f"refused: {answer.reason}"})
    return rows


def rounds_csv(model: Any) -> str:
    """:func:`rounds_table` as CSV text (a header row, then one row per round)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROUND_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rounds_table(model):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def result_json(model: Any) -> str:
    """The run's result as the CLI's ``run --json`` gives it, with every round (``rounds``), as JSON text."""
    import json

    out = model.result().to_json()
    out["rounds"] = rounds_table(model)
    return json.dumps(out, sort_keys=True, indent=1)
