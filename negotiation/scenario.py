"""Scenario schema: the validated configuration of one negotiation, loaded from TOML.

A scenario is data. Every number in it names its source in the TOML file's comments (``runs/*.toml``) or is
an assumption listed there with its range; this module only says what each key means, its unit and the
values it may take. User errors raise :class:`ScenarioError`, whose message names the key, file or line.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

DEFAULT_DEADLINE_ROUNDS = 42  # when a scenario gives neither protocol.max_rounds nor deal.horizon_years


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


class Deal(_Table):
    """The deal's facts and the economics of what is bargained over (FACTS.md rows, or assumptions)."""

    kind: Literal["package", "unit_surplus"] = "package"
    fund_usd_bn: float | None = Field(None, gt=0)
    equity_fraction: float | None = Field(None, ge=0.0, le=1.0)
    japan_opening_us_share: float | None = Field(None, ge=0.0, le=1.0)
    tariff_relief_max_usd_bn_per_year: float | None = Field(None, ge=0)
    horizon_years: float | None = Field(None, gt=0, le=50)
    tariff_threat: bool = True
    duty_at_stake_usd_bn_per_year: float | None = Field(None, ge=0)
    relief_life_years: float | None = Field(None, gt=0, le=100)
    two_phase: bool = True
    phase1_us_share: float | None = Field(None, ge=0.0, le=1.0)
    recoup_rate_per_year: float | None = Field(None, ge=0, le=1)
    project_cash_yield_per_year: float | None = Field(None, gt=0, le=5)
    build_years: float | None = Field(None, ge=0, le=30)
    profit_life_years: float | None = Field(None, gt=0, le=100)
    project_failure_probability: float | None = Field(None, ge=0, lt=1)
    recovery_fraction: float | None = Field(None, ge=0, le=1)


class _ActorTable(_Table):
    """The table of one actor, ``[agents.<key>]``: its role, display name, and the role's parameters."""

    name: str = ""


class CounterpartParams(_ActorTable):
    """The counterpart government's preference parameters (see agents/counterpart.py)."""

    role: Literal["counterpart"]
    name: str = "counterpart government"
    optional: ClassVar[tuple[str, ...]] = ("discount",)
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    discount: float | None = Field(None, gt=0, lt=1)
    onshore_value_per_usd: float | None = Field(None, ge=0, le=10)
    relief_cost_weight: float | None = Field(None, ge=0, le=10)
    concession_beta: float = Field(1.0, gt=0, le=100)


class PrincipalParams(_ActorTable):
    """The principal government's preference parameters (see agents/principal.py)."""

    role: Literal["principal"]
    name: str = "principal government"
    optional: ClassVar[tuple[str, ...]] = ("discount", "currency_per_usd")
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    discount: float | None = Field(None, gt=0, lt=1)
    outside_option_share: float | None = Field(None, ge=0, le=1)
    concession_beta: float = Field(1.0, gt=0, le=100)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")  # ISO 4217: what its money is reported in, besides $
    currency_per_usd: float | None = Field(None, gt=0)  # for reporting money in its currency; not bargained over


class LenderParams(_ActorTable):
    """A state lender's parameters (see agents/lender.py)."""

    role: Literal["lender"]
    name: str = "state lender"
    cost_of_funds_per_year: float | None = Field(None, ge=0, le=1)
    required_margin_per_year: float | None = Field(None, ge=0, le=1)


class InsurerParams(_ActorTable):
    """The insurer's parameters (see agents/insurer.py)."""

    role: Literal["insurer"]
    name: str = "insurer"
    coverage_fraction: float | None = Field(None, ge=0, le=1)
    loading: float | None = Field(None, ge=0, le=10)
    guaranteed_fraction_of_fund: float | None = Field(None, ge=0, le=1)
    capacity_usd_bn: float | None = Field(None, ge=0)


class InvestorParams(_ActorTable):
    """A third-party investor's parameters (see agents/investor.py)."""

    role: Literal["investor"]
    name: str = "investor"
    committed_usd_bn: float | None = Field(None, ge=0)
    margin_per_usd: float | None = Field(None, gt=0, le=10)
    principal_parts_share: float | None = Field(None, ge=0, le=1)
    parts_tariff_cut: float | None = Field(None, ge=0, le=1)
    principal_parts_margin: float | None = Field(None, ge=0, le=1)


ActorParams = Annotated[CounterpartParams | PrincipalParams | LenderParams | InsurerParams | InvestorParams,
                        Field(discriminator="role")]
ROLES = ("counterpart", "principal", "lender", "insurer", "investor")  # also the order actors are listed in


class Protocol(_Strict):
    """Who proposes first, how long the negotiation may last, and what each side knows."""

    first_proposer: str = "counterpart"  # an actor key (or the role "counterpart" / "principal")
    last_proposer: str | None = None  # who has the last word (see Spec.deadline_rounds); key or role
    max_rounds: int | None = Field(None, ge=1, le=100_000)  # left out: derived (see Spec.deadline_rounds)
    round_months: float = Field(1.0, gt=0, le=120)
    information: Literal["complete", "incomplete"] = "complete"
    belief_noise: float = Field(0.0, ge=0, le=2)
    concession_rounds: int = Field(1, ge=1, le=10_000)
    collect_data: bool = True


