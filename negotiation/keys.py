"""``chipdeal keys``: every key of a scenario with its type, unit, range, value and source.

Nothing here lists a key by hand: the keys are the schema's (:mod:`negotiation.keypaths` walks it); a key's unit
comes from its name's suffix (:data:`UNITS`), its range from its ``Field`` constraints, and its source from the
trailing comment on its line in the scenario file (or the files of its ``base =`` chain): ``# FACTS: …`` or
``# ASSUMPTION: …``.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from negotiation.inputs import read_toml
from negotiation.keypaths import literal_values, strip_annotation, walk
from negotiation.scenario_files import parse_override
from negotiation.values import Json, TomlTable

# Unit by the end of a key's name, most specific first (STYLE.md: money carries its unit in the name).
UNITS: tuple[tuple[str, str], ...] = (
    ("_usd_bn_per_year", "$bn/year"),
    ("_usd_bn", "$bn"),
    ("_per_usd", "per $"),
    ("_usd", "$"),
    ("_per_year", "per year"),
    ("_rate", "ad valorem"),  # a tariff rate: duty as a fraction of the goods' value (a rate per year ends _per_year)
    ("_years", "years"),
    ("_months", "months"),
    ("_days", "days"),
    ("_rounds", "rounds"),
    ("_fraction", "fraction"),
    ("_share", "share"),
    ("_probability", "probability"),
    ("_pct", "%"),
    ("_bn", "bn"),
)
TAGS = re.compile(r"\b(FACTS?|ASSUMPTIONS?)\s*:")  # the source tags a scenario comment may carry


# ---------------------------------------------------------------------------------------------------------
# Describing a key: type, unit, range


def unit_of(name: str) -> str:
    """The unit a key's name carries in its suffix (``""`` if none).

    >>> unit_of("tariff_relief_max_usd_bn_per_year"), unit_of("horizon_years"), unit_of("concession_beta")
    ('$bn/year', 'years', '')
    >>> unit_of("threat_rate"), unit_of("recoup_rate_per_year")
    ('ad valorem', 'per year')
    """
    for suffix, unit in UNITS:
        if name.endswith(suffix) or name == suffix[1:]:
            return unit
    return ""


def type_of(info: FieldInfo) -> str:
    """A field's type in TOML's words: ``float``, ``int``, ``bool``, ``str``, ``choice``, ``list[float]``."""
    core, _ = strip_annotation(info.annotation)
    if get_origin(core) is Literal:
        return "choice"
    if get_origin(core) in (list, tuple):
        inner = [type_of(FieldInfo(annotation=a)) for a in get_args(core) if a is not Ellipsis]
        return f"list[{inner[0] if inner else 'any'}]"
    if get_origin(core) in (Union, types.UnionType):
        return " | ".join(type_of(FieldInfo(annotation=a)) for a in get_args(core) if a is not type(None))
    return getattr(core, "__name__", str(core))


def _number(value: object) -> str:
    """A bound or value as written: ``0.12``, ``100000``."""
    return format(value, ".12g") if isinstance(value, float) else str(value)


def range_of(info: FieldInfo) -> str:
    """A field's allowed values, from its ``Field`` constraints: ``(0, 50]``, ``≥ 0``, ``one of a, b``.

    >>> from negotiation.scenario import Deal
    >>> range_of(Deal.model_fields["horizon_years"]), range_of(Deal.model_fields["kind"])
    ('(0, 50]', 'one of package, unit_surplus')
    """
    choices = literal_values(info.annotation)
    if choices:
        return "one of " + ", ".join(str(c) for c in choices)
    _, metadata = strip_annotation(info.annotation)
    bounds: dict[str, object] = {}
    pattern = None
    for item in [*info.metadata, *metadata]:
        for name in ("gt", "ge", "lt", "le", "min_length", "max_length"):
            value = getattr(item, name, None)
            if value is not None:
                bounds[name] = value
        pattern = getattr(item, "pattern", None) or pattern
    low = ("(", bounds["gt"]) if "gt" in bounds else ("[", bounds["ge"]) if "ge" in bounds else None
    high = (")", bounds["lt"]) if "lt" in bounds else ("]", bounds["le"]) if "le" in bounds else None
    parts = []
    if low and high:
        parts.append(f"{low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}")
    elif low:
        parts.append(f"{'>' if low[0] == '(' else '≥'} {_number(low[1])}")
    elif high:
        parts.append(f"{'<' if high[0] == ')' else '≤'} {_number(high[1])}")
    if "min_length" in bounds or "max_length" in bounds:
        parts.append(f"length {bounds.get('min_length', 0)}–{bounds.get('max_length', '∞')}")
    if pattern:
        parts.append(f"matches {pattern}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Where a value comes from: the scenario file's comments


@dataclass(frozen=True)
class Source:
    """Where a key's value comes from.

    Attributes:
        origin: ``"file"`` (a scenario file of the ``base`` chain), ``"--set"``, ``"default"`` (the schema's)
            or ``"derived"`` (computed by the schema from other keys, e.g. the deadline from the horizon).
        file: the scenario file that sets it (``origin == "file"``).
        line: its line in that file.
        tags: the source tags of its comment, in order (``FACTS``, ``ASSUMPTION``).
        comment: the trailing comment on its line (and the indented comment lines right under it).

    """

    origin: str
    file: str | None = None
    line: int | None = None
    tags: tuple[str, ...] = ()
    comment: str = ""

    def to_json(self) -> dict[str, Json]:
        """The source as a JSON object."""
        return {"origin": self.origin, "file": self.file, "line": self.line, "tags": list(self.tags),
                "comment": self.comment}

    def text(self) -> str:
        """One cell of the ``keys`` table: the comment and where it is, or the origin."""
        if self.origin == "file":
            where = f"[{self.file}:{self.line}]"
            return f"{self.comment} {where}" if self.comment else where
        return self.comment or self.origin


def _split_comment(line: str, state: str | None) -> tuple[str, str, str, str | None]:
    """Split one physical line into code and comment, carrying multi-line string state across lines.

    Returns:
        The code; the code with every string's contents removed (to count brackets); the comment (without
        ``#``); and the delimiter of a multi-line string still open after the line.

    """
    code: list[str] = []
    bare: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if state is not None:  # inside a multi-line string
            end = line.find(state, i)
            if end < 0:
                code.append(line[i:])
                return "".join(code), "".join(bare), "", state
            code.append(line[i:end + 3])
            i, state = end + 3, None
            continue
        c = line[i]
        if c == "#":
            return "".join(code), "".join(bare), line[i + 1:].strip(), None
        if line.startswith('"""', i) or line.startswith("'''", i):
            state = line[i:i + 3]
            code.append(state)
            i += 3
            continue
        if c in "\"'":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if c == '"' and line[j] == "\\" else 1
            code.append(line[i:j + 1])
            i = j + 1
            continue
        code.append(c)
        bare.append(c)
        i += 1
    return "".join(code), "".join(bare), "", state


def _depth(bare: str) -> int:
    """How many brackets a line of code opens (negative: closes)."""
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def _dotted(text: str) -> list[str]:
    """A TOML dotted key (``agents."us".name``) as its parts."""
    return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text.strip())]


