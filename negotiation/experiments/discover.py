"""``chipdeal discover DIR --where EXPR``: scenario discovery on a sweep folder (PRIM boxes and a CART tree).

Which inputs, in which ranges, make the runs of interest happen? The runs of interest are the rows of
``runs.parquet`` for which ``--where`` holds: an expression over the row's columns, parsed by :func:`condition`
(a whitelist of Python's syntax: ``and``/``or``/``not``, comparisons, ``+ - * /``, numbers, strings,
``True``/``False`` and column names, dotted keys written as they are; nothing is ever evaluated as code).

PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999) peels the inputs' box a little at a time
towards the runs of interest; each box on the way has a *coverage* (the share of the runs of interest inside
it) and a *density* (the share of the runs inside it that are of interest). The chosen box is the one with the
most coverage among those at least ``threshold`` dense (the densest where none is), then pasted. The EMA
Workbench's PRIM (``ema_workbench.analysis.prim``) is used where installed (the optional extra ``discover``:
its dependency platypus-opt is GPL-3.0, so it is not installed by default), otherwise :func:`prim`, written
here. A CART tree (scikit-learn's ``DecisionTreeClassifier``, depth 3) gives a second, overlapping-box view,
with each input's importance in the tree and by permutation.

Outputs, in the folder (or ``--out``): ``discover.md`` (the trajectory, the box, the tree, the scores) and
``discover.png`` (coverage against density along the peeling, the chosen box marked).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from negotiation.experiments.report import load_runs
from negotiation.inputs import InputError, shown_path

PEEL_ALPHA = 0.05  # the share of a box's runs each peel removes (Friedman & Fisher's α)
PASTE_ALPHA = 0.05  # the share of a box's runs each paste adds
MASS_MIN = 0.05  # peeling stops before a box would hold fewer than this share of all runs
MAX_EXPRESSION = 1000  # characters of --where
MAX_NODES = 200  # syntax nodes of --where


class DiscoverError(InputError):
    """A folder, expression or option that discover cannot use (exit 2, one line)."""


# ---------------------------------------------------------------------------------------------------------
# The condition


_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
    ast.NotEq: operator.ne}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
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
        from negotiation.inputs import close

        near = close(name, [str(c) for c in frame.columns])
        raise DiscoverError(f"--where: no column {name!r}" + (f" (did you mean {near}?)" if near else ""))
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    return column.astype(object)


def _truth(value: Any, what: str) -> pd.Series:
    if isinstance(value, pd.Series) and pd.api.types.is_bool_dtype(value):
        return value
    raise DiscoverError(f"--where: {what} needs conditions on both sides (compare a number: x <= 0.2)")


def _evaluate(node: ast.AST, frame: pd.DataFrame, names: dict[str, str]) -> Any:
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
        return out
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


# ---------------------------------------------------------------------------------------------------------
# PRIM


@dataclass(frozen=True)
class Box:
    """Per input, the closed interval [low, high] a run must lie in."""

    low: np.ndarray
    high: np.ndarray

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` (runs × inputs) lie in the box."""
        return np.all((x >= self.low) & (x <= self.high), axis=1)


@dataclass(frozen=True)
class Step:
    """One box on the peeling trajectory, with its statistics."""

    box: Box
    coverage: float  # share of the runs of interest inside the box
    density: float  # share of the runs inside the box that are of interest
    mass: float  # share of all runs inside the box
    restricted: int  # inputs whose interval is narrower than the data's


def box_stats(x: np.ndarray, y: np.ndarray, box: Box) -> tuple[float, float, float]:
    """The checker: a box's coverage, density and mass, computed from scratch.

    Args:
        x: inputs (runs × inputs).
        y: whether each run is of interest.
        box: the box.

    Returns:
        (coverage, density, mass).

    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([False, True, True, False])
    >>> box_stats(x, y, Box(np.array([0.5]), np.array([3.0])))
    (1.0, 0.6666666666666666, 0.75)

    """
    inside = box.contains(x)
    n_in = int(inside.sum())
    hits = int((inside & y).sum())
    return hits / max(int(y.sum()), 1), hits / n_in if n_in else 0.0, n_in / len(y)


