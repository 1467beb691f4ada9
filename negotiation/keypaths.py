"""Dotted keys of a validated file, read from its pydantic schema: what a field holds, paths, suggestions.

Nothing here lists a key by hand. The keys are the fields of the pydantic models (nested tables, and tables by
key such as ``[agents.<key>]``, whose class is picked by a discriminator such as ``role``). A validation error's
location is turned into the dotted key the user wrote (:func:`user_path`), and an unknown key gets the real
keys closest to it (:func:`suggest_keys`). The root is the scenario's (:class:`negotiation.scenario.Spec`)
unless another is given (a sweep file's, a calibration spec's).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from negotiation.inputs import close
from negotiation.scenario import Spec

SUGGEST_CUTOFF_ANYWHERE = 0.75  # difflib's similarity ratio for a full dotted key elsewhere in the file


# ---------------------------------------------------------------------------------------------------------
# What a field holds


@dataclass(frozen=True)
class Slot:
    """What one schema field holds.

    Attributes:
        kind: ``"value"`` (a key), ``"table"`` (a nested model) or ``"tables"`` (a dict of models by key).
        model: the nested model of a ``"table"``, or of ``"tables"`` without a discriminator.
        variants: for ``"tables"`` with a discriminator, the model for each tag value.
        discriminator: the field that picks the variant (``"role"``), if any.

    """

    kind: Literal["value", "table", "tables"]
    model: type[BaseModel] | None = None
    variants: dict[str, type[BaseModel]] = field(default_factory=dict)
    discriminator: str | None = None

    def model_for(self, item: object) -> type[BaseModel] | None:
        """The model of one entry of a ``"tables"`` slot, given its data (a dict or a validated model)."""
        if self.discriminator is None:
            return self.model
        tag = item.get(self.discriminator) if isinstance(item, Mapping) else getattr(item, self.discriminator, None)
        return self.variants.get(tag) if isinstance(tag, str) else None


def strip_annotation(annotation: object) -> tuple[object, list[object]]:
    """An annotation without ``Annotated`` wrappers and ``None``, and the metadata the wrappers carried."""
    metadata: list[object] = []
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata.extend(extra)
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            core, inner = strip_annotation(members[0])
            return core, metadata + inner
    return annotation, metadata


def _is_model(tp: object) -> TypeGuard[type[BaseModel]]:
    """Whether ``tp`` is a pydantic model class (a table)."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def literal_values(annotation: object) -> tuple[object, ...]:
    """The values of a ``Literal`` annotation (empty for any other)."""
    core, _ = strip_annotation(annotation)
    return get_args(core) if get_origin(core) is Literal else ()


def slot(info: FieldInfo) -> Slot:
    """Classify a pydantic field: a key, a nested table, or tables by key (maybe picked by a discriminator)."""
    core, metadata = strip_annotation(info.annotation)
    if _is_model(core):
        return Slot("table", core)
    if get_origin(core) is dict:
        value, value_meta = strip_annotation(get_args(core)[1])
        if _is_model(value):
            return Slot("tables", value)
        members = get_args(value) if get_origin(value) in (Union, types.UnionType) else ()
        if members and all(_is_model(m) for m in members):
            found = (getattr(m, "discriminator", None) for m in [*value_meta, *metadata])
            discriminator = next((d for d in found if isinstance(d, str)), None)
            variants: dict[str, type[BaseModel]] = {}
            for member in members:
                if _is_model(member) and discriminator is not None and discriminator in member.model_fields:
                    for tag in literal_values(member.model_fields[discriminator].annotation):
                        variants[str(tag)] = member
            return Slot("tables", None, variants, discriminator)
    return Slot("value")


def schema() -> type[BaseModel]:
    """The scenario's root model (:class:`negotiation.scenario.Spec`)."""
    return Spec


# ---------------------------------------------------------------------------------------------------------
# Paths


def user_path(loc: Sequence[str | int], root: type[BaseModel] | None = None) \
        -> tuple[list[str], type[BaseModel] | None]:
    """A pydantic error location as the user writes it, and the model of the table it ends in.

    Pydantic names a discriminated union's tag in the location (``agents.us.counterpart.discont``); the user
    wrote ``agents.us.discont``.

    Args:
        loc: the ``loc`` of a pydantic error.
        root: the model the location starts from (default: the scenario's root).

    Returns:
        The dotted parts without tags, and the model whose field the last part names (``None`` if the
        location leaves the schema).

    """
    model: type[BaseModel] | None = root or schema()
    parts = [str(p) for p in loc]
    out: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        out.append(part)
        info = model.model_fields.get(part) if _is_model(model) else None
        if i == len(parts) - 1 or info is None:
            out.extend(parts[i + 1:])
            return out, (model if i == len(parts) - 1 else None)
        s = slot(info)
        if s.kind == "table":
            model = s.model
        elif s.kind == "tables":
            i += 1
            out.append(parts[i])  # the entry's key
            if s.discriminator is not None and i + 1 < len(parts) and parts[i + 1] in s.variants:
                i += 1
                model = s.variants[parts[i]]
            else:
                model = s.model
        else:
            out.extend(parts[i + 1:])
            return out, None
        i += 1
    return out, model


