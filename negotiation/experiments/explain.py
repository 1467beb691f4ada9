"""Mechanism attribution: rerun a scenario with each mechanism switched off in turn and table the moves.

Each :class:`Mechanism` says what it removes and how (a change to the scenario's data, actors found by their
roles); :func:`explain` reports, for the scenario and each switch, the medians over seeds of the US shares
before and after recoup, the all-in tariff and the rate on each group of goods and the duty relief, the share
of seeds that agreed, and the solved equilibrium's shares and all-in tariff, so a reader sees which mechanism
each term of the outcome rests on.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from negotiation.scenario import Spec, given
from negotiation.scenario_files import editable_dump, spec_from_dict
from negotiation.values import Scalar

type Dump = dict[str, Any]  # Spec.model_dump(): pydantic's type, edited in place by a mechanism
type Edit = Callable[[Dump, Spec], None]


class Summary(TypedDict):
    """Medians over the seeds of the runs that agreed, the agreement rate, and the solved equilibrium."""

    agreed_fraction: float
    us_share_before_recoup: float | None
    us_profit_share: float | None
    agreed_tariff_rate: float | None
    tariff_rates: dict[str, float]
    tariff_relief_usd_bn_per_year: float | None
    equilibrium_us_share_before_recoup: float | None
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


def _claims_free(*roles: str) -> Edit:
    def edit(data: Dump, spec: Spec) -> None:
        for role in roles:
            for key in spec.keys_of(role):
                data["agents"][key]["claim_concession_cost_usd_bn"] = 0.0
                data["agents"][key]["claim_retraction_cost_usd_bn"] = 0.0
    return edit


def _money_readings(data: Dump, spec: Spec) -> None:
    for key in spec.governments:
        data["agents"][key]["claim_reading"] = "money"


def _has_claim(role: str) -> Callable[[Spec], bool]:
    def applies(spec: Spec) -> bool:
        return spec.deal.kind == "package" and any(
            getattr(spec.agents[key], "claim_us_share", None) is not None for key in spec.keys_of(role))
    return applies


def _full_horizon(data: Dump, spec: Spec) -> None:
    data["agents"][spec.governments[0]]["post_term_weight"] = 1.0


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
    Mechanism("the counterpart's claim", "backing down from its public claim, or asking beyond it, costs it nothing",
              _claims_free("counterpart"), _has_claim("counterpart")),
    Mechanism("the principal's claim", "backing down from its public claim, or taking it back, costs it nothing",
              _claims_free("principal"), _has_claim("principal")),
    Mechanism("claims read by phase", "every audience weighs each phase by the money it carries (no claim is "
              "honoured by a phase alone)", _money_readings,
              lambda spec: spec.deal.kind == "package" and any(
                  getattr(spec.agents[key], "claim_reading", "money") == "phase" for key in spec.governments)),
    Mechanism("the counterpart's horizon", "it weights what follows its term like what precedes it",
              _full_horizon, lambda spec: spec.deal.kind == "package" and getattr(
                  spec.agents[spec.governments[0]], "post_term_weight", 1.0) < 1.0),
    Mechanism("two-phase rule", "one US share from the first dollar (no recoup first)",
              _set("deal", "two_phase", False)),
    Mechanism("tariff threat", "no tariff threat, so no relief to trade", _set("deal", "tariff_threat", False)),
    Mechanism("the threat's date", "the threatened tariff applies from the first day of the talks",
              _set("deal", "talks_deadline_years", 0.0)),
    Mechanism("volume effects", "no volume responds to a tariff: no Harberger triangle, no margin lost",
              _set("deal", "trade_elasticity", 0.0)),
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
    names = sorted({k for r in agreed for k in (r.terms.tariff_rates if r.terms else {})})
    rates = {name: median([r.terms.tariff_rates.get(name) if r.terms else None for r in agreed]) for name in names}
    return {"agreed_fraction": len(agreed) / len(seeds),
            "us_share_before_recoup": median([r.us_share_before_recoup for r in agreed]),
            "us_profit_share": median([r.us_profit_share for r in agreed]),
            "agreed_tariff_rate": median([r.measures.get("agreed_tariff_rate") for r in agreed]),
            "tariff_rates": {k: v for k, v in rates.items() if v is not None},
            "tariff_relief_usd_bn_per_year": median([r.tariff_relief_usd_bn_per_year for r in agreed]),
            "equilibrium_us_share_before_recoup": spe.us_share_before_recoup if spe else None,
            "equilibrium_us_profit_share": spe.us_profit_share if spe else None,
            "equilibrium_tariff_rate": spe.tariff_rate if spe else None}


def explain(spec: Spec, seeds: list[int]) -> list[Explained]:
    """Rows: the scenario as given, then with each applicable mechanism off, with medians over ``seeds``."""
    rows: list[Explained] = [{"mechanism": "(none: the scenario as given)", "removes": "", **summarise(spec, seeds)}]
    data = editable_dump(spec)  # derived clocks are derived again for each switched-off scenario
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

    names = sorted({k for r in rows for k in r["tariff_rates"]})
    head = "".join(f" {name} | " for name in names)
    lines = ["| mechanism switched off | what that removes | US share before recoup | after | Δ after | "
             f"all-in tariff | Δ tariff | {head}duty relief $bn/yr | SPE before | SPE after | SPE tariff | agreed |",
             "|---|---|---|---|---|---|---|" + "---|" * len(names) + "---|---|---|---|---|"]
    for r in rows:
        rates = "".join(f"{num(r['tariff_rates'].get(name), '.1%')} | " for name in names)
        lines.append(
            f"| {r['mechanism']} | {r['removes'] or '—'} | {num(r['us_share_before_recoup'], '.2f')} | "
            f"{num(r['us_profit_share'], '.2f')} | {delta(r['us_profit_share'], base['us_profit_share'], '.2f')} | "
            f"{num(r['agreed_tariff_rate'], '.1%')} | "
            f"{delta(r['agreed_tariff_rate'], base['agreed_tariff_rate'], '.1%')} | {rates}"
            f"{num(r['tariff_relief_usd_bn_per_year'], '.1f')} | "
            f"{num(r['equilibrium_us_share_before_recoup'], '.2f')} | {num(r['equilibrium_us_profit_share'], '.2f')} | "
            f"{num(r['equilibrium_tariff_rate'], '.1%')} | {r['agreed_fraction']:.0%} |")
    return "\n".join(lines)
