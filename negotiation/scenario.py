"""Scenario schema: the validated configuration of one negotiation, loaded from TOML.

A scenario is data. Every number in it names its source in the TOML file's comments (``runs/*.toml``) or is
an assumption listed there with its range; this module only says what each key means, its unit and the
values it may take. User errors raise :class:`ScenarioError`, whose message names the key, file or line.
"""

from __future__ import annotations

import copy
import math
import os
import re
import stat
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

DEFAULT_DEADLINE_ROUNDS = 42  # when a scenario gives neither protocol.max_rounds nor deal.horizon_years
MAX_ROUNDS = 10_000  # the longest negotiation a scenario may ask for (given or derived)
MAX_DISCOUNT_RATE_PER_YEAR = 50.0  # a per-round discount factor may not imply a yearly rate above this


class ScenarioError(ValueError):
    """A user's input is wrong: the message names the key, file or line, and the CLI exits 2 with it."""


class _Strict(BaseModel):
    """Base for every table: unknown keys are errors, types are TOML's own, numbers must be finite.

    Strict typing: a number must be written as a number (``0.2``, not ``"0.2"``; an integer is a fine float),
    a boolean as ``true``/``false`` (not ``0`` or ``"no"``), a word as a string.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class _Table(_Strict):
    """A table whose ``None`` keys must be given when the table is used (``optional`` lists exceptions)."""

    optional: ClassVar[tuple[str, ...]] = ()

    def missing(self) -> list[str]:
        """The keys that are needed but not given."""
        return [k for k, v in self if v is None and k not in self.optional]


def given[T](value: T | None, key: str = "a required key") -> T:
    """A value the validation has checked is given (see :meth:`_Table.missing`): the same value, not ``None``.

    Required numbers are declared ``float | None`` so that a table may leave them out until it is used;
    a validated :class:`Spec` has them. This narrows such a value for the code that reads it.

    Args:
        value: the value read from a validated table.
        key: what it is, for the message.

    Returns:
        ``value``.

    Raises:
        RuntimeError: it is ``None`` (a program error: the table was not validated, or not for this use).

    >>> given(0.2)
    0.2

    """
    if value is None:
        raise RuntimeError(f"{key} is None in a validated scenario (a program error, not the scenario's)")
    return value


class Goods(_Strict):
    """One group of the principal's exports (``[deal.goods.<name>]``) and what it pays without a deal."""

    exports_usd_bn_per_year: float = Field(gt=0, le=10_000)
    rate_during_talks: float = Field(ge=0, le=2)  # what it pays now (and, if not threatened, without a deal)
    threatened: bool = True  # the threatened rate (deal.threat_rate) applies to it from the talks' deadline
    exporters_share_of_duty: float = Field(ge=0, le=1)  # incidence: the part of the duty the exporters bear


class ProjectClass(_Strict):
    """One class of funded projects (``[deal.projects.<name>]``): its weight in the equity and its economics."""

    weight: float = Field(ge=0, le=1)  # relative: the classes' weights are normalised to sum to 1
    cash_yield_per_year: float = Field(ge=0, le=1)
    build_years: float = Field(ge=0, le=30)
    life_years: float = Field(gt=0, le=100)
    failure_probability: float = Field(ge=0, lt=1)
    recovery_fraction: float = Field(ge=0, le=1)