def key_paths(data: object = None, root: type[BaseModel] | None = None) -> list[str]:
    """Every dotted key a scenario may set.

    Tables by key (``[agents.<key>]``) contribute the keys of the entries ``data`` has, by their
    discriminator (an actor's ``role``); without ``data`` they contribute nothing.

    Args:
        data: a parsed scenario (nested dict) or a validated one.
        root: the model to start from (default: the scenario's root).

    Returns:
        The dotted keys, in schema order.

    >>> "deal.equity_fraction" in key_paths()
    True
    >>> "agents.japan.outside_option_share" in key_paths({"agents": {"japan": {"role": "principal"}}})
    True

    """
    return [".".join(parts) for parts, _ in walk(root or schema(), data, [])]


def walk(model: type[BaseModel], data: object, prefix: list[str]) -> Iterator[tuple[list[str], FieldInfo]]:
    """Every key under ``model`` (with ``data`` for tables by key): its dotted parts and its field."""
    for name, info in model.model_fields.items():
        s = slot(info)
        if s.kind == "value":
            yield [*prefix, name], info
            continue
        child = (data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)) if data is not None \
            else None
        if s.kind == "table" and s.model is not None:
            yield from walk(s.model, child, [*prefix, name])
        elif isinstance(child, Mapping):
            for key, item in child.items():
                sub = s.model_for(item)
                if sub is not None:
                    yield from walk(sub, item, [*prefix, name, str(key)])


def fields_at(data: object, path: list[str], root: type[BaseModel] | None = None) -> dict[str, FieldInfo]:
    """The fields of the table at a dotted ``path`` (``["agents", "us"]``) of ``data`` (empty if none)."""
    model: type[BaseModel] | None = root or schema()
    node = data
    i = 0
    while i < len(path):
        info = model.model_fields.get(path[i]) if _is_model(model) else None
        if info is None:
            return {}
        s = slot(info)
        node = node.get(path[i]) if isinstance(node, Mapping) else getattr(node, path[i], None)
        if s.kind == "table":
            model = s.model
        elif s.kind == "tables" and i + 1 < len(path):
            i += 1
            node = node.get(path[i]) if isinstance(node, Mapping) else None
            model = s.model_for(node) if node is not None else None
        else:
            return {}
        i += 1
    return dict(model.model_fields) if _is_model(model) else {}


# ---------------------------------------------------------------------------------------------------------
# Suggestions


def suggest_keys(path: list[str], data: object = None, table: type[BaseModel] | None = None,
                 root: type[BaseModel] | None = None) -> list[str]:
    """Real keys for an unknown dotted key, best first.

    The same name in another table (``deal.max_rounds`` → ``protocol.max_rounds``; every actor that has it),
    else the closest name in the same table, else the closest dotted key anywhere in the scenario.

    Args:
        path: the unknown key's dotted parts, as the user wrote them (``["deal", "equity_fractoin"]``).
        data: the scenario (nested dict or validated), for the keys of its actors' tables.
        table: the model of the table the key was written in, when known (else found from ``data``).
        root: the file's root model (default: the scenario's).

    Returns:
        The suggested dotted keys (empty when nothing is close).

    >>> suggest_keys(["deal", "equity_fractoin"])
    ['deal.equity_fraction']
    >>> suggest_keys(["deal", "max_rounds"])
    ['protocol.max_rounds']

    """
    everything = key_paths(data, root)
    same_leaf = [k for k in everything if k.rsplit(".", 1)[-1] == path[-1]]
    if same_leaf:
        return same_leaf
    siblings = list(table.model_fields if table is not None else fields_at(data, path[:-1], root))
    near = close(path[-1], siblings)
    if near is not None:
        return [".".join([*path[:-1], near])]
    anywhere = close(".".join(path), everything, SUGGEST_CUTOFF_ANYWHERE)
    return [anywhere] if anywhere else []


# ---------------------------------------------------------------------------------------------------------
# A validation error in one line


