"""Mechanism attribution: rerun a scenario with each mechanism switched off in turn and table the moves.

Each :class:`Mechanism` says what it removes and how (a change to the scenario's data, actors found by their
roles); :func:`explain` reports, for the scenario and each switch, the medians over seeds of the US share,
the agreed tariff and the duty relief, the share of seeds that agreed, and the solved equilibrium's share
and tariff, so a reader sees which mechanism the outcome rests on.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from negotiation.scenario import Spec, given
from negotiation.scenario_files import spec_from_dict
from negotiation.values import Scalar

type Dump = dict[str, Any]  # Spec.model_dump(): pydantic's type, edited in place by a mechanism
type Edit = Callable[[Dump, Spec], None]


class Summary(TypedDict):
    """Medians over the seeds of the runs that agreed, the agreement rate, and the solved equilibrium."""

    agreed_fraction: float
    us_profit_share: float | None
    agreed_tariff_rate: float | None
    tariff_relief_usd_bn_per_year: float | None
    equilibrium_us_profit_share: float | None
    equilibrium_tariff_rate: float | None


class Explained(Summary):
    """One row of the table: the mechanism switched off (none for the scenario as given) and its summary."""

    mechanism: str
    removes: str


def _without_roles(*roles: str) -> Edit:
    def edit(data: Dump, spec: Spec) -> None:
        for role in roles:
            for key in spec.keys_of(role):
                data["agents"].pop(key)
    return edit


def _set(table: str, key: str, value: Scalar) -> Edit:
    def edit(data: Dump, spec: Spec) -> None:
        data[table][key] = value
    return edit


def _common_patience(data: Dump, spec: Spec) -> None:
    """Both governments discount at the same rate (the mean of the two; the unit game: the geometric mean δ)."""
    counterpart, principal = spec.government_tables
    if spec.deal.kind == "unit_surplus":
        common = statistics.geometric_mean((given(counterpart.discount), given(principal.discount)))
        field = "discount"
    else:
        common = statistics.fmean((given(counterpart.discount_rate_per_year), given(principal.discount_rate_per_year)))
        field = "discount_rate_per_year"
    for key in spec.governments:
        data["agents"][key][field] = common


def _other_last_word(data: Dump, spec: Spec) -> None:
    data["protocol"]["last_proposer"] = spec.other_government(spec.last_proposer)  # type: ignore[arg-type]


def _no_headline(data: Dump, spec: Spec) -> None:
    data["agents"][spec.governments[0]]["headline_value_usd_bn"] = 0.0
    data["agents"][spec.governments[1]]["headline_cost_usd_bn"] = 0.0


@dataclass(frozen=True)
class Mechanism:
    """A mechanism the deal may rest on, what switching it off removes, and how to switch it off."""

    name: str
    what_it_removes: str
    edit: Edit
    applies: Callable[[Spec], bool] = lambda spec: spec.deal.kind == "package"

    def switch_off(self, data: Dump, spec: Spec) -> Dump:
        """A copy of the scenario data with this mechanism off."""
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
        data["agents"] = {k: dict(v) for k, v in data["agents"].items()}
        self.edit(data, spec)
        return data


MECHANISMS = (
    Mechanism("the US's public demand", "no side is held to what it asked in public (no-retraction off)",
              _set("protocol", "no_retraction", False)),
    Mechanism("the headline", "announcing the share is worth nothing beyond its profits", _no_headline),
    Mechanism("two-phase rule", "the bargained split applies from the first dollar (no recoup first)",
              _set("deal", "two_phase", False)),
    Mechanism("tariff threat", "no tariff threat, so no relief to trade", _set("deal", "tariff_threat", False)),
    Mechanism("the threat's date", "the threatened tariff applies from the first day of the talks",
              _set("deal", "talks_deadline_years", 0.0)),
    Mechanism("lenders' floor", "the principal's lenders and insurer no longer need to fund what it signs",
              _without_roles("lender", "insurer"),
              lambda spec: bool(spec.keys_of("lender") or spec.keys_of("insurer"))),
    Mechanism("investors' response", "third-party investors take no part (no extra build, no parts)",
              _without_roles("investor"), lambda spec: bool(spec.keys_of("investor"))),
    Mechanism("unequal patience", "both governments discount at the same rate (their mean)", _common_patience,
              lambda spec: True),
    Mechanism("incomplete information", "both sides know everything: equilibrium play",
              _set("protocol", "information", "complete"), lambda spec: spec.protocol.information == "incomplete"),
    Mechanism("last word", "the other side makes the final offer before the talks' last date", _other_last_word,
              lambda spec: spec.last_proposer is not None),
)


def summarise(spec: Spec, seeds: list[int]) -> Summary:
    """Medians over ``seeds`` of the agreed share, tariff and duty relief; the agreement rate; the equilibrium."""
    from negotiation.model import NegotiationModel

    results = [NegotiationModel(spec, rng=seed, collect_data=False).run() for seed in seeds]
    agreed = [r for r in results if r.agreed]

    def median(values: list[float | None]) -> float | None:
        given = [v for v in values if v is not None]
        return statistics.median(given) if given else None

    eq = results[0].equilibrium
    spe = eq.spe if eq is not None else None
    return {"agreed_fraction": len(agreed) / len(seeds),
            "us_profit_share": median([r.us_profit_share for r in agreed]),
            "agreed_tariff_rate": median([r.measures.get("agreed_tariff_rate") for r in agreed]),
            "tariff_relief_usd_bn_per_year": median([r.tariff_relief_usd_bn_per_year for r in agreed]),
            "equilibrium_us_profit_share": spe.us_profit_share if spe else None,
            "equilibrium_tariff_rate": eq.spe_tariff_rate if eq is not None else None}


def explain(spec: Spec, seeds: list[int]) -> list[Explained]:
    """Rows: the scenario as given, then with each applicable mechanism off, with medians over ``seeds``."""
    rows: list[Explained] = [{"mechanism": "(none: the scenario as given)", "removes": "", **summarise(spec, seeds)}]
    data = spec.model_dump(exclude_none=True)
    for mech in MECHANISMS:
        if not mech.applies(spec):
            continue
        off = spec_from_dict(mech.switch_off(data, spec), source=f"explain: {mech.name}")
        rows.append({"mechanism": mech.name, "removes": mech.what_it_removes, **summarise(off, seeds)})
    return rows


def format_table(rows: list[Explained]) -> str:
    """A markdown table of the rows, with the change against the first row."""
    base = rows[0]

    def num(v: float | None, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)

    def delta(v: float | None, b: float | None, fmt: str) -> str:
        if v is None or b is None:
            return "—"
        shown = format(v - b, "+" + fmt)
        return shown.replace("-", "+", 1) if float(shown.rstrip("%")) == 0 else shown  # no "−0.0"

    lines = ["| mechanism switched off | what that removes | US share | Δ share | tariff | Δ tariff | "
             "duty relief $bn/yr | SPE share | SPE tariff | agreed |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['mechanism']} | {r['removes'] or '—'} | {num(r['us_profit_share'], '.3f')} | "
            f"{delta(r['us_profit_share'], base['us_profit_share'], '.3f')} | "
            f"{num(r['agreed_tariff_rate'], '.1%')} | "
            f"{delta(r['agreed_tariff_rate'], base['agreed_tariff_rate'], '.1%')} | "
            f"{num(r['tariff_relief_usd_bn_per_year'], '.1f')} | {num(r['equilibrium_us_profit_share'], '.3f')} | "
            f"{num(r['equilibrium_tariff_rate'], '.1%')} | {r['agreed_fraction']:.0%} |")
    return "\n".join(lines)