def _step(x: np.ndarray, y: np.ndarray, box: Box, full: Box) -> Step:
    coverage, density, mass = box_stats(x, y, box)
    restricted = int(np.sum((box.low > full.low) | (box.high < full.high)))
    return Step(box, coverage, density, mass, restricted)


def prim(x: np.ndarray, y: np.ndarray, alpha: float = PEEL_ALPHA, mass_min: float = MASS_MIN) -> list[Step]:
    """PRIM's peeling trajectory (Friedman & Fisher 1999), from the inputs' whole range inwards.

    Algorithm: start from the box that spans every input's observed range. At each step, for every input
    and each of its two ends, the candidate peel moves that end inwards to the ``alpha`` quantile (from
    below, or ``1 − alpha`` from above) of the input's values among the runs still in the box, removing
    about ``alpha`` of them (at least one run: ties at the end all go). The candidate whose box has the
    highest density of runs of interest is taken (ties: the one that removes fewest runs, then the first
    input); each box is recorded with its coverage, density and mass. Peeling stops when no candidate keeps
    at least ``mass_min`` of all runs, or the box holds only runs of interest. Peeling is patient: a small
    ``alpha`` takes many small steps, so an early greedy step costs little.

    Args:
        x: inputs (runs × inputs), finite numbers.
        y: whether each run is of interest.
        alpha: the share of the box's runs a peel removes.
        mass_min: the smallest share of all runs a box may hold.

    Returns:
        The trajectory, the whole range first.

    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    n, k = x.shape
    full = Box(x.min(axis=0), x.max(axis=0))
    box = full
    trajectory = [_step(x, y, box, full)]
    inside = np.ones(n, dtype=bool)
    while trajectory[-1].density < 1.0:
        best: tuple[float, int, int, int, np.ndarray] | None = None
        for j in range(k):
            values = x[inside, j]
            for side in (0, 1):
                if side == 0:  # runs below the alpha quantile go; where that is the minimum, its ties go
                    cut = float(np.quantile(values, alpha, method="higher"))
                    keep = inside & ((x[:, j] >= cut) if values.min() < cut else (x[:, j] > cut))
                else:
                    cut = float(np.quantile(values, 1 - alpha, method="lower"))
                    keep = inside & ((x[:, j] <= cut) if values.max() > cut else (x[:, j] < cut))
                n_keep = int(keep.sum())
                if n_keep == int(inside.sum()) or n_keep < max(mass_min * n, 1):
                    continue
                density = float(y[keep].mean())
                removed = int(inside.sum()) - n_keep
                candidate = (density, -removed, -j, -side, keep)
                if best is None or candidate[:4] > best[:4]:
                    best = candidate
        if best is None:
            break
        _density, _removed, neg_j, neg_side, keep = best
        j, side = -neg_j, -neg_side
        low, high = box.low.copy(), box.high.copy()
        kept = x[keep, j]
        if side == 0:
            low[j] = kept.min()
        else:
            high[j] = kept.max()
        box = Box(low, high)
        inside = keep
        trajectory.append(_step(x, y, box, full))
    return trajectory


def paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float = PASTE_ALPHA) -> Box:
    """Pasting (Friedman & Fisher 1999): widen the box's ends while that raises its density.

    Each candidate moves one end of one input outwards far enough to take in about ``alpha`` of the box's
    runs (from the runs outside the box on that side that lie inside it on every other input); the candidate
    with the highest density is taken if it is denser than the box; repeat until none is.

    Args:
        x: inputs (runs × inputs).
        y: whether each run is of interest.
        box: the box to paste.
        alpha: the share of the box's runs a paste adds.

    Returns:
        The pasted box (``box`` itself when no paste helps).

    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    while True:
        inside = box.contains(x)
        density = float(y[inside].mean()) if inside.any() else 0.0
        n_add = max(1, int(alpha * inside.sum()))
        best: tuple[float, Box] | None = None
        for j in range(x.shape[1]):
            others = np.all((x >= box.low) & (x <= box.high) | (np.arange(x.shape[1]) == j), axis=1)
            for side in (0, 1):
                pool = x[others & ((x[:, j] < box.low[j]) if side == 0 else (x[:, j] > box.high[j])), j]
                if pool.size == 0:
                    continue
                pool = np.sort(pool)[::-1] if side == 0 else np.sort(pool)
                edge = pool[min(n_add, pool.size) - 1]
                low, high = box.low.copy(), box.high.copy()
                if side == 0:
                    low[j] = edge
                else:
                    high[j] = edge
                candidate = Box(low, high)
                grown = candidate.contains(x)
                d = float(y[grown].mean())
                if d > density and (best is None or d > best[0]):
                    best = (d, candidate)
        if best is None:
            return box
        box = best[1]