class Deal(_Table):
    """The deal's facts and the economics of what is bargained over (docs/FACTS.md rows, or assumptions).

    Clocks, in years from the talks' start: ``talks_deadline_years`` is when the threatened tariff takes
    effect without a deal (talks may go on after it, the tariff being paid meanwhile); ``horizon_years`` is
    the allocation window, the last date a deal can be struck; ``relief_life_years`` is when the tariff
    regime, and with it both the threat and the relief, ends. Profits run on their own clocks (projects).
    """

    kind: Literal["package", "unit_surplus"] = "package"
    fund_usd_bn: float | None = Field(None, gt=0, le=10_000)
    equity_fraction: float | None = Field(None, ge=0.0, le=1.0)
    japan_opening_us_share: float | None = Field(None, ge=0.0, le=1.0)
    tariff_relief_max_usd_bn_per_year: float | None = Field(None, ge=0, le=10_000)
    relief_value_basis: Literal["trade", "article"] = "trade"
    horizon_years: float | None = Field(None, gt=0, le=50)
    talks_deadline_years: float | None = Field(None, ge=0, le=50)
    relief_life_years: float | None = Field(None, gt=0, le=100)
    tariff_threat: bool = True
    threat_rate: float | None = Field(None, ge=0, le=2)
    floor_rate: float | None = Field(None, ge=0, le=2)
    trade_elasticity: float | None = Field(None, ge=0, le=20)
    exporters_margin: float | None = Field(None, ge=0, le=1)
    goods: dict[str, Goods] | None = None
    two_phase: bool = True
    phase1_us_share: float | None = Field(None, ge=0.0, le=1.0)
    recoup_rate_per_year: float | None = Field(None, ge=0, le=1)
    projects: dict[str, ProjectClass] | None = None

    optional: ClassVar[tuple[str, ...]] = ("tariff_relief_max_usd_bn_per_year",)

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if self.relief_value_basis == "article" and self.tariff_relief_max_usd_bn_per_year is None:
            raise ValueError("deal.relief_value_basis = 'article' needs deal.tariff_relief_max_usd_bn_per_year")
        if self.threat_rate is not None and self.floor_rate is not None and self.floor_rate > self.threat_rate:
            raise ValueError(f"deal.floor_rate ({self.floor_rate}) is above deal.threat_rate ({self.threat_rate})")
        if self.projects is not None and not sum(p.weight for p in self.projects.values()) > 0:
            raise ValueError("deal.projects: the weights sum to 0 (give at least one class a positive weight)")
        if self.goods is not None and not self.goods:
            raise ValueError("deal.goods: at least one group of goods is needed")
        return self


class _ActorTable(_Table):
    """The table of one actor, ``[agents.<key>]``: its role, display name, and the role's parameters."""

    name: str = ""


class CounterpartParams(_ActorTable):
    """The counterpart government's preference parameters (see agents/counterpart.py)."""

    role: Literal["counterpart"]
    name: str = "counterpart government"
    optional: ClassVar[tuple[str, ...]] = ("discount",)
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    # per round: the unit game's stationary patience; in the package game, where given, it sets
    # discount_rate_per_year = −ln(discount)·12 / protocol.round_months
    discount: float | None = Field(None, gt=0, lt=1)
    opening_us_share: float = Field(1.0, ge=0, le=1)  # its public demand for the post-recoup share
    onshore_value_per_usd: float | None = Field(None, ge=0, le=10)
    headline_value_usd_bn: float = Field(0.0, ge=0, le=10_000)  # value of announcing the whole share, PV $bn
    buyers_duty_weight: float = Field(0.0, ge=0, le=1)  # weight on duty its own buyers pay (0: a transfer)
    concession_beta: float = Field(1.0, gt=0, le=100)


class PrincipalParams(_ActorTable):
    """The principal government's preference parameters (see agents/principal.py)."""

    role: Literal["principal"]
    name: str = "principal government"
    optional: ClassVar[tuple[str, ...]] = ("discount", "currency_per_usd")
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    discount: float | None = Field(None, gt=0, lt=1)
    outside_option_share: float | None = Field(None, ge=0, le=1)
    headline_cost_usd_bn: float = Field(0.0, ge=0, le=10_000)  # domestic cost of conceding the whole share
    concession_beta: float = Field(1.0, gt=0, le=100)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")  # ISO 4217: what its money is reported in, besides $
    currency_per_usd: float | None = Field(None, gt=0, le=100_000)  # for reporting only; not bargained over


class LenderParams(_ActorTable):
    """A state lender's parameters (see agents/lender.py)."""

    role: Literal["lender"]
    name: str = "state lender"
    cost_of_funds_per_year: float | None = Field(None, ge=0, le=1)
    required_margin_per_year: float | None = Field(None, ge=0, le=1)
    state_backing_usd_bn: float = Field(0.0, ge=0, le=10_000)  # losses the government stands behind, PV $bn


class InsurerParams(_ActorTable):
    """The insurer's parameters (see agents/insurer.py)."""

    role: Literal["insurer"]
    name: str = "insurer"
    coverage_fraction: float | None = Field(None, ge=0, le=1)
    loading: float | None = Field(None, ge=0, le=10)
    guaranteed_fraction_of_fund: float | None = Field(None, ge=0, le=1)
    capacity_usd_bn: float | None = Field(None, ge=0, le=100_000)


class InvestorParams(_ActorTable):
    """A third-party investor's parameters (see agents/investor.py)."""

    role: Literal["investor"]
    name: str = "investor"
    committed_usd_bn: float | None = Field(None, ge=0, le=10_000)
    margin_per_usd: float | None = Field(None, gt=0, le=10)
    principal_parts_share: float | None = Field(None, ge=0, le=1)
    principal_parts_margin: float | None = Field(None, ge=0, le=1)


