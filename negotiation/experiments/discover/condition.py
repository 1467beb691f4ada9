"""The runs of interest: ``--where``, a condition over a run's columns, parsed and checked, never run as code.

An expression over the row's columns, parsed by :func:`condition` (a whitelist of Python's syntax:
``and``/``or``/``not``, comparisons, ``+ - * /``, numbers, strings, ``True``/``False`` and column names, dotted
keys written as they are; nothing is ever evaluated as code). The parser is the first part of ``chipdeal
discover`` to refuse the user's input, so :class:`DiscoverError` is defined here.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

import numpy as np
import pandas as pd

from negotiation.inputs import InputError, close

MAX_EXPRESSION = 1000  # characters of --where
MAX_NODES = 200  # syntax nodes of --where


class DiscoverError(InputError):
    """A folder, expression or option that discover cannot use (exit 2, one line)."""


type Operand = pd.Series | bool | int | float | str  # a column, or a constant of the expression
_COMPARE: dict[type, Callable[[Operand, Operand], Operand]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
    ast.NotEq: operator.ne}


_ARITH: dict[type, Callable[[Operand, Operand], Operand]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _dotted(node: ast.AST) -> str | None:
    """``deal.relief_life_years`` parses as attributes of a name: the dotted column name, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def condition(expression: str, frame: pd.DataFrame) -> pd.Series:
    """Which rows of ``frame`` satisfy ``expression`` (parsed, checked against a whitelist, then evaluated).

    Allowed: ``and``, ``or``, ``not``, parentheses, comparisons (chained too: ``0.125 <= x <= 0.175``),
    ``+ - * /``, unary minus, numbers, strings, ``True``/``False`` and column names (a dotted key as it is, or
    in backticks). A comparison with a missing value (a run that did not agree has no tariff) is false.

    Args:
        expression: the condition, e.g. ``"agreed and agreed_tariff_rate <= 0.175"``.
        frame: the runs.

    Returns:
        One boolean per row.

    Raises:
        DiscoverError: a syntax error, something not allowed, an unknown column or a result that is not a
            condition (one line).

    >>> f = pd.DataFrame({"agreed": [True, True, False], "deal.x": [0.1, 0.3, 0.2]})
    >>> condition("agreed and deal.x > 0.2", f).tolist()
    [False, True, False]
    >>> condition("not agreed or 0.05 < `deal.x` <= 0.1", f).tolist()
    [True, False, True]

    """
    text = expression.strip()
    if not text:
        raise DiscoverError("--where: empty condition")
    if len(text) > MAX_EXPRESSION:
        raise DiscoverError(f"--where: {len(text):,} characters; at most {MAX_EXPRESSION:,}")
    quoted = text.split("`")
    if len(quoted) % 2 == 0:
        raise DiscoverError("--where: a backtick is not closed")
    names: dict[str, str] = {}
    for i in range(1, len(quoted), 2):  # `dotted.key` → a placeholder name
        names[f"_q{i}"] = quoted[i]
        quoted[i] = f"_q{i}"
    try:
        tree = ast.parse("".join(quoted).replace("\n", " "), mode="eval")
    except SyntaxError as err:
        raise DiscoverError(f"--where: not a condition ({err.msg}, at character {err.offset})") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise DiscoverError(f"--where: too long an expression (at most {MAX_NODES} terms)")
    value = _evaluate(tree.body, frame, names)
    if not isinstance(value, pd.Series) or not pd.api.types.is_bool_dtype(value):
        raise DiscoverError("--where: the expression must be a condition (true or false for each run), e.g. "
                            "agreed and agreed_tariff_rate <= 0.175")
    return value.fillna(False).astype(bool)


def _column(name: str, frame: pd.DataFrame) -> pd.Series:
    if name not in frame.columns:
        near = close(name, [str(c) for c in frame.columns])
        raise DiscoverError(f"--where: no column {name!r}" + (f" (did you mean {near}?)" if near else ""))
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    return column.astype(object)


def _truth(value: Operand, what: str) -> pd.Series:
    if isinstance(value, pd.Series) and pd.api.types.is_bool_dtype(value):
        return value
    raise DiscoverError(f"--where: {what} needs conditions on both sides (compare a number: x <= 0.2)")


def _evaluate(node: ast.AST, frame: pd.DataFrame, names: dict[str, str]) -> Operand:
    if isinstance(node, ast.BoolOp):
        values = [_truth(_evaluate(v, frame, names), "and/or") for v in node.values]
        joined = values[0]
        for v in values[1:]:
            joined = (joined & v) if isinstance(node.op, ast.And) else (joined | v)
        return joined
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_truth(_evaluate(node.operand, frame, names), "not")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, frame, names)
        if isinstance(value, bool) or not isinstance(value, int | float | pd.Series):
            raise DiscoverError("--where: a sign needs a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, frame, names)
        out: pd.Series | None = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                raise DiscoverError(f"--where: {type(op).__name__} is not allowed (use < <= > >= == !=)")
            right = _evaluate(right_node, frame, names)
            with np.errstate(invalid="ignore"):
                try:
                    result = _COMPARE[type(op)](left, right)
                except TypeError:
                    raise DiscoverError("--where: cannot compare those (a number with a word?)") from None
            if not isinstance(result, pd.Series):
                result = pd.Series(bool(result), index=frame.index)
            result = result.fillna(False).astype(bool)
            out = result if out is None else out & result
            left = right
        return out if out is not None else pd.Series(True, index=frame.index)  # (a comparison has an operator)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise DiscoverError(f"--where: {type(node.op).__name__} is not allowed (use + - * /)")
        left, right = _evaluate(node.left, frame, names), _evaluate(node.right, frame, names)
        for side in (left, right):
            if isinstance(side, str | bool) or (isinstance(side, pd.Series) and not
                                                pd.api.types.is_float_dtype(side)):
                raise DiscoverError("--where: arithmetic needs numbers")
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | str):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise DiscoverError("--where: numbers must be finite")
        return node.value
    if isinstance(node, ast.Name | ast.Attribute):
        if isinstance(node, ast.Name) and node.id in ("True", "False"):
            return node.id == "True"
        name = _dotted(node)
        if name is None:
            raise DiscoverError("--where: only column names may have dots")
        return _column(names.get(name, name), frame)
    what = type(node).__name__
    raise DiscoverError(f"--where: {what} is not allowed (only and, or, not, comparisons, + - * /, numbers, words "
                        "and column names)")
