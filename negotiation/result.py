"""What a run ended with, as one typed value, and its faces: the CLI's JSON, a sweep row, a table.

The model builds a :class:`RunResult` with raw floats; rounding for stable output happens here, in the faces,
and nowhere else. The JSON face is the contract of ``chipdeal run --json`` (docs/CONTRACT.md); the row face
is one row of a sweep's ``runs.parquet``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from negotiation.issues import Package

# The columns every sweep row has after the run's id, point, replicate, seed and varied keys.
ROW_COLUMNS = ["agreed", "outcome", "steps", "deadline_rounds", "us_share_before_recoup", "us_profit_share",
               "tariff_relief_usd_bn_per_year", "agreed_tariff_rate", "relief_value_to_principal_usd_bn_per_year",
               "us_pv_of_profits_usd_bn", "principal_pv_of_profits_usd_bn", "recoup_years",
               "concession_loss_usd_bn", "eq_us_share_before_recoup", "eq_us_profit_share",
               "eq_tariff_relief_usd_bn_per_year", "eq_tariff_rate", "eq_round", "nash_us_share_before_recoup",
               "nash_us_profit_share", "nash_tariff_rate", "ks_us_share_before_recoup", "ks_us_profit_share",
               "ks_tariff_rate", "distance_to_equilibrium", "fundable_share", "fundable_share_reason",
               "agreement_round", "welfare_usd_bn", "pareto_distance_usd_bn", "nash_distance_usd_bn", "error"]
UTILITY_PREFIX = "utility_"  # one column per actor key: utility_<key>
ADVANTAGE_PREFIX = "advantage_"  # one column per government key: advantage_<key>
CONCESSION_PREFIX = "concession_rate_"  # one column per government key: concession_rate_<key>
TARIFF_PREFIX = "tariff_rate_"  # one column per group of goods: tariff_rate_<goods>, the agreed rate on it

NOTHING_FUNDED = "the principal's lenders and insurer fund no share: no deal can be signed"

CURRENCY_SIGNS = {"USD": "$", "JPY": "¥", "EUR": "€", "GBP": "£", "KRW": "₩", "CNY": "¥", "INR": "₹"}


def clean(value: float | None) -> float | None:
    """Round a float for stable, readable output (12 significant digits); ``None`` and non-finite pass."""
    if value is None or not math.isfinite(value):
        return value
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class Terms:
    """A package in the terms a user reads: both shares, each group's rate, the all-in rate and the duty relief."""

    us_share_before_recoup: float
    us_profit_share: float
    tariff_rates: dict[str, float] = field(default_factory=dict)  # every group of goods (unchanged ones too)
    tariff_rate: float | None = None  # all-in: the export-weighted average
    tariff_relief_usd_bn_per_year: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The terms' JSON object (rounded)."""
        return {"us_share_before_recoup": clean(self.us_share_before_recoup),
                "us_profit_share": clean(self.us_profit_share),
                "tariff_rates": {k: clean(v) for k, v in self.tariff_rates.items()},
                "tariff_rate": clean(self.tariff_rate),
                "tariff_relief_usd_bn_per_year": clean(self.tariff_relief_usd_bn_per_year)}


@dataclass(frozen=True)
class Equilibrium:
    """The independently solved equilibrium of the scenario, with the Nash and Kalai–Smorodinsky points."""

    concept: str
    spe: Terms | None
    nash: Terms | None
    kalai_smorodinsky: Terms | None
    spe_round: int | None = None
    spe_utilities: dict[str, float] | None = None  # government key → its gain over no deal in the SPE

    def to_json(self) -> dict[str, Any]:
        """The contract's ``equilibrium`` object (the SPE's terms at top level)."""
        empty: dict[str, Any] = {"us_share_before_recoup": None, "us_profit_share": None, "tariff_rates": {},
                                 "tariff_rate": None, "tariff_relief_usd_bn_per_year": None}
        spe = self.spe.to_json() if self.spe else empty
        gains = None if self.spe_utilities is None else {k: clean(v) for k, v in self.spe_utilities.items()}
        return {**spe, "concept": self.concept, "round": self.spe_round, "utilities": gains,
                "nash": self.nash.to_json() if self.nash else None,
                "kalai_smorodinsky": self.kalai_smorodinsky.to_json() if self.kalai_smorodinsky else None}


