"""Scenario files: reading a scenario with its ``base`` chain, ``--set`` overrides, and one-line errors.

The schema (:mod:`negotiation.scenario`) says what a scenario may hold; this module turns what the user gives
into a validated :class:`~negotiation.scenario.Spec`: a TOML file (read by :func:`negotiation.inputs.read_toml`)
merged over the files its ``base =`` names, ``KEY=VALUE`` overrides applied, and every validation error put
in one line that names the file of the chain (or the ``--set`` option) that wrote the key, with a suggestion
where a name is misspelt. User errors raise :class:`~negotiation.inputs.ScenarioError`.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from negotiation.inputs import ScenarioError, beside, close, read_toml, shown_path
from negotiation.keypaths import TagNames, error_location, format_error
from negotiation.scenario import Spec
from negotiation.values import TomlTable, TomlValue

MAX_BASE_CHAIN = 32  # ``base =`` files read for one scenario
ACTORS = TagNames(entry="actor", tag="role", given="the scenario's actors")  # how errors name agents.<key>


def value_at(spec: Spec, key: str) -> Any:  # any key's value: the caller narrows it
    """A scenario value by dotted key (``None`` when the scenario does not have it).

    >>> value_at(load_scenario(), "agents.us.role")
    'counterpart'
    """
    node: object = spec
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node


def parse_override(text: str) -> tuple[list[str], TomlValue]:
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
    value: TomlValue
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


def apply_override(data: TomlTable, path: list[str], value: TomlValue, source: str = "--set") -> None:
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


def _format(err: ValidationError, source: str, data: TomlTable | None = None, key: str | None = None) -> str:
    """A scenario's validation error in one line (:func:`negotiation.keypaths.format_error` on the schema)."""
    return format_error(err, source, data, key, names=ACTORS)


def _other_kind(path: Path, data: TomlTable) -> str | None:
    """What a file that is no scenario looks like, and the command that reads it; ``None`` if it may be one.

    A sweep, sensitivity or calibration file names a scenario (``scenario = "…"``) and has no ``deal`` or
    ``agents`` table; a patterns file is a list of ``[[pattern]]`` tables.

    Args:
        path: the file as the user gave it.
        data: its contents (with any ``base`` chain merged in).

    Returns:
        A hint such as ``"this looks like a sweep file …; run it with chipdeal sweep PATH"``, or ``None``.

    """
    shown = shown_path(path)
    if isinstance(data.get("pattern"), list) and "deal" not in data and "agents" not in data:
        return (f"this looks like a patterns file, not a scenario; it filters a sweep's runs: "
                f"chipdeal report DIR --patterns {shown}")
    if not isinstance(data.get("scenario"), str) or "deal" in data or "agents" in data:
        return None
    if "method" in data or "inputs" in data:
        kind, command = "sensitivity spec", "sensitivity"
    elif "prior" in data or "population" in data or "epsilon" in data:
        kind, command = "calibration spec", "calibrate"
    else:
        kind, command = "sweep file", "sweep"
    return (f"this looks like a {kind} (it names a scenario to run), not a scenario; "
            f"run it with chipdeal {command} {shown}")


def _refused(err: ValidationError, path: Path, data: TomlTable, source: str, key: str | None = None) -> ScenarioError:
    """The one-line error of a scenario that fails validation, or the hint that the file is another kind."""
    hint = _other_kind(path, data)
    if hint is not None:
        return ScenarioError(f"{shown_path(path)}: {hint}")
    return ScenarioError(_format(err, source, data, key))


def spec_from_dict(data: TomlTable, source: str = "scenario") -> Spec:
    """Validate a parsed scenario (nested dict) into a :class:`Spec`."""
    try:
        return Spec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format(err, source, data)) from None


def _merge(base: TomlTable, top: TomlTable) -> TomlTable:
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        out[key] = _merge(below, value) if isinstance(value, dict) and isinstance(below, dict) else value
    return out


def _read_with_base(path: Path, seen: tuple[Path, ...], given: Path | None = None) -> TomlTable:
    """Read a scenario with its ``base`` chain.

    A top-level ``base = "other.toml"`` (relative to the file) is read first and the file's own tables
    override it key by key, so a counterfactual lists only what it changes. A top-level
    ``without = ["tsmc"]`` removes actors the base has. Every file is read by :func:`read_toml` (through
    ``given``, the name as written, when there is one, so messages name what the user wrote); a chain longer
    than ``MAX_BASE_CHAIN`` files, or one that comes back to a file, is an error.
    """
    data: TomlTable = read_toml(given or path)
    base = data.pop("base", None)
    without = data.pop("without", [])
    if not isinstance(without, list) or not all(isinstance(k, str) for k in without):
        raise ScenarioError(f"{shown_path(path)}: without: expected a list of actor keys, e.g. without = [\"tsmc\"]")
    leaving = [k for k in without if isinstance(k, str)]
    if base is None:
        if without:
            raise ScenarioError(f"{shown_path(path)}: without: only a scenario with a base can leave actors out")
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{shown_path(path)}: base: expected a file name")
    base_path = beside(path, base, "base")
    if base_path in seen:
        raise ScenarioError(f"{shown_path(path)}: base: {shown_path(base)} includes itself")
    if len(seen) >= MAX_BASE_CHAIN:
        raise ScenarioError(f"{shown_path(path)}: base: more than {MAX_BASE_CHAIN} files in the base chain")
    merged = _read_with_base(base_path, (*seen, base_path), given=path.parent / base)
    actors = merged.get("agents", {})
    agents = dict(actors) if isinstance(actors, dict) else {}
    for key in leaving:
        if key not in agents:
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
            data: TomlTable = read_toml(given)
        except ScenarioError:
            break
        node: TomlValue = data
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


def read_scenario(path: str | Path) -> TomlTable:
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
        source = _file_that_sets(path, error_location(err)[0]) if not overrides else str(path)
        raise _refused(err, path, data, source) from None


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
            raise _refused(err, path, data, _file_that_sets(path, error_location(err)[0])) from None
        loc, _ = error_location(err)
        for option, key_path in reversed(parsed):
            if _overlaps(loc, key_path):
                raise ScenarioError(_format(err, option, data, ".".join(key_path))) from None
        try:
            Spec.model_validate(file_data)
        except ValidationError as file_err:
            source = _file_that_sets(path, error_location(file_err)[0])
            raise _refused(file_err, path, file_data, source) from None
        raise ScenarioError(_format(err, " ".join(option for option, _ in parsed), data)) from None


def editable_dump(spec: Spec) -> dict[str, Any]:
    """The scenario as data to edit and validate again: what the file said, not what was derived from it.

    ``protocol.max_rounds`` and ``protocol.concession_rounds``, where they were derived from the calendar,
    are left out, so that an edited scenario derives them again (move the horizon or the threat's date, and
    the deadline and the concession clock move with it).
    """
    data = spec.model_dump(exclude_none=True)
    if spec._rounds_derived:
        data["protocol"].pop("max_rounds", None)
    if spec._concession_derived:
        data["protocol"].pop("concession_rounds", None)
    return data


def with_overrides(spec: Spec, values: Mapping[str, TomlValue], source: str = "override") -> Spec:
    """A copy of ``spec`` with dotted-key overrides applied and validated."""
    data = editable_dump(spec)
    for key, value in values.items():
        apply_override(data, key.split("."), value, source=source)
    return spec_from_dict(data, source=source)