def simplify(x: np.ndarray, y: np.ndarray, box: Box, full: Box, tolerance: float = 0.02) -> Box:
    """Drop the restrictions that do not earn their place (a box on 14 of 17 inputs explains nothing).

    Greedily, the restricted input whose interval can be widened to the data's whole range at the least cost
    in density is widened, while the box's density stays within ``tolerance`` (absolute) of the density it
    had before any was dropped. Peeling is greedy on noisy data: many peels on inputs that do not matter each
    gain a little density by chance; this undoes them (in the spirit of the EMA Workbench's restriction
    dropping, without its quasi-p-values).

    Args:
        x: inputs (runs × inputs).
        y: whether each run is of interest.
        box: the box (pasted).
        full: the data's whole range.
        tolerance: the density the simpler box may lose.

    Returns:
        The simpler box.

    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    target = box_stats(x, y, box)[1] - tolerance
    while True:
        best: tuple[float, Box] | None = None
        for j in range(x.shape[1]):
            if box.low[j] <= full.low[j] and box.high[j] >= full.high[j]:
                continue
            low, high = box.low.copy(), box.high.copy()
            low[j], high[j] = full.low[j], full.high[j]
            wider = Box(low, high)
            density = box_stats(x, y, wider)[1]
            if density >= target and (best is None or density > best[0]):
                best = (density, wider)
        if best is None:
            return box
        box = best[1]


def check_trajectory(x: np.ndarray, y: np.ndarray, trajectory: Sequence[Step], mass_min: float = MASS_MIN) -> None:
    """Check a peeling trajectory against its definition (the checker beside :func:`prim`).

    Each box lies inside the one before and holds fewer runs; its recorded coverage, density and mass are
    what :func:`box_stats` computes from scratch; and every box keeps at least ``mass_min`` of the runs.

    Args:
        x: inputs (runs × inputs).
        y: whether each run is of interest.
        trajectory: :func:`prim`'s result.
        mass_min: the smallest share of all runs a box may hold.

    Raises:
        AssertionError: a property fails (the message says which and where).

    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    for i, step in enumerate(trajectory):
        stats = box_stats(x, y, step.box)
        if not np.allclose(stats, (step.coverage, step.density, step.mass)):
            raise AssertionError(f"step {i}: recorded statistics {step.coverage, step.density, step.mass} are not "
                                 f"the box's {stats}")
        if i == 0:
            continue
        before = trajectory[i - 1]
        if np.any(step.box.low < before.box.low) or np.any(step.box.high > before.box.high):
            raise AssertionError(f"step {i}: the box is not inside the one before")
        if not step.mass < before.mass:
            raise AssertionError(f"step {i}: the box holds no fewer runs than the one before")
        if step.mass * len(y) < max(mass_min * len(y), 1) - 1e-9:
            raise AssertionError(f"step {i}: the box holds fewer than mass_min of the runs")


def _choose(trajectory: Sequence[Step], threshold: float) -> int:
    dense = [i for i, s in enumerate(trajectory) if s.density >= threshold]
    if dense:
        return max(dense, key=lambda i: (trajectory[i].coverage, trajectory[i].density))
    return max(range(len(trajectory)), key=lambda i: (trajectory[i].density, trajectory[i].coverage))


HELD_OUT_FOLDS = 5  # the folds of the held-out check of the built-in PRIM


@dataclass(frozen=True)
class HeldOut:
    """How the built-in PRIM's procedure does on runs it did not see (stratified folds)."""

    coverage: float  # of the held-out runs of interest, the share inside the box grown without them (mean)
    density: float  # of the held-out runs inside that box, the share of interest (mean over folds with any)
    restricted: dict[str, int]  # per input, the folds whose box restricts it (of ``folds``)
    folds: int