ActorParams = Annotated[CounterpartParams | PrincipalParams | LenderParams | InsurerParams | InvestorParams,
                        Field(discriminator="role")]
ROLES = ("counterpart", "principal", "lender", "insurer", "investor")  # also the order actors are listed in


class Protocol(_Strict):
    """Who proposes first, how long the negotiation may last, and what each side knows."""

    first_proposer: str = "counterpart"  # an actor key (or the role "counterpart" / "principal")
    last_proposer: str | None = None  # who has the last word (see Spec.deadline_rounds); key or role
    max_rounds: int | None = Field(None, ge=1, le=10_000)  # left out: derived (see Spec.deadline_rounds)
    round_months: float = Field(1.0, ge=0.01, le=120)
    information: Literal["complete", "incomplete"] = "complete"
    belief_noise: float = Field(0.0, ge=0, le=2)
    concession_rounds: int | None = Field(None, ge=1, le=10_000)  # left out: the rounds to the talks' deadline
    no_retraction: bool = True  # a government never asks more than it already asked (its opening bounds it)
    # the yearly risk that a refusal ends the talks for good, in each side's expectations (Binmore, Rubinstein &
    # Wolinsky 1986): it sets how much waiting is worth; a simulated run itself ends only at the deadline
    breakdown_hazard_per_year: float = Field(0.0, ge=0, le=50)
    collect_data: bool = True