def comments(text: str) -> dict[str, tuple[int, str]]:
    r"""The trailing comment of every key line of a TOML text, by dotted key.

    An indented comment-only line right under a commented key line continues its comment.

    Args:
        text: the TOML file's text.

    Returns:
        Dotted key → (1-based line, comment).

    >>> comments('[deal]\nfund_usd_bn = 550  # FACTS: the size\n    # and more\nx = "a # b"\n')
    {'deal.fund_usd_bn': (2, 'FACTS: the size and more'), 'deal.x': (4, '')}

    """
    out: dict[str, tuple[int, str]] = {}
    table: list[str] = []
    state: str | None = None
    depth = 0  # open brackets of a value that spans lines
    last: str | None = None  # the key whose comment an indented comment line continues
    for number, line in enumerate(text.splitlines(), start=1):
        was_open = state is not None or depth > 0
        code, bare, comment, state = _split_comment(line, state)
        stripped = code.strip()
        if not stripped:
            if comment and last is not None and line[:1].isspace() and not was_open:
                row, before = out[last]
                out[last] = (row, f"{before} {comment}".strip())
            else:
                last = None
            continue
        if was_open:
            depth = max(depth + _depth(bare), 0)
            continue
        if stripped.startswith("["):
            table = _dotted(stripped.strip("[]"))
            last = None
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            last = None
            continue
        dotted = ".".join([*table, *_dotted(key)])
        out[dotted] = (number, comment)
        last = dotted if comment else None
        depth = max(_depth(bare.partition("=")[2]), 0)
    return out


