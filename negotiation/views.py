"""What the page shows, as plain data and matplotlib figures: no Solara here, so every view is testable alone.

Each function takes a running or finished :class:`~negotiation.model.NegotiationModel`. Actors keep one
colour in every view (:func:`colours`, by role); money is in $bn, shares are fractions shown as percentages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from negotiation.issues import Package
from negotiation.result import TARIFF_PREFIX, Terms
from negotiation.solvers.bargaining import clip_polyline, nash_on_polyline

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    """One offer as the plots show it: its terms and each government's utility of it, agreed in its round."""

    round: int
    proposer: str
    us_share_before_recoup: float
    us_profit_share: float
    tariff_rates: dict[str, float]  # every group of goods (those a deal cannot change at their no-deal rate)
    tariff_rate: float | None  # all-in: the export-weighted average (None: no tariff at stake)
    tariff_relief_usd_bn_per_year: float
    us_utility: float
    japan_utility: float
    accepted: bool


def offers(model: Any) -> list[OfferPoint]:
    """Every offer so far, in order, with its value to each government (agreed in its round) and the answer."""
    out = []
    for offer, responses in zip(model.offers, model.responses, strict=False):
        p = offer.package
        out.append(OfferPoint(offer.round, offer.proposer, p.us_share_before_recoup, p.us_profit_share,
                              model.tariff_rates(p), model.tariff_rate(p), model.relief_usd_bn_per_year(p),
                              model.counterpart.utility_of(p, offer.round), model.principal.utility_of(p, offer.round),
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


def shares_text(model: Any, q: float, s: float) -> str:
    """The US shares in words: ``US 50% of equity profits before recoup, 90% after`` (one share in a one-phase deal).

    In the reduced (unit-surplus) game: ``US 52.6% of the unit surplus``.
    """
    if model.unit_surplus:
        return f"US {s:.1%} of the unit surplus"
    if not model.spec.deal.two_phase:
        return f"US {s:.0%} of equity profits"
    return f"US {q:.0%} of equity profits before recoup, {s:.0%} after"


def rates_text(rates: dict[str, float], all_in: float | None) -> str:
    """Each group's rate and the all-in rate: ``tariffs autos 15.1%, other 10.0% (all-in 11.7%)``."""
    each = ", ".join(f"{name} {rate:.1%}" for name, rate in rates.items())
    return f"tariffs {each}" + ("" if all_in is None else f" (all-in {all_in:.1%})")


def terms_text(model: Any, package: Package) -> str:
    """A package in words: both shares, each group's rate, the all-in rate and the duty relief.

    ``US 50% of equity profits before recoup, 90% after; tariffs autos 15.1%, other 10.0% (all-in 11.7%),
    $20.5bn/yr of duty relief``. In the reduced (unit-surplus) game: ``US 52.6% of the unit surplus``.
    """
    text = shares_text(model, package.us_share_before_recoup, package.us_profit_share)
    if model.unit_surplus:
        return text
    if model.trade is None:
        return text + ", no tariff at stake"
    return (f"{text}; {rates_text(model.tariff_rates(package), model.tariff_rate(package))}, "
            f"${model.relief_usd_bn_per_year(package):.1f}bn/yr of duty relief")


TERM_WORDS = {"us_share_before_recoup": "the share before recoup", "us_profit_share": "the share after recoup",
              "tariff_rate": "the all-in rate"}


@dataclass(frozen=True)
class Gap:
    """How far a package lies from the equilibrium (SPE), term by term.

    ``points``: term → |difference| in percentage points, for ``us_share_before_recoup`` (two-phase deals),
    ``us_profit_share``, ``tariff_rate_<group>`` for every group of goods and ``tariff_rate`` (all-in) where a
    tariff is at stake. ``spe``: the equilibrium's terms.
    """

    spe: Terms
    points: dict[str, float]


def equilibrium_gap(model: Any, package: Package) -> Gap | None:
    """How far ``package`` lies from the equilibrium (SPE) on every term (``None``: no equilibrium agreement)."""
    spe = model.solve().spe
    if spe is None:
        return None
    ours, theirs = model.terms_of(package), model.terms_of(spe)
    points: dict[str, float] = {}
    if model.spec.deal.two_phase and not model.unit_surplus:
        points["us_share_before_recoup"] = 100 * abs(ours.us_share_before_recoup - theirs.us_share_before_recoup)
    points["us_profit_share"] = 100 * abs(ours.us_profit_share - theirs.us_profit_share)
    for name, rate in ours.tariff_rates.items():
        points[f"{TARIFF_PREFIX}{name}"] = 100 * abs(rate - theirs.tariff_rates[name])
    if ours.tariff_rate is not None and theirs.tariff_rate is not None:
        points["tariff_rate"] = 100 * abs(ours.tariff_rate - theirs.tariff_rate)
    return Gap(theirs, points)


def gap_text(model: Any, gap: Gap) -> str:
    """The gap in words: ``0.0 points on the share before recoup, …, 1.0 on autos and 0.3 on the all-in rate``."""
    words: list[str] = []
    for key, value in gap.points.items():
        if key.startswith(TARIFF_PREFIX):
            name = key.removeprefix(TARIFF_PREFIX)
        elif key == "us_profit_share" and (model.unit_surplus or not model.spec.deal.two_phase):
            name = "the share"
        else:
            name = TERM_WORDS[key]
        words.append(f"{value:.1f}{' points' if not words else ''} on {name}")
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def outcome_text(model: Any) -> str:
    """Where the negotiation stands, in the words an analyst would use (one or two sentences)."""
    if model.outcome == "agreement":
        pkg = model.agreement
        text = f"Agreement in round {model.steps}: {terms_text(model, pkg)}."
        gap = equilibrium_gap(model, pkg)
        if gap is not None:
            spe = gap.spe
            terms = shares_text(model, spe.us_share_before_recoup, spe.us_profit_share)
            if spe.tariff_rate is not None:
                terms += f"; {rates_text(spe.tariff_rates, spe.tariff_rate)}"
            text += f" Equilibrium (SPE): {terms}; from this deal: {gap_text(model, gap)}."
        return text
    blocked = model.nothing_signable()
    why = "" if blocked is None else f" {blocked[0].upper()}{blocked[1:]}."
    if model.outcome == "unsignable":
        return f"No agreement: the talks end before round 1.{why}"
    if model.outcome in ("breakdown", "collapse"):
        stays = "" if model.unit_surplus or model.trade is None else " (the tariff stays)"
        if model.outcome == "collapse":
            return (f"No agreement: the talks collapsed after round {model.steps}{stays}, a risk both sides "
                    f"priced (the breakdown hazard).{why}")
        return f"No agreement: talks broke down after {model.steps} rounds{stays}.{why}"
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


RATE_MARKERS = ("o", "^", "s", "D", "v", "P")  # one per bargained group of goods, in the rates panel


def _matplotlib() -> Any:
    """The figure class of matplotlib, imported when first drawn (the page's server starts without matplotlib)."""
    from matplotlib.figure import Figure

    return Figure


def _whole_numbers(fig: Any) -> Any:
    """A tick locator for whole numbers (the rounds): the figure's own if it has one, else matplotlib's."""
    if hasattr(fig, "whole_numbers"):
        return fig.whole_numbers
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True, min_n_ticks=1)


def offers_figure(model: Any, figure: Any = None) -> Any:
    """The US shares and each bargained group's rate offered by each side, round by round, with the equilibrium.

    ``figure``: the figure class, matplotlib's ``Figure`` (the default: the PNG downloads) or
    :class:`~negotiation.svgfigure.SvgFigure` (the page's plot, drawn by the browser).

    The shares panel has the share after recoup (solid) and, in a two-phase deal, before (dotted); the rates
    panel one line per group of goods a deal can change (its marker) and proposer (its colour). One panel
    (the shares) when no tariff is at stake, as in the reduced (unit-surplus) game.
    """
    groups = [t.name for t in model.terms.continuous] if model.trade is not None else []
    tariff = bool(groups)
    two_phase = not model.unit_surplus and bool(model.spec.deal.two_phase)
    fig = (figure or _matplotlib())(figsize=(6.4, 4.6 if tariff else 3.4), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True) if tariff else [fig.subplots()]
    ax_share, ax_rate = axes[0], axes[-1]
    pts = offers(model)
    sol = model.solve()
    palette = colours(model)
    for key in (model.principal.key, model.counterpart.key):
        mine = [p for p in pts if p.proposer == key]
        if not mine:
            continue
        rounds, name = [p.round for p in mine], name_of(model, key)
        after = " after recoup" if two_phase else ""
        ax_share.plot(rounds, [100 * p.us_profit_share for p in mine], "o-", color=palette[key],
                      label=f"{name}'s offers{after}")
        if two_phase:
            ax_share.plot(rounds, [100 * p.us_share_before_recoup for p in mine], "s:", color=palette[key],
                          alpha=0.7, label=f"{name}'s offers before recoup")
        for group, marker in zip(groups, RATE_MARKERS * 4, strict=False):
            ax_rate.plot(rounds, [100 * p.tariff_rates[group] for p in mine], f"{marker}-", color=palette[key],
                         label=f"{name}: {group}")
    if sol.spe is not None:
        spe = model.terms_of(sol.spe)
        ax_share.axhline(100 * spe.us_profit_share, ls="--", color=REFERENCE_COLOUR, label="equilibrium (SPE)")
        if two_phase and spe.us_share_before_recoup != spe.us_profit_share:
            ax_share.axhline(100 * spe.us_share_before_recoup, ls=":", color=REFERENCE_COLOUR)
        for k, group in enumerate(groups):
            ax_rate.axhline(100 * spe.tariff_rates[group], ls="--", color=REFERENCE_COLOUR,
                            label="equilibrium (SPE)" if k == 0 else None)
    if model.agreement is not None:
        ax_share.plot([model.steps], [100 * model.agreement.us_profit_share], "*", ms=16, color="black",
                      label="agreement")
        if two_phase:
            ax_share.plot([model.steps], [100 * model.agreement.us_share_before_recoup], "*", ms=12, color="black")
        agreed = model.tariff_rates(model.agreement)
        for k, group in enumerate(groups):
            ax_rate.plot([model.steps], [100 * agreed[group]], "*", ms=16, color="black",
                         label="agreement" if k == 0 else None)
    if model.unit_surplus:
        ax_share.set_ylabel("US share of\nthe unit surplus (%)")
    else:
        ax_share.set_ylabel("US share of profits (%)")
    ax_share.set_ylim(-2, 102)
    if tariff:
        low = 100 * min(t.low for t in model.terms.continuous)
        high = 100 * max(t.high for t in model.terms.continuous)
        ax_rate.set_ylabel("tariff rate (%)")
        ax_rate.set_ylim(low - 0.05 * (high - low + 1), high + 0.05 * (high - low + 1))
        ax_rate.axhline(100 * model.trade.floor_rate, color="#bbbbbb", lw=1)
        for t in model.terms.continuous:
            ax_rate.axhline(100 * t.high, color="#bbbbbb", lw=1)
        ax_rate.grid(alpha=0.3)
        if ax_rate.get_legend_handles_labels()[0]:
            ax_rate.legend(loc="best", fontsize="x-small", ncol=2)
    ax_rate.set_xlabel(f"round ({model.spec.protocol.round_months:g} months each)")
    ax_rate.set_xlim(0.5, max(model.steps, 1) + 0.5)
    ax_share.set_title("Offers over time" + ("" if tariff or model.unit_surplus else " (no tariff at stake)"))
    if ax_share.get_legend_handles_labels()[0]:
        ax_share.legend(loc="best", fontsize="x-small")
    ax_rate.xaxis.set_major_locator(_whole_numbers(fig))
    ax_share.grid(alpha=0.3)
    return fig


def utility_space(model: Any) -> dict[str, Any]:
    """The data of the utility-space view: frontier, disagreement, Nash and SPE points, offers, agreement.

    The frontier is round 1's Pareto frontier of the packages the lenders fund, where both governments gain
    over no deal; the Nash point is the one on it (between its vertices too: on the unit game's one segment,
    the middle) that maximises the product of the gains. Every point is a pair of utilities (PV at the talks'
    start) of a package agreed in its round: the frontier and the Nash point in round 1, the SPE in its
    round, each offer in the round it was made.
    """
    sol = model.solve()
    pts = offers(model)
    us, japan = model.counterpart, model.principal
    d = (us.preferences.disagreement, japan.preferences.disagreement)
    agreement = None
    if model.agreement is not None:
        t = model.agreement_round
        agreement = (us.utility_of(model.agreement, t), japan.utility_of(model.agreement, t))
    frontier = (np.asarray(sol.frontier_us, dtype=float), np.asarray(sol.frontier_japan, dtype=float))
    nash = None
    if frontier[0].size:  # the part where both gain over no deal (the bargaining set), cut where it crosses
        frontier = clip_polyline(frontier[0], frontier[1], d)[:2]
        found = nash_on_polyline(frontier[0], frontier[1], d) if frontier[0].size else None
        nash = None if found is None else (found[2], found[3])
    return {
        "frontier": frontier,
        "disagreement": d,
        "nash": nash,
        "spe": None if sol.spe_utilities is None else tuple(sol.spe_utilities),
        "offers": [(p.proposer, p.us_utility, p.japan_utility) for p in pts],
        "agreement": agreement,
    }


def utility_figure(model: Any, figure: Any = None) -> Any:
    """The two governments' utility space: what could be agreed, and where the offers went.

    ``figure``: the figure class, as for :func:`offers_figure`.
    """
    data = utility_space(model)
    fig = (figure or _matplotlib())(figsize=(6.4, 4.6), layout="constrained")
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


ROUND_COLUMNS = ("round", "proposer", "responder", "us_share_before_recoup", "us_profit_share", "tariff_rate",
                 "tariff_relief_usd_bn_per_year", "counterpart_utility", "principal_utility", "lenders_fund",
                 "accepted", "answer")  # with tariff_rate_<group> for every group of goods after the shares


def round_columns(model: Any) -> list[str]:
    """The columns of :func:`rounds_table`: :data:`ROUND_COLUMNS` with ``tariff_rate_<group>`` for every group."""
    groups = [f"{TARIFF_PREFIX}{g.name}" for g in model.trade.goods] if model.trade is not None else []
    cut = ROUND_COLUMNS.index("tariff_rate")
    return [*ROUND_COLUMNS[:cut], *groups, *ROUND_COLUMNS[cut:]]


def rounds_table(model: Any) -> list[dict[str, Any]]:
    """Every round played so far: the offer, its terms, both governments' utilities and the answers.

    The terms are both US shares, every group's rate (``tariff_rate_<group>``; groups a deal cannot change at
    their no-deal rate), the all-in rate and the duty relief. Utilities are PV at the talks' start of the
    package agreed in that round (``value_unit``); ``answer`` is the responder's, with its reason when it
    refused; ``lenders_fund`` whether every ratifier funds it.
    """
    rows = []
    for offer, responses in zip(model.offers, model.responses, strict=False):
        p, answer = offer.package, responses[-1]
        rates = {f"{TARIFF_PREFIX}{name}": rate for name, rate in model.tariff_rates(p).items()}
        rows.append({"round": offer.round, "proposer": offer.proposer, "responder": offer.responder,
                     "us_share_before_recoup": p.us_share_before_recoup, "us_profit_share": p.us_profit_share,
                     **rates, "tariff_rate": model.tariff_rate(p),
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
    writer = csv.DictWriter(out, fieldnames=round_columns(model), lineterminator="\n")
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