class Spec(_Strict):
    """A whole scenario: the deal, the actors' parameters and the protocol."""

    name: str = "unnamed"
    description: str = ""
    deal: Deal = Deal()
    agents: dict[str, ActorParams] = Field(default_factory=dict)
    protocol: Protocol = Protocol()

    _rounds_derived: bool = PrivateAttr(default=False)  # protocol.max_rounds came from the calendar
    # what models derive from this scenario alone (economics, the true preferences' planes): computed once
    _derived: dict[Any, Any] = PrivateAttr(default_factory=dict)
    _concession_derived: bool = PrivateAttr(default=False)  # protocol.concession_rounds came from the deadline

    @model_validator(mode="after")
    def _derive_rounds(self) -> Spec:
        """Fill ``protocol.max_rounds``, when a scenario leaves it out, from the calendar.

        The whole rounds of ``protocol.round_months`` that fit in ``deal.horizon_years`` (a calendar
        deadline: quarterly rounds get a third as many), or 42 without a horizon. Overrides re-derive it
        (:func:`with_overrides`), so moving the horizon or the round length moves the deadline.
        """
        months = self.protocol.round_months
        update: dict[str, int] = {}
        if self.protocol.max_rounds is None:
            if self.deal.horizon_years is not None:
                rounds = max(1, math.floor(self.deal.horizon_years * 12.0 / months + 1e-9))
            else:
                rounds = DEFAULT_DEADLINE_ROUNDS
            if rounds > MAX_ROUNDS:
                raise ValueError(f"deal.horizon_years = {self.deal.horizon_years:g} holds {rounds:,} rounds of "
                                 f"{months:g} months; at most {MAX_ROUNDS:,} (raise protocol.round_months)")
            update["max_rounds"] = rounds
            self._rounds_derived = True
        if self.protocol.concession_rounds is None:  # concede by the talks' deadline (or by the last round)
            deadline = self.deal.talks_deadline_years
            rounds = update.get("max_rounds", self.protocol.max_rounds or DEFAULT_DEADLINE_ROUNDS)
            if deadline is not None and deadline * 12.0 / months >= 1:
                rounds = min(math.floor(deadline * 12.0 / months + 1e-9), rounds)
            update["concession_rounds"] = max(1, rounds)
            self._concession_derived = True
        if update:
            object.__setattr__(self, "protocol", self.protocol.model_copy(update=update))
        return self

    @model_validator(mode="after")
    def _complete(self) -> Spec:
        """Exactly one counterpart and one principal, at most one insurer, proposers that exist, no gaps."""
        for role, low, high in (("counterpart", 1, 1), ("principal", 1, 1), ("insurer", 0, 1)):
            n = len(self.keys_of(role))
            if not low <= n <= high:
                want = "exactly one" if low == high else f"at most {high}"
                raise ValueError(f"agents: {want} actor with role = {role!r} is needed, found {n}")
        package = self.deal.kind == "package"
        if package:  # a per-round discount factor, where given, is the government's patience: it sets the rate
            round_years = self.protocol.round_months / 12.0
            for key in self.governments:
                params = self.agents[key]
                discount = getattr(params, "discount", None)
                if discount is not None:
                    rate = -math.log(discount) / round_years
                    if rate > MAX_DISCOUNT_RATE_PER_YEAR:
                        raise ValueError(f"agents.{key}.discount = {discount:g} a round of "
                                         f"{self.protocol.round_months:g} months is a discount rate of {rate:.3g} "
                                         f"a year; at most {MAX_DISCOUNT_RATE_PER_YEAR:g}")
                    self.agents[key] = params.model_copy(update={"discount_rate_per_year": rate})
        tables: list[tuple[str, _Table]] = [(f"agents.{key}", table) for key, table in self.agents.items()
                                            if package or table.role not in ("counterpart", "principal")]
        if package:
            tables.insert(0, ("deal", self.deal))
        else:  # the unit game needs only the governments' discount factors
            counterpart, principal = self.government_tables
            for key, discount in zip(self.governments, (counterpart.discount, principal.discount), strict=True):
                if discount is None:
                    raise ValueError(f"a unit_surplus game needs agents.{key}.discount")
        for where, table in tables:
            missing = table.missing()
            if missing:
                raise ValueError(f"{where}.{missing[0]} is required")
        for name in ("first_proposer", "last_proposer"):
            value = getattr(self.protocol, name)
            if value is not None and value not in (*self.governments, "counterpart", "principal"):
                raise ValueError(f"protocol.{name}: {value!r} is not one of the governments "
                                 f"({', '.join(self.governments)})")
        return self

    def table[T: _ActorTable](self, key: str, kind: type[T]) -> T:
        """The table ``agents.<key>``, as the role's table the caller expects.

        Args:
            key: the actor's key.
            kind: its table's class (:class:`CounterpartParams`, :class:`PrincipalParams`, ...).

        Returns:
            The table.

        Raises:
            KeyError: there is no actor ``key``.
            TypeError: the actor has another role (a program error, not the scenario's).

        >>> load_scenario().table("us", CounterpartParams).role
        'counterpart'

        """
        table = self.agents[key]
        if not isinstance(table, kind):
            raise TypeError(f"agents.{key} has role {table.role!r}, not the {kind.__name__} table asked for")
        return table

    def keys_of(self, role: str) -> tuple[str, ...]:
        """The keys of the actors with ``role``, in file order."""
        cache = self._derived.setdefault("keys_of", {})
        if role not in cache:
            cache[role] = tuple(key for key, table in self.agents.items() if table.role == role)
        return cache[role]

    @property
    def governments(self) -> tuple[str, str]:
        """The keys of the counterpart and the principal."""
        return self.keys_of("counterpart")[0], self.keys_of("principal")[0]

    @property
    def government_tables(self) -> tuple[CounterpartParams, PrincipalParams]:
        """The tables of the counterpart and the principal (in the order of :attr:`governments`)."""
        counterpart, principal = self.governments
        return self.table(counterpart, CounterpartParams), self.table(principal, PrincipalParams)

    def government(self, who: str) -> str:
        """An actor key for ``who``, given as a government's key or as its role."""
        counterpart, principal = self.governments
        return {"counterpart": counterpart, "principal": principal}.get(who, who)

    @property
    def first_proposer(self) -> str:
        """The key of the government that proposes in round 1."""
        return self.government(self.protocol.first_proposer)

    @property
    def last_proposer(self) -> str | None:
        """The key of the government with the last word, if the scenario names one."""
        p = self.protocol.last_proposer
        return None if p is None else self.government(p)

    def other_government(self, key: str) -> str:
        """The other government's key."""
        counterpart, principal = self.governments
        return principal if key == counterpart else counterpart

    @property
    def deadline_rounds(self) -> int:
        """Rounds before the talks end without a deal.

        ``protocol.max_rounds`` (given, or derived from the calendar: see :meth:`_derive_rounds`). With
        ``protocol.last_proposer`` set, the talks end after the last round that side proposes in (one round
        earlier when offers, alternating from ``first_proposer``, would give the other side the final
        offer): with a deadline the final proposer's take-it-or-leave-it offer matters (Ståhl 1972), and who
        holds it is a fact of the scenario, not an accident of the calendar.
        """
        p = self.protocol
        rounds = p.max_rounds if p.max_rounds is not None else DEFAULT_DEADLINE_ROUNDS
        first = self.first_proposer
        final_proposer = first if rounds % 2 == 1 else self.other_government(first)
        last = self.last_proposer
        if last is not None and final_proposer != last and rounds > 1:
            rounds -= 1
        return rounds

    @property
    def actors(self) -> tuple[str, ...]:
        """The actors that take part, by role (counterpart, principal, lenders, insurer, investors)."""
        return tuple(key for role in ROLES for key in self.keys_of(role))


