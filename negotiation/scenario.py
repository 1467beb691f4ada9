"""Scenario schema: the validated configuration of one negotiation, loaded from TOML.

A scenario is data. Every number in it names its source in the TOML file's comments (``runs/*.toml``) or is
an assumption listed there with its range; this module only says what each key means, its unit and the
values it may take. User errors raise :class:`ScenarioError`, whose message names the key, file or line.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

ACTORS = ("us", "japan", "jbic", "nexi", "tsmc")
DEFAULT_DEADLINE_ROUNDS = 42  # when a scenario gives neither protocol.max_rounds nor deal.horizon_years


class ScenarioError(ValueError):
    """A user's input is wrong: the message names the key, file or line, and the CLI exits 2 with it."""


class _Strict(BaseModel):
    """Base for every table: unknown keys are errors, numbers must be finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: Any) -> Any:
        field = cls.model_fields[info.field_name]
        if isinstance(value, bool) and field.annotation in (float, int, float | None, int | None):
            raise ValueError("expected a number, got a boolean")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


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
    jpy_per_usd: float | None = Field(None, gt=0)  # for reporting money in yen too; not used by the bargaining

    optional: ClassVar[tuple[str, ...]] = ("jpy_per_usd",)


class USParams(_Table):
    """The US government's preference parameters (see agents/us.py)."""

    optional: ClassVar[tuple[str, ...]] = ("discount",)
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    discount: float | None = Field(None, gt=0, lt=1)
    onshore_value_per_usd: float | None = Field(None, ge=0, le=10)
    relief_cost_weight: float | None = Field(None, ge=0, le=10)
    concession_beta: float = Field(1.0, gt=0, le=100)


class JapanParams(_Table):
    """Japan's government preference parameters (see agents/japan.py)."""

    optional: ClassVar[tuple[str, ...]] = ("discount",)
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    discount: float | None = Field(None, gt=0, lt=1)
    outside_option_share: float | None = Field(None, ge=0, le=1)
    concession_beta: float = Field(1.0, gt=0, le=100)


class JBICParams(_Table):
    """JBIC's lending parameters (see agents/jbic.py)."""

    cost_of_funds_per_year: float | None = Field(None, ge=0, le=1)
    required_margin_per_year: float | None = Field(None, ge=0, le=1)


class NEXIParams(_Table):
    """NEXI's insurance parameters (see agents/nexi.py)."""

    coverage_fraction: float | None = Field(None, ge=0, le=1)
    loading: float | None = Field(None, ge=0, le=10)
    guaranteed_fraction_of_fund: float | None = Field(None, ge=0, le=1)
    capacity_usd_bn: float | None = Field(None, ge=0)


class TSMCParams(_Table):
    """TSMC's investment parameters (see agents/tsmc.py)."""

    committed_usd_bn: float | None = Field(None, ge=0)
    margin_per_usd: float | None = Field(None, gt=0, le=10)
    japanese_parts_share: float | None = Field(None, ge=0, le=1)
    parts_tariff_cut: float | None = Field(None, ge=0, le=1)
    japanese_parts_margin: float | None = Field(None, ge=0, le=1)


class Agents(_Strict):
    """One table per actor; a missing table means that actor takes no part (US and Japan always do)."""

    us: USParams = USParams()
    japan: JapanParams = JapanParams()
    jbic: JBICParams | None = None
    nexi: NEXIParams | None = None
    tsmc: TSMCParams | None = None


class Protocol(_Strict):
    """Who proposes first, how long the negotiation may last, and what each side knows."""

    first_proposer: Literal["us", "japan"] = "us"
    last_proposer: Literal["us", "japan"] | None = None  # who has the last word (see Spec.deadline_rounds)
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
    agents: Agents = Agents()
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
        tables: list[tuple[str, _Table]] = []
        if self.deal.kind == "package":
            tables += [("deal", self.deal), ("agents.us", self.agents.us), ("agents.japan", self.agents.japan)]
        elif self.agents.us.discount is None or self.agents.japan.discount is None:
            raise ValueError("a unit_surplus game needs agents.us.discount and agents.japan.discount")
        for actor in ("jbic", "nexi", "tsmc"):
            table = getattr(self.agents, actor)
            if table is not None:
                tables.append((f"agents.{actor}", table))
        for where, table in tables:
            missing = table.missing()
            if missing:
                raise ValueError(f"{where}.{missing[0]} is required")
        return self

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
        final_proposer = p.first_proposer if rounds % 2 == 1 else ("japan" if p.first_proposer == "us" else "us")
        if p.last_proposer is not None and final_proposer != p.last_proposer and rounds > 1:
            rounds -= 1
        return rounds

    @property
    def actors(self) -> tuple[str, ...]:
        """The actors that take part, in the canonical order."""
        return tuple(a for a in ACTORS if getattr(self.agents, a) is not None)


# ---------------------------------------------------------------------------------------------------------
# Loading and overrides


def _format_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if not loc:
        return f"{source}: {msg}"
    if first["type"] == "extra_forbidden":
        parts = loc.split(".")
        if len(parts) == 2 and parts[0] == "agents":
            msg = f"unknown actor (expected one of {', '.join(ACTORS)})"
        else:
            msg = "unknown key"
    value = first.get("input")
    shown = "" if first["type"] in ("extra_forbidden", "missing") or isinstance(value, dict) else f" (got {value!r})"
    return f"{source}: {loc}: {msg}{shown}"


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
        raise ScenarioError(_format_error(err, source)) from None


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
    override it key by key, so a counterfactual lists only what it changes.
    """
    data = read_toml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: base: expected a file name")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise ScenarioError(f"{path}: base: {base} includes itself")
    return _merge(_read_with_base(base_path, (*seen, base_path)), data)


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


def with_overrides(spec: Spec, values: dict[str, Any], source: str = "override") -> Spec:
    """A copy of ``spec`` with dotted-key overrides applied and validated."""
    data = spec.model_dump(exclude_none=True)
    if spec._rounds_derived:  # derived from the calendar: derive it again from the overridden scenario
        data["protocol"].pop("max_rounds", None)
    for key, value in values.items():
        apply_override(data, key.split("."), value, source=source)
    return spec_from_dict(data, source=source)
