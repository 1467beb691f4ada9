"""What the user gives, read safely: the one input-error family, the one strict pydantic base, small files and TOML.

Bottom of the package: it imports nothing of chipdeal, so the schema (:mod:`negotiation.scenario`), the batch
files (sweeps, sensitivity and calibration specs, patterns) and the command line all build on it.

* :class:`InputError` is the base of every error the package raises for bad input: the message is one line
  naming the file, key or option (with a suggestion where a name is misspelt, :func:`close`), and the command
  line exits 2 with it. Each kind of input has its own subclass (:class:`ScenarioError` here, ``SweepError``,
  ``CalibrationError``, ``DiscoverError``, the CLI's ``UsageError``, the page's ``PageError``); internal bugs
  raise built-in exceptions instead.
* :class:`Strict` is the base of every validated file's tables: unknown keys are errors, types are TOML's
  own (strict), numbers finite, values frozen.
* :func:`read_small_file` / :func:`parse_toml` / :func:`read_toml` read any input file: a small regular file,
  UTF-8 TOML of bounded nesting; every problem is one :class:`ScenarioError` line.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from negotiation.values import TomlValue

SUGGEST_CUTOFF = 0.6  # difflib's similarity ratio for a suggestion (did you mean …?)


class InputError(ValueError):
    """A user's input is wrong: the message names the file, key or option, and the CLI exits 2 with it."""


class ScenarioError(InputError):
    """A scenario, an override (``--set``) or an input file is wrong (unreadable, not TOML, invalid)."""


class Strict(BaseModel):
    """Base for every table of a validated file: unknown keys are errors, types are TOML's own, numbers finite.

    Strict typing: a number must be written as a number (``0.2``, not ``"0.2"``; an integer is a fine float),
    a boolean as ``true``/``false`` (not ``0`` or ``"no"``), a word as a string. A field that takes a TOML
    array as a tuple says ``Field(strict=False)`` (strict pydantic takes only a tuple for a tuple).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


def close(word: str, candidates: list[str] | tuple[str, ...], cutoff: float = SUGGEST_CUTOFF) -> str | None:
    """The candidate closest to ``word`` (difflib), if one is close enough.

    >>> close("equity_fractoin", ["fund_usd_bn", "equity_fraction"])
    'equity_fraction'
    >>> close("korea", ["us", "japan"]) is None
    True
    """
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return found[0] if found else None


MAX_TOML_BYTES = 1 << 20  # a scenario, sweep or patterns file is a few kB; anything past 1 MiB is not one
MAX_TOML_DEPTH = 32  # tables and arrays nested deeper than this are no scenario (and would exhaust the stack)
MAX_KEY_PARTS = 256  # tomllib's time grows with the square of a dotted key's parts (50,000 parts: ~40 s)
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


def beside(path: Path, name: str, key: str) -> Path:
    """The file ``name`` that the file ``path`` names under ``key`` (``base``, ``scenario``), resolved beside it.

    Args:
        path: the file that names it.
        name: the name as written (relative to ``path``'s folder, or absolute).
        key: the key it is written under (for the message).

    Returns:
        The resolved path (it need not exist).

    Raises:
        ScenarioError: it cannot be resolved (a symlink loop, a NUL byte), in one line naming ``path`` and ``key``.

    """
    try:
        return (path.parent / name).resolve()
    except (OSError, RuntimeError, ValueError) as err:  # a symlink loop (RuntimeError on 3.12), a NUL byte
        raise ScenarioError(f"{shown_path(path)}: {key}: {shown_path(name)}: cannot resolve ({err})") from None


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


def _depth(data: TomlValue) -> int:
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