class Spec(_Strict):
    """A whole scenario: the deal, the actors' parameters and the protocol."""

    name: str = "unnamed"
    description: str = ""
    deal: Deal = Deal()
    agents: dict[str, ActorParams] = Field(default_factory=dict)
    protocol: Protocol = Protocol()

    _rounds_derived: bool = PrivateAttr(default=False)  # protocol.max_rounds came from the calendar

    @model_validator(mode="after")
    def _derive_rounds(self) -> Spec:
        """Fill ``protocol.max_rounds``, when a scenario leaves it out, from the calendar.

        The whole rounds of ``protocol.round_months`` that fit in ``deal.horizon_years`` (a calendar
        deadline: quarterly rounds get a third as many), or 42 without a horizon. Overrides re-derive it
        (:func:`with_overrides`), so moving the horizon or the round length moves the deadline.
        """
        if self.protocol.max_rounds is None:
            if self.deal.horizon_years is not None:
                rounds = max(1, math.floor(self.deal.horizon_years * 12.0 / self.protocol.round_months + 1e-9))
            else:
                rounds = DEFAULT_DEADLINE_ROUNDS
            object.__setattr__(self, "protocol", self.protocol.model_copy(update={"max_rounds": rounds}))
            self._rounds_derived = True
        return self

    @model_validator(mode="after")
    def _complete(self) -> Spec:
        """Exactly one counterpart and one principal, at most one insurer, proposers that exist, no gaps."""
        for role, low, high in (("counterpart", 1, 1), ("principal", 1, 1), ("insurer", 0, 1)):
            n = len(self.keys_of(role))
            if not low <= n <= high:
                want = "exactly one" if low == high else f"at most {high}"
                raise ValueError(f"agents: {want} actor with role = {role!r} is needed, found {n}")
        tables: list[tuple[str, _Table]] = [(f"agents.{key}", table) for key, table in self.agents.items()]
        if self.deal.kind == "package":
            tables.insert(0, ("deal", self.deal))
        else:  # the unit game needs only the governments' discount factors
            for key in self.governments:
                if self.agents[key].discount is None:  # type: ignore[union-attr]
                    raise ValueError(f"a unit_surplus game needs agents.{key}.discount")
            tables = [(w, t) for w, t in tables if t.role not in ("counterpart", "principal")]  # type: ignore[attr-defined]
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

    def keys_of(self, role: str) -> tuple[str, ...]:
        """The keys of the actors with ``role``, in file order."""
        return tuple(key for key, table in self.agents.items() if table.role == role)

    @property
    def governments(self) -> tuple[str, str]:
        """The keys of the counterpart and the principal."""
        return self.keys_of("counterpart")[0], self.keys_of("principal")[0]

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
        value = tomllib.loads(f"v = {raw}")["v"]
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


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing or malformed file into a :class:`ScenarioError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read ({err.__class__.__name__})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: malformed TOML: {err}") from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_with_base(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read a scenario with its ``base`` chain.

    A top-level ``base = "other.toml"`` (relative to the file) is read first and the file's own tables
    override it key by key, so a counterfactual lists only what it changes. A top-level
    ``without = ["tsmc"]`` removes actors the base has.
    """
    data = read_toml(path)
    base = data.pop("base", None)
    without = data.pop("without", [])
    if not isinstance(without, list) or not all(isinstance(k, str) for k in without):
        raise ScenarioError(f"{path}: without: expected a list of actor keys, e.g. without = [\"tsmc\"]")
    if base is None:
        if without:
            raise ScenarioError(f"{path}: without: only a scenario with a base can leave actors out")
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: base: expected a file name")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise ScenarioError(f"{path}: base: {base} includes itself")
    merged = _read_with_base(base_path, (*seen, base_path))
    agents = dict(merged.get("agents", {}))
    for key in without:
        if key not in agents:
            raise ScenarioError(f"{path}: without: {key!r} is not an actor of {base} "
                                f"(its actors: {', '.join(agents) or 'none'})")
        del agents[key]
    if without:
        merged["agents"] = agents
    return _merge(merged, data)


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
    return spec_from_dict(data, source=str(path))


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
            raise ScenarioError(_format_error(err, str(path), data)) from None
        loc, _ = _error_location(err)
        for option, key_path in reversed(parsed):
            if _overlaps(loc, key_path):
                raise ScenarioError(_format_error(err, option, data, ".".join(key_path))) from None
        try:
            Spec.model_validate(file_data)
        except ValidationError as file_err:
            raise ScenarioError(_format_error(file_err, str(path), file_data)) from None
        raise ScenarioError(_format_error(err, " ".join(option for option, _ in parsed), data)) from None


def with_overrides(spec: Spec, values: dict[str, Any], source: str = "override") -> Spec:
    """A copy of ``spec`` with dotted-key overrides applied and validated."""
    data = spec.model_dump(exclude_none=True)
    if spec._rounds_derived:  # derived from the calendar: derive it again from the overridden scenario
        data["protocol"].pop("max_rounds", None)
    for key, value in values.items():
        apply_override(data, key.split("."), value, source=source)
    return spec_from_dict(data, source=source)