def held_out(x: np.ndarray, y: np.ndarray, keys: Sequence[str], threshold: float,
             folds: int = HELD_OUT_FOLDS, seed: int = 0) -> HeldOut | None:
    """The built-in PRIM's procedure scored on runs it did not see (``folds`` stratified folds).

    For each fold, the box is grown (peeled, chosen at ``threshold``, pasted, simplified) on the other folds
    and scored on that one.
    In-sample coverage and density flatter a box (its edges sit on the sample's extreme runs of interest,
    and restrictions that buy density by chance survive); the held-out figures say what the procedure finds
    on new runs, and an input restricted in only some folds' boxes is a restriction the data do not insist on.

    Args:
        x: inputs, one row per run.
        y: whether each run is of interest.
        keys: the inputs' names (columns of ``x``).
        threshold: the least density of the chosen box.
        folds: how many folds.
        seed: the seed of the folds' shuffle.

    Returns:
        The held-out figures, or ``None`` with fewer than two runs of each class per fold.

    """
    hits = int(y.sum())
    if min(hits, len(y) - hits) < 2 * folds:
        return None
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for cls in (True, False):  # stratified: each fold gets its share of the runs of interest
        where = rng.permutation(np.flatnonzero(y == cls))
        fold[where] = np.arange(where.size) % folds
    coverages, densities = [], []
    restricted = dict.fromkeys(keys, 0)
    for k in range(folds):
        train, test = fold != k, fold == k
        xt, yt = x[train], y[train]
        full = Box(xt.min(axis=0), xt.max(axis=0))
        trajectory = prim(xt, yt)
        box = simplify(xt, yt, paste(xt, yt, trajectory[_choose(trajectory, threshold)].box), full)
        inside = np.all((x[test] >= box.low) & (x[test] <= box.high), axis=1)
        coverages.append(float(inside[y[test]].mean()))
        if inside.any():
            densities.append(float(y[test][inside].mean()))
        for i, key in enumerate(keys):
            if box.low[i] > full.low[i] or box.high[i] < full.high[i]:
                restricted[key] += 1
    density = float(np.mean(densities)) if densities else math.nan
    return HeldOut(float(np.mean(coverages)), density, restricted, folds)


def _ema_prim(x: pd.DataFrame, y: np.ndarray, threshold: float) -> tuple[list[Step], int, Box]:
    """The EMA Workbench's PRIM, its trajectory turned into :class:`Step`s."""
    import logging

    from ema_workbench.analysis import prim as ema_prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    finder = ema_prim.Prim(x, y, threshold=threshold, peel_alpha=PEEL_ALPHA, paste_alpha=PASTE_ALPHA,
                           mass_min=MASS_MIN)
    found = finder.find_box()
    full = Box(x.min().to_numpy(dtype=float), x.max().to_numpy(dtype=float))
    steps = []
    for lims in found.box_lims:
        low = np.array([float(lims.loc[0, c]) for c in x.columns])
        high = np.array([float(lims.loc[1, c]) for c in x.columns])
        steps.append(_step(x.to_numpy(dtype=float), y, Box(low, high), full))
    chosen = _choose(steps, threshold)
    return steps, chosen, steps[chosen].box


# ---------------------------------------------------------------------------------------------------------
# The command


@dataclass
class Discovery:
    """What discover found (the page and the plot in ``out`` are the durable copy)."""

    inputs: list[str]
    n_runs: int
    n_interest: int
    method: str
    trajectory: list[Step]
    chosen: int
    box: Box  # the chosen box, pasted
    data_box: Box
    tree_text: str = ""
    scores: pd.DataFrame | None = None
    tree_accuracy: float | None = None  # on the runs it was grown on (training accuracy)
    tree_cv_accuracy: float | None = None  # stratified 5-fold cross-validated: the skill on runs it has not seen
    held_out: HeldOut | None = None  # the built-in PRIM scored on folds it did not see
    notes: list[str] = field(default_factory=list)
    pasted: tuple[float, float, float] = (math.nan, math.nan, math.nan)  # the pasted box's coverage, density, mass
    page: Path | None = None
    summary: str = ""


