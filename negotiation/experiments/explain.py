"""Mechanism attribution: rerun a scenario with each mechanism switched off in turn and table the moves."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from negotiation.scenario import Spec, spec_from_dict


@dataclass(frozen=True)
class Mechanism:
    """A mechanism the deal may rest on, and how to switch it off in a scenario (as a nested dict)."""

    name: str
    what_it_removes: str

    def switch_off(self, data: dict[str, Any], spec: Spec, model_discounts: dict[str, float]) -> dict[str, Any]:
        """A copy of the scenario data with this mechanism off (actors found by their roles)."""
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
        data["agents"] = {k: dict(v) for k, v in data["agents"].items()}
        if self.name == "lenders' floor":
            for key in (*spec.keys_of("lender"), *spec.keys_of("insurer")):
                data["agents"].pop(key)
        elif self.name == "two-phase rule":
            data["deal"]["two_phase"] = False
        elif self.name == "tariff threat":
            data["deal"]["tariff_threat"] = False
        elif self.name == "unequal patience":
            common = statistics.geometric_mean(model_discounts.values())
            for key in spec.governments:
                data["agents"][key]["discount"] = common
        elif self.name == "investors' response":
            for key in spec.keys_of("investor"):
                data["agents"].pop(key)
        elif self.name == "incomplete information":
            data["protocol"]["information"] = "complete"
        elif self.name == "last word":
            data["protocol"]["last_proposer"] = spec.other_government(spec.last_proposer)  # type: ignore[arg-type]
        return data

    def applies_to(self, spec: Spec) -> bool:
        """Whether the scenario has this mechanism to switch off."""
        if self.name == "lenders' floor":
            return bool(spec.keys_of("lender") or spec.keys_of("insurer"))
        if self.name == "investors' response":
            return bool(spec.keys_of("investor"))
        if self.name == "last word":
            return spec.last_proposer is not None
        return True


MECHANISMS = (
    Mechanism("lenders' floor", "the principal's lenders and insurer no longer need to fund what it signs"),
    Mechanism("two-phase rule", "the bargained split applies from the first dollar (no recoup first)"),
    Mechanism("tariff threat", "no tariff threat, so no relief to trade"),
    Mechanism("unequal patience", "both sides get the same per-round discount (geometric mean)"),
    Mechanism("investors' response", "third-party investors take no part (no extra build, no parts)"),
    Mechanism("incomplete information", "both sides know everything: equilibrium play"),
    Mechanism("last word", "the other side makes the final offer before the deadline"),
)


def _summarise(spec: Spec, seeds: list[int]) -> dict[str, Any]:
    from negotiation.model import NegotiationModel

    shares, reliefs, agreed = [], [], 0
    model = None
    for seed in seeds:
        model = NegotiationModel(spec, rng=seed, collect_data=False)
        result = model.run()
        if result.agreed:
            agreed += 1
            shares.append(result.package.us_profit_share)
            reliefs.append(model.relief_usd_bn_per_year(result.package))
    sol = model.solve().spe
    return {"agreed_fraction": agreed / len(seeds),
            "us_profit_share": statistics.median(shares) if shares else None,
            "tariff_relief_usd_bn_per_year": statistics.median(reliefs) if reliefs else None,
            "equilibrium_us_profit_share": sol.us_profit_share if sol else None,
            "discounts": {key: gov.discount for key, gov in model.governments.items()}}


def explain(spec: Spec, seeds: list[int]) -> list[dict[str, Any]]:
    """Rows: the scenario as given, then with each applicable mechanism off, with medians over ``seeds``."""
    base = _summarise(spec, seeds)
    rows = [{"mechanism": "(none: the scenario as given)", "removes": "", **base}]
    data = spec.model_dump(exclude_none=True)
    for mech in MECHANISMS:
        if not mech.applies_to(spec):
            continue
        off = spec_from_dict(mech.switch_off(data, spec, base["discounts"]), source=f"explain: {mech.name}")
        rows.append({"mechanism": mech.name, "removes": mech.what_it_removes, **_summarise(off, seeds)})
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """A markdown table of the rows, with the change against the first row."""
    base = rows[0]

    def num(v: Any, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)

    def delta(v: Any, b: Any, fmt: str) -> str:
        return "—" if v is None or b is None else format(v - b, "+" + fmt)

    lines = ["| mechanism switched off | US share | Δ share | relief $bn/yr | Δ relief | SPE share | agreed |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['mechanism']} | {num(r['us_profit_share'], '.3f')} | "
            f"{delta(r['us_profit_share'], base['us_profit_share'], '.3f')} | "
            f"{num(r['tariff_relief_usd_bn_per_year'], '.1f')} | "
            f"{delta(r['tariff_relief_usd_bn_per_year'], base['tariff_relief_usd_bn_per_year'], '.1f')} | "
            f"{num(r['equilibrium_us_profit_share'], '.3f')} | {r['agreed_fraction']:.0%} |")
    return "\n".join(lines)