@dataclass(frozen=True)
class RunResult:
    """One run's outcome, each actor's utility and the equilibrium beside it.

    Utilities are present-value $bn gains over no deal (shares in the unit game). Money the principal
    reports in its own currency carries ``currency``; ``concession_loss_*`` is what the agreed shares cost the
    principal against its own public claim on both phases, as the expected PV of the profits it gives up.
    ``fundable_share`` is the highest one-phase US share every lender funds (``None`` when they fund none:
    no deal can be signed).

    The negotiation metrics of the automated-negotiation field (:mod:`negotiation.solvers.metrics`, formulas
    there) describe the two governments' outcome: ``agreement_round`` (``None`` without agreement),
    ``welfare_usd_bn`` (the sum of their gains over no deal, PV $bn: 0 on breakdown), and, measured on the
    Pareto frontier of the packages agreed *at the agreement's date* (the lenders' win-set under both
    governments' true utilities at that round's date), ``pareto_distance_usd_bn`` and
    ``nash_distance_usd_bn`` (Euclidean, in PV $bn; ``None`` without agreement) and each government's
    ``advantages`` (its gain over its gain at its best point of that frontier; 0 on breakdown). The
    agreement's date rather than round 1's: every utility is the PV at the talks' start of the package agreed
    on its date, so round 1's frontier lies above later rounds' by the cost of delay alone; measured there,
    a package as efficient as any the same date allows would count as inefficient. ``concession_rates``
    give, per government, the fraction of the way from its first offer to the other's first offer that its
    last offer went, in its own utility at round 1's date, per round of the talks (``None`` for a government
    that made no offer).
    """

    scenario: str
    scenario_hash: str
    seed: int | None
    agreed: bool
    outcome: str
    steps: int
    deadline_rounds: int
    package: Package | None
    terms: Terms | None
    utilities: dict[str, float]
    actor_names: dict[str, str]
    discounts: dict[str, float]
    fundable_share: float | None
    currency: str
    equilibrium: Equilibrium | None = None
    recoup_years: float | None = None
    concession_loss_usd_bn: float | None = None
    concession_loss_local_bn: float | None = None
    distance_to_equilibrium: float | None = None
    measures: dict[str, Any] = field(default_factory=dict)  # further outcomes (tariff rates, PVs, recoup)
    agreement_round: int | None = None
    welfare_usd_bn: float | None = None
    pareto_distance_usd_bn: float | None = None
    nash_distance_usd_bn: float | None = None
    advantages: dict[str, float | None] = field(default_factory=dict)  # government key → advantage
    concession_rates: dict[str, float | None] = field(default_factory=dict)  # government key → rate per round

    @property
    def fundable_share_reported(self) -> tuple[float | None, str]:
        """``fundable_share`` as the faces report it, and why it is absent (``""`` when it is there).

        The model reports ``None`` when its lenders and insurer fund nothing: the faces say ``None`` (null, NaN in
        a sweep's Parquet) and give the reason.
        """
        value = self.fundable_share
        if value is None or not math.isfinite(value) or value < 0:
            return None, NOTHING_FUNDED
        return clean(value), ""

    @property
    def us_profit_share(self) -> float | None:
        """The agreed US share of equity-related profits after recoup (the only share of a one-phase deal)."""
        return None if self.package is None else self.package.us_profit_share

    @property
    def us_share_before_recoup(self) -> float | None:
        """The agreed US share before the principal recoups."""
        return None if self.package is None else self.package.us_share_before_recoup

    @property
    def tariff_relief_usd_bn_per_year(self) -> float | None:
        """The duty the agreed rates save the principal's exporters a year (``None``: no deal or no tariff)."""
        return None if self.terms is None else self.terms.tariff_relief_usd_bn_per_year

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object for ``chipdeal run --json`` (rounded; no paths, times or versions)."""
        out: dict[str, Any] = {
            "scenario": self.scenario, "scenario_hash": self.scenario_hash, "seed": self.seed,
            "agreed": self.agreed, "outcome": self.outcome, "steps": self.steps,
            "deadline_rounds": self.deadline_rounds,
            "us_share_before_recoup": clean(self.us_share_before_recoup),
            "us_profit_share": clean(self.us_profit_share),
            "tariff_rates": {} if self.terms is None else {k: clean(v) for k, v in self.terms.tariff_rates.items()},
            "tariff_relief_usd_bn_per_year": clean(self.tariff_relief_usd_bn_per_year),
            "utilities": {k: clean(v) for k, v in self.utilities.items()},
            "actors": dict(self.actor_names), "currency": self.currency,
            "discounts": {k: clean(v) for k, v in self.discounts.items()},
        }
        out["fundable_share"], reason = self.fundable_share_reported
        if reason:
            out["fundable_share_reason"] = reason
        if self.equilibrium is not None:
            out["equilibrium"] = self.equilibrium.to_json()
        optional = {"recoup_years": self.recoup_years,
                    "concession_loss_usd_bn": self.concession_loss_usd_bn,
                    "concession_loss_local_bn": self.concession_loss_local_bn,
                    "distance_to_equilibrium": self.distance_to_equilibrium,
                    "welfare_usd_bn": self.welfare_usd_bn, "pareto_distance_usd_bn": self.pareto_distance_usd_bn,
                    "nash_distance_usd_bn": self.nash_distance_usd_bn}
        out.update({k: clean(v) for k, v in optional.items() if v is not None})
        if self.agreement_round is not None:
            out["agreement_round"] = self.agreement_round
        out["advantages"] = {k: clean(v) for k, v in self.advantages.items()}
        out["concession_rates"] = {k: clean(v) for k, v in self.concession_rates.items()}
        out.update({k: clean(v) if isinstance(v, float) else v for k, v in self.measures.items()
                    if not k.startswith(TARIFF_PREFIX)})
        return out

    def to_row(self) -> dict[str, Any]:
        """The result columns of one sweep row (see :func:`negotiation.experiments.store.result_columns`).

        :data:`ROW_COLUMNS`, ``tariff_rate_<goods>`` for every group of goods, ``utility_<key>`` for every
        actor, then ``advantage_<key>`` and ``concession_rate_<key>`` for each government.
        """
        eq = self.equilibrium
        row: dict[str, Any] = {
            "agreed": self.agreed, "outcome": self.outcome, "steps": self.steps,
            "deadline_rounds": self.deadline_rounds, "us_share_before_recoup": self.us_share_before_recoup,
            "us_profit_share": self.us_profit_share,
            "tariff_relief_usd_bn_per_year": clean(self.tariff_relief_usd_bn_per_year),
            "distance_to_equilibrium": clean(self.distance_to_equilibrium),
            "error": "",
            "recoup_years": clean(self.recoup_years),
            "concession_loss_usd_bn": clean(self.concession_loss_usd_bn),
            "eq_round": eq.spe_round if eq else None,
        }
        for key in ("agreed_tariff_rate", "relief_value_to_principal_usd_bn_per_year", "us_pv_of_profits_usd_bn",
                    "principal_pv_of_profits_usd_bn"):
            row[key] = clean(self.measures.get(key))
        for key, value in self.measures.items():
            if key.startswith(TARIFF_PREFIX):
                row[key] = clean(value)
        for short, point in (("eq", eq.spe if eq else None), ("nash", eq.nash if eq else None),
                             ("ks", eq.kalai_smorodinsky if eq else None)):
            row[f"{short}_us_share_before_recoup"] = clean(point.us_share_before_recoup) if point else None
            row[f"{short}_us_profit_share"] = clean(point.us_profit_share) if point else None
            row[f"{short}_tariff_rate"] = clean(point.tariff_rate) if point else None
        row["eq_tariff_relief_usd_bn_per_year"] = clean(eq.spe.tariff_relief_usd_bn_per_year) if eq and eq.spe \
            else None
        row["fundable_share"], row["fundable_share_reason"] = self.fundable_share_reported
        row["agreement_round"] = self.agreement_round
        for key in ("welfare_usd_bn", "pareto_distance_usd_bn", "nash_distance_usd_bn"):
            row[key] = clean(getattr(self, key))
        for key, value in self.utilities.items():
            row[f"{UTILITY_PREFIX}{key}"] = clean(value)
        for key, share in self.advantages.items():
            row[f"{ADVANTAGE_PREFIX}{key}"] = clean(share)
        for key, rate in self.concession_rates.items():
            row[f"{CONCESSION_PREFIX}{key}"] = clean(rate)
        return row


def money_in(currency: str, amount_bn: float) -> str:
    """An amount in $bn-equivalent units of ``currency``, with its sign: ``¥110bn``.

    >>> money_in("JPY", 110.4), money_in("CHF", 2.0)
    ('¥110bn', 'CHF 2bn')
    """
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount_bn:.0f}bn" if sign else f"{currency} {amount_bn:.0f}bn"