@dataclass(frozen=True)
class TagNames:
    """How messages name the entries of a table by key whose class a discriminator picks.

    Attributes:
        entry: what one entry is (``"actor"`` for ``agents.<key>``).
        tag: what the discriminator's value names (``"role"``).
        given: how the entries a file already has are introduced (``"the scenario's actors"``).

    """

    entry: str = "entry"
    tag: str = "kind"
    given: str = "the entries"


def error_location(err: ValidationError, root: type[BaseModel] | None = None) \
        -> tuple[list[str], type[BaseModel] | None]:
    """The first error's location as the user writes it (no union tags, no list positions), and its table's model."""
    return user_path([p for p in err.errors()[0]["loc"] if not isinstance(p, int)], root)


def _get(data: object, parts: list[str]) -> object:
    """The value at dotted ``parts`` of a nested dict (``None`` if it is not there)."""
    for part in parts:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _siblings(data: object, parts: list[str]) -> list[str]:
    """The other entries of the table by key that holds the one at ``parts`` (the actors beside a misspelt one)."""
    table = _get(data, parts[:-1])
    return [str(k) for k, v in table.items() if k != parts[-1] and isinstance(v, dict)] if isinstance(table, dict) \
        else []


def _tags(parts: list[str], data: object, root: type[BaseModel] | None) -> list[str]:
    """The discriminator values the table by key holding the entry at ``parts`` takes, in schema order."""
    info = fields_at(data, parts[:-2], root).get(parts[-2]) if len(parts) >= 2 else None
    return list(slot(info).variants) if info is not None else []


def _did_you_mean(err: ValidationError, data: object, root: type[BaseModel] | None) -> str:
    """`` (did you mean …?)`` for a misspelt key, entry, tag or choice, from the schema's real names."""
    first = err.errors()[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    parts, table = error_location(err, root)
    near: str | None = None
    if kind == "extra_forbidden" and parts:
        near = " or ".join(suggest_keys(parts, data, table, root)) or None
    elif kind == "union_tag_not_found" and len(parts) >= 2:
        found = close(parts[-1], _siblings(data, parts))
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


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def format_error(err: ValidationError, source: str, data: object = None, key: str | None = None, *,
                 root: type[BaseModel] | None = None, names: TagNames | None = None) -> str:
    """One line for a validation error: ``source: key: what is wrong (got …) (did you mean …?)``.

    The one formatter of the package's validation errors (a scenario's, a sweep file's, a sensitivity or a
    calibration spec's): the key is written as the user wrote it (:func:`user_path`), an unknown key gets
    the closest real ones (:func:`suggest_keys`), a wrong value is shown, and a table by key whose
    discriminator is missing or unknown is named in ``names``' words.

    Args:
        err: pydantic's error (its first error is reported).
        source: what the user gave (a file, or an option such as ``--set KEY=VALUE``).
        data: the parsed file, for suggestions among its entries (actors, sampled keys).
        key: the dotted key ``source`` already names (an option's), left out of the line.
        root: the file's root model (default: the scenario's).
        names: how the entries of its tables by key are named (default: generic words).

    Returns:
        The message, without a trailing newline.

    """
    names = names or TagNames()
    first = err.errors()[0]
    parts, _ = error_location(err, root)
    ctx = first.get("ctx") or {}
    disc = str(ctx.get("discriminator", names.tag)).strip("'")
    if first["type"] == "union_tag_invalid":  # the discriminator's value is wrong: name that key
        parts = [*parts, disc]
    loc = ".".join(parts)
    msg = first["msg"].removeprefix("Value error, ")
    hint = _did_you_mean(err, data, root)
    where = f"{source}: " if key is not None and loc == key else f"{source}: {loc}: " if loc else f"{source}: "
    if first["type"] == "union_tag_invalid":
        tags = ", ".join(_tags(parts[:-1], data, root))
        return f"{where}unknown {names.tag} {ctx.get('tag')!r}{hint}: {_a(names.entry)}'s table needs {disc} = one " \
            f"of {tags}"
    if first["type"] == "union_tag_not_found":
        tags = ", ".join(_tags(parts, data, root))
        known = _siblings(data, parts)
        listed = f"{names.given}: {', '.join(known)}; " if known else ""
        return f"{where}unknown {names.entry} or missing {disc}{hint} ({listed}{_a(names.entry)}'s table needs " \
            f"{disc} = one of {tags})"
    if not loc:
        return f"{source}: {msg}{hint}"
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    value = first.get("input")
    shown = "" if first["type"] in ("extra_forbidden", "missing") or isinstance(value, dict) else f" (got {value!r})"
    return f"{where}{msg}{shown}{hint}"