def _inputs(frame: pd.DataFrame, meta: dict[str, Any], inputs: Sequence[str] | None) -> tuple[list[str], list[str]]:
    keys = list(inputs) if inputs else list(meta.get("varied_keys") or [])
    if not keys:
        raise DiscoverError("the sweep varies no input (name them with --inputs)")
    usable, notes = [], []
    for key in keys:
        if key not in frame.columns:
            from negotiation.inputs import close

            near = close(key, [str(c) for c in frame.columns])
            raise DiscoverError(f"--inputs: no column {key!r}" + (f" (did you mean {near}?)" if near else ""))
        column = frame[key]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            if column.isna().any():
                notes.append(f"{key} left out: it has missing values")
            elif column.nunique() < 2:
                notes.append(f"{key} left out: it does not vary")
            else:
                usable.append(key)
        else:
            notes.append(f"{key} left out: not a number (PRIM bounds numbers)")
    if not usable:
        raise DiscoverError("no numeric input varies in this sweep: nothing to bound")
    return usable, notes


def _cart(x: pd.DataFrame, y: np.ndarray) -> tuple[str, pd.DataFrame, float, float | None] | str:
    """A depth-3 CART tree, its text, each input's importance, its training and cross-validated accuracy.

    The cross-validated accuracy is the mean over stratified folds (5, or as many as the rarer class has runs,
    at least 2; ``None`` below that) of a tree grown on the other folds: the tree's skill on runs it has not
    seen, to be read against the majority class's share. Importances are on the training runs.
    """
    try:
        from sklearn.inspection import permutation_importance
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.tree import DecisionTreeClassifier, export_text
    except ImportError:
        return "CART skipped: scikit-learn is not installed (pip install 'chipdeal[discover]'; `uv run` has it)"
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=max(5, len(y) // 100), random_state=0)
    tree.fit(x.to_numpy(dtype=float), y)
    names = [str(c) for c in x.columns]
    perm = permutation_importance(tree, x.to_numpy(dtype=float), y, n_repeats=10, random_state=0)
    scores = pd.DataFrame({"input": names, "tree_importance": tree.feature_importances_,
                           "permutation_importance": perm.importances_mean,
                           "permutation_sd": perm.importances_std})
    scores = scores.sort_values("permutation_importance", ascending=False, ignore_index=True)
    folds = min(5, int(min(y.sum(), len(y) - y.sum())))
    cv = None
    if folds >= 2:
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        cv = float(cross_val_score(tree, x.to_numpy(dtype=float), y, cv=split).mean())
    return (export_text(tree, feature_names=names, decimals=3), scores, float(tree.score(x.to_numpy(dtype=float), y)),
            cv)


def plot_trajectory(d: Discovery, path: Path) -> Path:
    """Coverage against density along the peeling, coloured by how many inputs each box restricts.

    Args:
        d: the discovery.
        path: where the PNG goes.

    Returns:
        ``path``.

    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.subplots()
    cov = [s.coverage for s in d.trajectory]
    den = [s.density for s in d.trajectory]
    dims = [s.restricted for s in d.trajectory]
    points = ax.scatter(cov, den, c=dims, cmap="viridis", s=18, zorder=3)
    ax.plot(cov, den, color="#bbbbbb", lw=0.8, zorder=2)
    chosen = d.trajectory[d.chosen]
    ax.scatter([chosen.coverage], [chosen.density], s=120, facecolors="none", edgecolors="#c62f2f", lw=1.5,
               zorder=4, label=f"chosen box (step {d.chosen})")
    fig.colorbar(points, ax=ax, label="inputs restricted")
    ax.set_xlabel("coverage (share of the runs of interest inside the box)")
    ax.set_ylabel("density (share of the box's runs of interest)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    ax.set_title(f"PRIM peeling trajectory ({d.method})", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def _g(v: float) -> str:
    return f"{v:.4g}"


def page_lines(d: Discovery, where: str, folder: Path) -> list[str]:
    """The markdown page: the condition, the trajectory, the chosen box, the tree and the scores.

    Args:
        d: the discovery.
        where: the condition as given.
        folder: the sweep folder.

    Returns:
        Its lines.

    """
    s = d.trajectory[d.chosen]
    pasted = d.pasted
    lines = [f"# Scenario discovery: `{shown_path(folder)}`", "",
             f"Runs of interest: `{where}` — {d.n_interest:,} of {d.n_runs:,} runs ({d.n_interest / d.n_runs:.1%}). "
             f"Inputs: {len(d.inputs)}. PRIM: {d.method} (peeling α = {PEEL_ALPHA}, pasting α = {PASTE_ALPHA}, "
             f"mass ≥ {MASS_MIN}).", "",
             f"## The chosen box (step {d.chosen} of the peeling, then pasted and simplified)", "",
             f"Before pasting: coverage {s.coverage:.1%}, density {s.density:.1%}, mass {s.mass:.1%}, on "
             f"{s.restricted} input(s). Pasted, and the restrictions that cost under 2 points of density dropped: "
             f"coverage {pasted[0]:.1%}, density {pasted[1]:.1%}, mass {pasted[2]:.1%}.", "",
             "| input | box low | box high | the sweep's range | restricted |", "|---|---:|---:|---|---|"]
    for i, key in enumerate(d.inputs):
        lo, hi = d.box.low[i], d.box.high[i]
        dlo, dhi = d.data_box.low[i], d.data_box.high[i]
        restricted = "**yes**" if lo > dlo or hi < dhi else ""
        lines.append(f"| `{key}` | {_g(lo)} | {_g(hi)} | {_g(dlo)}–{_g(dhi)} | {restricted} |")
    h = d.held_out
    if h is not None:
        lines += ["", f"## Held out ({h.folds} stratified folds)", "",
                  f"The built-in PRIM, grown on all folds but one and scored on that one: coverage {h.coverage:.1%}, "
                  f"density {h.density:.1%} (in-sample above: {pasted[0]:.1%}, {pasted[1]:.1%}). A box's edges sit on "
                  "the sample's extreme runs of interest: read them as where these runs lie, not as bounds the "
                  "outcome needs. Inputs restricted by any fold's box, and in how many:", "",
                  "| input | folds restricting it | in the chosen box |", "|---|---:|---|"]
        chosen = {k for i, k in enumerate(d.inputs) if d.box.low[i] > d.data_box.low[i]
                  or d.box.high[i] < d.data_box.high[i]}
        for key, n in sorted(h.restricted.items(), key=lambda kv: -kv[1]):
            if n or key in chosen:
                lines.append(f"| `{key}` | {n} of {h.folds} | {'yes' if key in chosen else ''} |")
    lines += ["", "## Peeling trajectory", "", "| step | coverage | density | mass | inputs restricted |",
              "|---:|---:|---:|---:|---:|"]
    for i, st in enumerate(d.trajectory):
        mark = " ←" if i == d.chosen else ""
        lines.append(f"| {i}{mark} | {st.coverage:.3f} | {st.density:.3f} | {st.mass:.3f} | {st.restricted} |")
    lines += ["", "## CART (depth 3)", ""]
    if d.scores is None:
        lines += [n for n in d.notes if n.startswith("CART")]
    else:
        majority = max(d.n_interest, d.n_runs - d.n_interest) / d.n_runs
        held = (f"; cross-validated (stratified 5-fold, on runs each tree did not see): {d.tree_cv_accuracy:.1%}"
                if d.tree_cv_accuracy is not None else "; too few runs of one class to cross-validate")
        lines += [f"Accuracy on the runs it was grown on: {d.tree_accuracy:.1%}{held} (always answering the "
                  f"majority class: {majority:.1%}; a tree is worth reading only where its cross-validated "
                  "accuracy beats that). Importances are on the training runs.", "", "```", d.tree_text.rstrip(),
                  "```", "", "| input | importance in the tree | permutation importance (± sd over 10) |",
                  "|---|---:|---:|"]
        for row in d.scores.itertuples():
            lines.append(f"| `{row.input}` | {row.tree_importance:.3f} | {row.permutation_importance:.3f} ± "
                         f"{row.permutation_sd:.3f} |")
    others = [n for n in d.notes if not n.startswith("CART")]
    if others:
        lines += ["", *[f"- {n}" for n in others]]
    lines += ["", "![coverage against density](discover.png)", ""]
    return lines


def discover(folder: str | Path, where: str, *, inputs: Sequence[str] | None = None, prim_method: str = "auto",
             threshold: float = 0.8, out: str | Path | None = None, **kwargs: Any) -> Discovery:
    """Scenario discovery on a sweep folder: PRIM's box and a CART tree for the runs where ``where`` holds.

    Args:
        folder: a sweep's ``--out`` folder.
        where: the condition (see :func:`condition`).
        inputs: the inputs to bound (default: the sweep's varied keys).
        prim_method: ``"ema"`` (the EMA Workbench's), ``"builtin"`` (:func:`prim`) or ``"auto"`` (EMA's where
            installed).
        threshold: the least density of the chosen box.
        out: where ``discover.md`` and ``discover.png`` go (default: ``folder``).
        **kwargs: ``prim=`` is accepted for ``prim_method`` (the command line's option name).

    Returns:
        The discovery.

    Raises:
        DiscoverError: an unusable folder, condition, input or option (one line).

    """
    prim_method = kwargs.pop("prim", prim_method)
    if kwargs:
        raise TypeError(f"unexpected arguments {sorted(kwargs)}")
    if not 0 < threshold <= 1 or not math.isfinite(threshold):
        raise DiscoverError(f"--threshold {threshold}: a density in (0, 1]")
    folder = Path(folder)
    frame, meta = load_runs(folder)
    if frame.empty:
        raise DiscoverError(f"{shown_path(folder)}: runs.parquet has no rows")
    keys, notes = _inputs(frame, meta, inputs)
    y = condition(where, frame).to_numpy(dtype=bool)
    hits = int(y.sum())
    if hits == 0:
        raise DiscoverError(f"--where: no run of the {len(y):,} satisfies it: nothing to discover")
    if hits == len(y):
        raise DiscoverError(f"--where: every one of the {len(y):,} runs satisfies it: nothing to tell apart")
    x = frame[keys].astype(float)
    method = prim_method
    if prim_method not in ("auto", "builtin", "ema"):
        raise DiscoverError(f"--prim {prim_method}: expected auto, builtin or ema")
    if prim_method in ("auto", "ema"):
        try:
            import ema_workbench.analysis.prim  # noqa: F401
            method = "ema"
        except ImportError:
            if prim_method == "ema":
                raise DiscoverError("--prim ema needs the EMA Workbench: pip install 'chipdeal[discover]' (GPL "
                                    "dependencies)") from None
            method = "builtin"
    xv = x.to_numpy(dtype=float)
    data_box = Box(xv.min(axis=0), xv.max(axis=0))
    if method == "ema":
        trajectory, chosen, _ = _ema_prim(x, y, threshold)
        label = "the EMA Workbench's (ema_workbench.analysis.prim)"
    else:
        trajectory = prim(xv, y)
        chosen = _choose(trajectory, threshold)
        label = "built-in (negotiation.experiments.discover.prim)"
    box = simplify(xv, y, paste(xv, y, trajectory[chosen].box), data_box)
    d = Discovery(keys, len(y), hits, label, trajectory, chosen, box, data_box, notes=notes)
    d.pasted = box_stats(xv, y, box)
    d.held_out = held_out(xv, y, keys, threshold)
    cart = _cart(x, y)
    if isinstance(cart, str):
        d.notes.append(cart)
    else:
        d.tree_text, d.scores, d.tree_accuracy, d.tree_cv_accuracy = cart
    target = Path(out) if out is not None else folder
    try:
        target.mkdir(parents=True, exist_ok=True)
        plot_trajectory(d, target / "discover.png")
        page = target / "discover.md"
        page.write_text("\n".join(page_lines(d, where, folder)))
    except OSError as err:
        raise DiscoverError(f"{shown_path(target)}: cannot write there ({err.strerror or err})") from None
    d.page = page
    cov, den, mass = d.pasted
    restricted = [k for i, k in enumerate(keys) if box.low[i] > data_box.low[i] or box.high[i] < data_box.high[i]]
    d.summary = (f"{hits:,} of {len(y):,} runs of interest; PRIM ({method}): a box on {len(restricted)} input(s) "
                 f"({', '.join(restricted) or 'none'}) covers {cov:.0%} of them at density {den:.0%} (mass "
                 f"{mass:.0%})" + (f"; held out: {d.held_out.coverage:.0%} at {d.held_out.density:.0%}"
                                     if d.held_out is not None else "") + f" → {shown_path(page)}")
    return d