# ---------------------------------------------------------------------------------------------------------
# Loading and overrides


def _error_location(err: ValidationError) -> tuple[list[str], Any]:
    """The first error's location as the user writes it (no union tags), and the model of its table."""
    from negotiation.keys import user_path

    return user_path(err.errors()[0]["loc"], Spec)


def _did_you_mean(err: ValidationError, data: Any) -> str:
    """`` (did you mean …?)`` for a misspelt key, actor, role or choice, from the schema's real names."""
    from negotiation.keys import close, suggest_keys

    first = err.errors()[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    parts, table = _error_location(err)
    near: str | None = None
    if kind == "extra_forbidden" and parts:
        near = " or ".join(suggest_keys(parts, data, table)) or None
    elif kind == "union_tag_not_found" and len(parts) >= 2 and isinstance(data, dict):
        known = [k for k, v in (_get(data, parts[:-1]) or {}).items() if k != parts[-1] and isinstance(v, dict)]
        found = close(parts[-1], known)
        near = ".".join([*parts[:-1], found]) if found else None
    elif kind in ("union_tag_invalid", "literal_error"):
        expected = ctx.get("expected_tags") or ctx.get("expected") or ""
        got = ctx.get("tag", first.get("input"))
        found = close(str(got), re.findall(r"'([^']*)'", expected)) if isinstance(got, str) else None
        near = repr(found) if found else None
    elif kind == "value_error":  # a validator's "'jpan' is not one of … (us, japan)"
        m = re.search(r"'([^']*)' is not one of [^(]*\(([^)]*)\)", first["msg"])
        found = close(m.group(1), [w.strip() for w in m.group(2).split(",")]) if m else None
        near = repr(found) if found else None
    return f" (did you mean {near}?)" if near else ""


def _get(data: Any, parts: list[str]) -> Any:
    """The value at dotted ``parts`` of a nested dict (``None`` if it is not there)."""
    for part in parts:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _format_error(err: ValidationError, source: str, data: Any = None, key: str | None = None) -> str:
    """One line for a validation error: ``source: key: what is wrong (got …) (did you mean …?)``.

    Args:
        err: pydantic's error (its first error is reported).
        source: what the user gave (a file, or ``--set KEY=VALUE``).
        data: the parsed scenario, for suggestions among its actors.
        key: the dotted key ``source`` already names (a ``--set`` option's), left out of the line.

    Returns:
        The message, without a trailing newline.

    """
    first = err.errors()[0]
    parts, _ = _error_location(err)
    ctx = first.get("ctx") or {}
    if first["type"] == "union_tag_invalid":  # the discriminator's value is wrong: name that key
        parts = [*parts, str(ctx.get("discriminator", "role")).strip("'")]
    loc = ".".join(parts)
    msg = first["msg"].removeprefix("Value error, ")
    hint = _did_you_mean(err, data)
    where = f"{source}: " if key is not None and loc == key else f"{source}: {loc}: " if loc else f"{source}: "
    roles = ", ".join(ROLES)
    if first["type"] == "union_tag_invalid":
        return f"{where}unknown role {ctx.get('tag')!r}{hint}: an actor's table needs role = one of {roles}"
    if first["type"] == "union_tag_not_found":
        actors = _get(data, parts[:-1]) if isinstance(data, dict) else None
        known = [k for k, v in (actors or {}).items() if k != parts[-1] and isinstance(v, dict)]
        listed = f"the scenario's actors: {', '.join(known)}; " if known else ""
        return f"{where}unknown actor or missing role{hint} ({listed}an actor's table needs role = one of {roles})"
    if not loc:
        return f"{source}: {msg}{hint}"
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    value = first.get("input")
    shown = "" if first["type"] in ("extra_forbidden", "missing") or isinstance(value, dict) else f" (got {value!r})"
    return f"{where}{msg}{shown}{hint}"


def value_at(spec: Spec, key: str) -> Any:
    """A scenario value by dotted key (``None`` when the scenario does not have it).

    >>> value_at(load_scenario(), "agents.us.role")
    'counterpart'
    """
    node: Any = spec
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse a ``KEY=VALUE`` override; the value is a TOML value, or a bare string.

    >>> parse_override("deal.equity_fraction=0.2")
    (['deal', 'equity_fraction'], 0.2)
    >>> parse_override("protocol.information=complete")
    (['protocol', 'information'], 'complete')
    """
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. deal.equity_fraction=0.2")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    path = key.split(".")
    if not key or any(not p for p in path):
        raise ScenarioError(f"--set {text!r}: malformed key {key!r}")
    try:
        document = tomllib.loads(f"v = {raw}")
        if list(document) != ["v"]:  # a newline in the value smuggled more TOML in: one value only
            raise ScenarioError(f"--set {key}: {raw!r} is more than one TOML value")
        value = document["v"]
    except tomllib.TOMLDecodeError:
        if raw and all(c.isalnum() or c in "_-" for c in raw):
            value = raw  # a bare word such as `complete`
        else:
            raise ScenarioError(f"--set {key}: {raw!r} is not a TOML value") from None
    return path, value


def apply_override(data: dict[str, Any], path: list[str], value: Any, source: str = "--set") -> None:
    """Set ``value`` at the dotted ``path`` in a nested dict, creating actor tables as needed."""
    node = data
    for i, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ScenarioError(f"{source}: {'.'.join(path[: i + 1])} is not a table")
        node = child
    node[path[-1]] = value


def spec_from_dict(data: dict[str, Any], source: str = "scenario") -> Spec:
    """Validate a parsed scenario (nested dict) into a :class:`Spec`."""
    try:
        return Spec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_error(err, source, data)) from None


MAX_TOML_BYTES = 1 << 20  # a scenario, sweep or patterns file is a few kB; anything past 1 MiB is not one
MAX_TOML_DEPTH = 32  # tables and arrays nested deeper than this are no scenario (and would exhaust the stack)
MAX_KEY_PARTS = 256  # tomllib's time grows with the square of a dotted key's parts (50,000 parts: ~40 s)
MAX_BASE_CHAIN = 32  # ``base =`` files read for one scenario
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_LONG_KEY = re.compile(rf"^[ \t]*\[*[ \t]*{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{{MAX_KEY_PARTS}}}", re.MULTILINE)


def shown_path(path: str | Path | bytes, limit: int = 160) -> str:
    r"""A path as one printable line: control characters escaped, the middle of a very long path elided.

    Args:
        path: the path as the user gave it.
        limit: the most characters shown.

    Returns:
        The path, safe to print in a one-line message.

    >>> shown_path("a" + chr(10) + "b.toml")
    'a\\nb.toml'
    >>> len(shown_path("x" * 5000))
    160

    """
    text = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) > limit:
        half = (limit - 1) // 2
        text = text[:half] + "…" + text[len(text) - (limit - 1 - half):]
    return text


def read_small_file(path: str | Path, limit: int = MAX_TOML_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is a :class:`ScenarioError`.

    The file is opened without blocking (a FIFO nobody writes to is refused, not waited on), must be a regular
    file (not a device such as ``/dev/zero``, a FIFO or a folder, also behind a symlink), and is read only up to
    the limit (files in ``/proc`` report size 0). Every OS error becomes one line naming the path.

    Args:
        path: the file.
        limit: the largest size accepted, in bytes.

    Returns:
        The file's contents.

    Raises:
        ScenarioError: the path cannot be read as a small regular file.

    """
    shown = shown_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such file") from None
    except ValueError:  # an embedded NUL byte
        raise ScenarioError(f"{shown}: not a valid path (it contains a NUL byte)") from None
    except OSError as err:
        raise ScenarioError(f"{shown}: cannot open ({err.strerror or err.__class__.__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                    else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a socket")
            raise ScenarioError(f"{shown}: not a regular file ({kind})")
        if info.st_size > limit:
            raise ScenarioError(f"{shown}: too large ({info.st_size:,} bytes; at most {limit:,})")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ScenarioError(f"{shown}: too large (more than {limit:,} bytes)")
        return b"".join(chunks)
    except OSError as err:
        raise ScenarioError(f"{shown}: cannot read ({err.strerror or err.__class__.__name__})") from None
    finally:
        os.close(fd)


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest in parsed TOML (iterative: the value may be deeper than the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_TOML_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; any problem with the file or its text is a one-line :class:`ScenarioError`.

    Args:
        path: the file (a small regular file: see :func:`read_small_file`).

    Returns:
        The parsed document.

    Raises:
        ScenarioError: the file cannot be read, is not UTF-8, is malformed or nests too deeply.

    """
    return parse_toml(read_small_file(path), path)


def parse_toml(raw: bytes, path: str | Path) -> dict[str, Any]:
    """Parse a TOML file's bytes (read by :func:`read_small_file`); problems name ``path`` on one line.

    Args:
        raw: the file's contents.
        path: where they came from (for messages).

    Returns:
        The parsed document.

    Raises:
        ScenarioError: the text is not UTF-8, is malformed, has an absurdly long dotted key or nests too deeply.

    """
    shown = shown_path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ScenarioError(f"{shown}: not UTF-8 text (line {line})") from None
    long_key = _LONG_KEY.search(text)
    if long_key:
        line = text.count("\n", 0, long_key.start()) + 1
        raise ScenarioError(f"{shown}: line {line}: a key of more than {MAX_KEY_PARTS} dotted parts")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{shown}: malformed TOML: {err}") from None
    except RecursionError:
        raise ScenarioError(f"{shown}: malformed TOML: nested too deeply (at most {MAX_TOML_DEPTH} levels)") from None
    if _depth(data) > MAX_TOML_DEPTH:
        raise ScenarioError(f"{shown}: nested too deeply (at most {MAX_TOML_DEPTH} levels of tables and arrays)")
    return data


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_with_base(path: Path, seen: tuple[Path, ...], given: Path | None = None) -> dict[str, Any]:
    """Read a scenario with its ``base`` chain.

    A top-level ``base = "other.toml"`` (relative to the file) is read first and the file's own tables
    override it key by key, so a counterfactual lists only what it changes. A top-level
    ``without = ["tsmc"]`` removes actors the base has. Every file is read by :func:`read_toml` (through
    ``given``, the name as written, when there is one, so messages name what the user wrote); a chain longer
    than ``MAX_BASE_CHAIN`` files, or one that comes back to a file, is an error.
    """
    data = read_toml(given or path)
    base = data.pop("base", None)
    without = data.pop("without", [])
    if not isinstance(without, list) or not all(isinstance(k, str) for k in without):
        raise ScenarioError(f"{shown_path(path)}: without: expected a list of actor keys, e.g. without = [\"tsmc\"]")
    if base is None:
        if without:
            raise ScenarioError(f"{shown_path(path)}: without: only a scenario with a base can leave actors out")
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{shown_path(path)}: base: expected a file name")
    try:
        base_path = (path.parent / base).resolve()
    except (OSError, RuntimeError, ValueError) as err:  # a symlink loop (RuntimeError on 3.12), a NUL byte
        raise ScenarioError(f"{shown_path(path)}: base: {shown_path(base)}: cannot resolve ({err})") from None
    if base_path in seen:
        raise ScenarioError(f"{shown_path(path)}: base: {shown_path(base)} includes itself")
    if len(seen) >= MAX_BASE_CHAIN:
        raise ScenarioError(f"{shown_path(path)}: base: more than {MAX_BASE_CHAIN} files in the base chain")
    merged = _read_with_base(base_path, (*seen, base_path), given=path.parent / base)
    agents = dict(merged.get("agents", {}))
    for key in without:
        if key not in agents:
            from negotiation.keys import close

            near = close(key, list(agents))
            hint = f" (did you mean {near!r}?)" if near else ""
            raise ScenarioError(f"{shown_path(path)}: without: {key!r} is not an actor of {shown_path(base)} "
                                f"(its actors: {', '.join(agents) or 'none'}){hint}")
        del agents[key]
    if without:
        merged["agents"] = agents
    return _merge(merged, data)


def _file_that_sets(path: Path, parts: list[str]) -> str:
    """The file of ``path``'s ``base`` chain that wrote the key at ``parts``, as an error's source.

    The file that holds the longest prefix of ``parts`` wins (the top-most one on a tie, as it overrides
    its bases); a key no file holds (a missing one) is the top file's. Only called on an error: the chain
    is read again.

    Args:
        path: the scenario file as the user gave it.
        parts: the error's location, as the user writes it (``["deal", "horizon_years"]``).

    Returns:
        ``path`` shown, or ``"<base file> (the base of <path>)"`` when a base wrote the key.

    """
    best, best_depth = path, 0
    current: Path | None = path
    given: Path = path
    for _ in range(MAX_BASE_CHAIN + 1):
        if current is None:
            break
        try:
            data = read_toml(given)
        except ScenarioError:
            break
        node: Any = data
        depth = 0
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                break
            node, depth = node[part], depth + 1
        if depth > best_depth:
            best, best_depth = given, depth
        base = data.get("base")
        if not isinstance(base, str):
            break
        given = current.parent / base
        current = given.resolve()
    if best == path:
        return str(path)
    return f"{shown_path(best)} (the base of {shown_path(path)})"


def read_scenario(path: str | Path) -> dict[str, Any]:
    """A scenario file's contents with its ``base`` chain merged in, not yet validated."""
    path = Path(path).resolve()
    return _read_with_base(path, seen=(path,))


def runs_file(name: str) -> Path:
    """``runs/<name>`` in the working folder if present, else the copy shipped with the package."""
    local = Path("runs") / name
    if local.is_file():
        return local
    shipped = resources.files("negotiation") / "data" / name
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "runs" / name


def default_scenario_path() -> Path:
    """``runs/baseline.toml`` in the working folder if present, else the copy shipped with the package."""
    return runs_file("baseline.toml")


def load_scenario(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Spec:
    """Load and validate a scenario file, applying ``--set`` style overrides first.

    Args:
        path: the TOML file; ``None`` means the baseline.
        overrides: ``dotted.key=value`` strings.

    Returns:
        The validated :class:`Spec`.

    """
    path = Path(path) if path is not None else default_scenario_path()
    data = _read_with_base(path, seen=())
    for text in overrides:
        key_path, value = parse_override(text)
        apply_override(data, key_path, value)
    try:
        return Spec.model_validate(data)
    except ValidationError as err:
        source = _file_that_sets(path, _error_location(err)[0]) if not overrides else str(path)
        raise ScenarioError(_format_error(err, source, data)) from None


def _overlaps(a: list[str], b: list[str]) -> bool:
    """Whether one dotted path lies inside the other (``deal`` and ``deal.fund_usd_bn``)."""
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


def load_scenario_with_sets(path: str | Path | None = None, sets: list[str] | tuple[str, ...] = ()) -> Spec:
    """:func:`load_scenario`, with errors that name the ``--set`` option that caused them, not the file.

    The file (with its ``base`` chain) and the overrides are validated together, as :func:`load_scenario`
    does, so an override may supply what the file leaves out. When that fails, the error names the
    ``--set KEY=VALUE`` whose key the failing location lies in (``--set deal.x=1: unknown key``); an error
    no override touches names the file if the file alone fails too, else all the overrides.

    Args:
        path: the TOML file; ``None`` means the baseline.
        sets: ``dotted.key=value`` strings, in order (a later one wins).

    Returns:
        The validated :class:`Spec`.

    Raises:
        ScenarioError: the file or an override is wrong; the message says which.

    """
    path = Path(path) if path is not None else default_scenario_path()
    data = _read_with_base(path, seen=())
    file_data = copy.deepcopy(data)
    parsed: list[tuple[str, list[str]]] = []
    for text in sets:
        key_path, value = parse_override(text)
        option = f"--set {text.strip()}"
        apply_override(data, key_path, value, source=option)
        parsed.append((option, key_path))
    try:
        return Spec.model_validate(data)
    except ValidationError as err:
        if not parsed:
            raise ScenarioError(_format_error(err, _file_that_sets(path, _error_location(err)[0]), data)) from None
        loc, _ = _error_location(err)
        for option, key_path in reversed(parsed):
            if _overlaps(loc, key_path):
                raise ScenarioError(_format_error(err, option, data, ".".join(key_path))) from None
        try:
            Spec.model_validate(file_data)
        except ValidationError as file_err:
            source = _file_that_sets(path, _error_location(file_err)[0])
            raise ScenarioError(_format_error(file_err, source, file_data)) from None
        raise ScenarioError(_format_error(err, " ".join(option for option, _ in parsed), data)) from None


def with_overrides(spec: Spec, values: dict[str, Any], source: str = "override") -> Spec:
    """A copy of ``spec`` with dotted-key overrides applied and validated."""
    data = spec.model_dump(exclude_none=True)
    if spec._rounds_derived:  # derived from the calendar: derive it again from the overridden scenario
        data["protocol"].pop("max_rounds", None)
    if spec._concession_derived:
        data["protocol"].pop("concession_rounds", None)
    for key, value in values.items():
        apply_override(data, key.split("."), value, source=source)
    return spec_from_dict(data, source=source)