def display_path(path: str | Path) -> str:
    """A path as the user would type it: relative to the working folder when under it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def file_sources(path: str | Path) -> dict[str, Source]:
    """The source of every key a scenario file sets, following its ``base =`` chain (the file wins).

    Args:
        path: the scenario file.

    Returns:
        Dotted key → :class:`Source` (``origin == "file"``).

    """
    path = Path(path).resolve()
    seen: list[Path] = []
    chain: list[tuple[Path, TomlTable]] = []
    while path not in seen:
        seen.append(path)
        data = read_toml(path)
        chain.append((path, data))
        base = data.get("base")
        if not isinstance(base, str):
            break
        path = (path.parent / base).resolve()
    out: dict[str, Source] = {}
    for file, data in reversed(chain):
        without = data.get("without", [])
        for actor in without if isinstance(without, list) else []:
            out = {k: v for k, v in out.items() if not k.startswith(f"agents.{actor}.")}
        for key, (line, comment) in comments(file.read_text(encoding="utf-8")).items():
            tags = tuple(dict.fromkeys("FACTS" if t.startswith("FACT") else "ASSUMPTION"
                                       for t in TAGS.findall(comment)))
            out[key] = Source("file", display_path(file), line, tags, comment)
    return out


# ---------------------------------------------------------------------------------------------------------
# The keys of one scenario


@dataclass(frozen=True)
class KeyInfo:
    """One key of a scenario: its type, unit, allowed range, value and the value's source."""

    key: str
    type: str
    unit: str
    range: str
    value: Json
    default: Json
    source: Source

    def to_json(self) -> dict[str, Json]:
        """The key as a JSON object."""
        return {"key": self.key, "type": self.type, "unit": self.unit, "range": self.range, "value": self.value,
                "default": self.default, "source": self.source.to_json()}


def _plain(value: object) -> Json:
    """A value as JSON holds it (models as dicts, tuples as lists)."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{value!r}: a scenario key holds no such value")  # a program error: the schema has none


def describe(spec: BaseModel, path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) \
        -> list[KeyInfo]:
    """Every key of a validated scenario, with its type, unit, range, value and source.

    Args:
        spec: the validated scenario.
        path: the scenario file it was read from (for the sources), if any.
        overrides: the ``--set`` options it was read with.

    Returns:
        One :class:`KeyInfo` per key, in schema order (actors in the scenario's order).

    """
    sources = file_sources(path) if path is not None else {}
    for text in overrides:
        parts, _ = parse_override(text)
        sources[".".join(parts)] = Source("--set", comment=f"--set {text.strip()}")
    out = []
    for parts, info in walk(type(spec), spec, []):
        node: object = spec
        for part in parts:
            node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
        key = ".".join(parts)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        source = sources.get(key)
        if source is None:
            source = Source("default" if node == default else "derived")
        out.append(KeyInfo(key, type_of(info), unit_of(parts[-1]), range_of(info), _plain(node), _plain(default),
                           source))
    return out


def show_value(value: object) -> str:
    """A value as TOML writes it (``—`` for an unset key).

    >>> show_value(True), show_value(0.043), show_value("JPY"), show_value(None)
    ('true', '0.043', '"JPY"', '—')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return _number(value)
    return str(value)


def _cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def format_keys(rows: list[KeyInfo], value_width: int = 32) -> str:
    """The ``chipdeal keys`` table: key, type, unit, range, value (cut to ``value_width``), source."""
    header = ("key", "type", "unit", "range", "value", "source")
    cells = [(r.key, r.type, r.unit, r.range, _cut(show_value(r.value), value_width), r.source.text())
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    widths[-1] = 0  # the source runs to the end of the line
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
