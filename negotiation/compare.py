"""Two scenarios side by side: their outcomes over the same seeds, and the keys in which they differ.

Used by ``chipdeal compare A B`` and by the page's Compare tab. Each scenario runs on the seeds
``seed … seed + n − 1`` (the same seeds for both: common random numbers, so a difference is the scenarios'
and not the draws'); every outcome is summarised by :func:`negotiation.distribution.summarise` (median, 95%
interval, both modes where bimodal) over the runs that agreed, the agreement rate over all of them, as
``chipdeal run --replicates`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from negotiation.distribution import summarise
from negotiation.result import TARIFF_PREFIX, clean
from negotiation.scenario import Spec
from negotiation.values import Json

# (field of the run's JSON, label, unit) in the order a reader wants them; each group's rate follows the shares
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("us_share_before_recoup", "US share of profits before recoup", "share"),
    ("us_profit_share", "US share of profits after recoup", "share"),
    ("agreed_tariff_rate", "all-in tariff rate", "rate"),
    ("tariff_relief_usd_bn_per_year", "duty relief, $bn a year", "usd_bn"),
    ("steps", "rounds to the agreement", "rounds"),
)
UNIT_OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("us_profit_share", "US share of the unit surplus", "share"),
    ("steps", "rounds to the agreement", "rounds"),
)
LABELS = ("name", "description")  # keys that name a scenario rather than set it: not listed as differences


@dataclass(frozen=True)
class Difference:
    """A scenario key whose validated value differs between the two scenarios (``None``: absent there)."""

    key: str
    a: Json
    b: Json

    def to_json(self) -> dict[str, Json]:
        """The difference as a JSON object."""
        return {"key": self.key, "a": self.a, "b": self.b}


def flat_values(spec: Spec) -> dict[str, Json]:
    """Every validated value of a scenario by dotted key (``deal.equity_fraction`` → 0.015).

    Args:
        spec: a validated :class:`~negotiation.scenario.Spec`.

    Returns:
        The leaves of its JSON dump, tables flattened into dotted paths.

    """
    out: dict[str, Json] = {}

    def walk(prefix: str, value: Json) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = value

    walk("", spec.model_dump(mode="json"))
    return out


def differences(spec_a: Spec, spec_b: Spec) -> list[Difference]:
    """The keys whose validated values differ between two scenarios, in key order (labels left out).

    Args:
        spec_a: the first scenario.
        spec_b: the second.

    Returns:
        One :class:`Difference` per key set differently (or set in one only).

    """
    a, b = flat_values(spec_a), flat_values(spec_b)
    keys = sorted((set(a) | set(b)) - set(LABELS))
    return [Difference(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def outcomes_of(spec: Spec) -> list[tuple[str, str, str]]:
    """The outcomes summarised for ``spec``, as (field, label, unit).

    :data:`OUTCOMES` with ``tariff_rate_<group>`` (the agreed rate on each group of goods) after the shares, or
    :data:`UNIT_OUTCOMES` in a unit-surplus game; a one-phase deal has no share before recoup of its own, a
    deal without a tariff threat no rate.
    """
    if spec.deal.kind == "unit_surplus":
        return list(UNIT_OUTCOMES)
    wanted = [o for o in OUTCOMES if spec.deal.two_phase or o[0] != "us_share_before_recoup"]
    if not spec.deal.tariff_threat:
        return [o for o in wanted if o[2] not in ("rate", "usd_bn")]
    groups = [(f"{TARIFF_PREFIX}{name}", f"tariff rate on {name}", "rate") for name in (spec.deal.goods or {})]
    cut = next(i for i, o in enumerate(wanted) if o[0] == "agreed_tariff_rate")
    return [*wanted[:cut], *groups, *wanted[cut:]]


def run_values(out: dict[str, Any]) -> dict[str, Any]:
    """A run's JSON with each group's agreed rate as ``tariff_rate_<group>`` beside the top-level fields."""
    return {**out, **{f"{TARIFF_PREFIX}{name}": rate for name, rate in (out.get("tariff_rates") or {}).items()}}


def outcomes_over_seeds(spec: Spec, seeds: list[int]) -> dict[str, Json]:
    """Run ``spec`` on each seed and summarise its outcomes.

    Args:
        spec: the scenario.
        seeds: the seeds (one run each).

    Returns:
        ``{"agreed": {"rate", "agreed", "n"}, <outcome>: summarise(...) ...}`` for the outcomes of
        :func:`outcomes_of`, over the runs that agreed.

    """
    from negotiation.model import NegotiationModel

    wanted = outcomes_of(spec)
    values: dict[str, list[float]] = {name: [] for name, _, _ in wanted}
    agreed = 0
    for seed in seeds:
        out = run_values(NegotiationModel(spec, rng=seed, collect_data=False).run(solve=False).to_json())
        if out["agreed"]:
            agreed += 1
            for name, _, _ in wanted:
                if out.get(name) is not None:
                    values[name].append(float(out[name]))
    n = len(seeds)
    return {"agreed": {"rate": agreed / n if n else 0.0, "agreed": agreed, "n": n},
            **{name: _rounded(summarise(vals)) for name, vals in values.items()}}


def _rounded(value: Json) -> Json:
    """Floats rounded to 12 significant digits throughout (stable output, as ``run --replicates`` gives)."""
    if isinstance(value, float):
        return clean(value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def compare(spec_a: Spec, spec_b: Spec, seed: int = 0, replicates: int = 20) -> dict[str, Any]:
    """Both scenarios on the seeds ``seed … seed + replicates − 1``, and what differs between them.

    Args:
        spec_a: scenario A.
        spec_b: scenario B.
        seed: the first seed.
        replicates: the number of seeds (at least 1).

    Returns:
        ``{"seed", "replicates", "a": {"scenario", "outcomes"}, "b": {…}, "differences": [...]}``.

    """
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    seeds = list(range(seed, seed + replicates))
    return {"seed": seed, "replicates": replicates,
            "a": {"scenario": spec_a.name, "unit_surplus": spec_a.deal.kind == "unit_surplus",
                  "outcomes": outcomes_over_seeds(spec_a, seeds)},
            "b": {"scenario": spec_b.name, "unit_surplus": spec_b.deal.kind == "unit_surplus",
                  "outcomes": outcomes_over_seeds(spec_b, seeds)},
            "differences": [d.to_json() for d in differences(spec_a, spec_b)]}


def show(value: float | None, unit: str) -> str:
    """A summarised value in its unit: ``90.0%``, ``15.1%``, ``$15.6bn``, ``8``.

    >>> show(0.9, "share"), show(0.1506, "rate"), show(15.63, "usd_bn"), show(8.0, "rounds")
    ('90.0%', '15.1%', '15.6', '8')
    """
    if value is None:
        return "—"
    if unit in ("share", "rate"):
        return f"{100 * value:.1f}%"
    if unit == "usd_bn":
        return f"{value:.1f}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def summary_text(stats: dict[str, Any], unit: str) -> str:
    """One cell: ``median [low, high]``, and both modes where bimodal.

    Args:
        stats: a :func:`~negotiation.distribution.summarise` dict.
        unit: how to show the values (see :func:`show`).

    Returns:
        The text (``—`` when no run agreed).

    """
    if not stats or not stats.get("n"):
        return "—"
    text = f"{show(stats['median'], unit)} [{show(stats['p2_5'], unit)}, {show(stats['p97_5'], unit)}]"
    if stats.get("modes"):
        text += " modes " + " | ".join(f"{show(m['value'], unit)} ({m['mass']:.0%})" for m in stats["modes"])
    return text


def shown_outcomes(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The outcomes either side of a comparison has, in the order a reader wants them: (name, label, unit)."""
    a, b = result["a"]["outcomes"], result["b"]["outcomes"]
    both_unit = result["a"]["unit_surplus"] and result["b"]["unit_surplus"]
    known = {name: (label, unit) for name, label, unit in (*UNIT_OUTCOMES, *OUTCOMES)}
    order = [name for name, _, _ in OUTCOMES]
    names = [n for n in dict.fromkeys([*a, *b]) if n != "agreed"]
    groups = [n for n in names if n.startswith(TARIFF_PREFIX)]
    cut = order.index("agreed_tariff_rate")
    order = [*order[:cut], *groups, *order[cut:]]
    out = []
    for name in [n for n in order if n in names]:
        label, unit = known.get(name, (f"tariff rate on {name.removeprefix(TARIFF_PREFIX)}", "rate"))
        if name == "us_profit_share" and both_unit:
            label = "US share of the unit surplus"
        elif name == "us_profit_share" and "us_share_before_recoup" not in names:
            label = "US share of profits"
        out.append((name, label, unit))
    return out


def rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The comparison as table rows: (outcome, A's cell, B's cell), the agreement rate first.

    Args:
        result: what :func:`compare` returned.

    Returns:
        The rows.

    """
    a, b = result["a"]["outcomes"], result["b"]["outcomes"]
    out = [("agreement rate", f"{a['agreed']['rate']:.0%} ({a['agreed']['agreed']}/{a['agreed']['n']})",
            f"{b['agreed']['rate']:.0%} ({b['agreed']['agreed']}/{b['agreed']['n']})")]
    for name, label, unit in shown_outcomes(result):
        out.append((label, summary_text(a.get(name, {}), unit), summary_text(b.get(name, {}), unit)))
    return out


def value_text(value: object) -> str:
    """A scenario value as the comparison shows it (``—``: not set in that scenario).

    >>> value_text(None), value_text(0.25), value_text(True), value_text("us")
    ('—', '0.25', 'true', 'us')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
