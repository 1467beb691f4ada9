"""PRIM, written here (Friedman & Fisher 1999): peeling, pasting, simplifying, a checker, and a held-out score.

PRIM (the Patient Rule Induction Method) peels the inputs' box a little at a time towards the runs of
interest; each box on the way has a *coverage* (the share of the runs of interest inside it) and a *density*
(the share of the runs inside it that are of interest). :func:`choose` picks the box with the most coverage
among those at least ``threshold`` dense (the densest where none is). Pure NumPy; the EMA Workbench's PRIM
(:mod:`.ema`) gives the same kind of trajectory where it is installed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PEEL_ALPHA = 0.05  # the share of a box's runs each peel removes (Friedman & Fisher's α)
PASTE_ALPHA = 0.05  # the share of a box's runs each paste adds
MASS_MIN = 0.05  # peeling stops before a box would hold fewer than this share of all runs


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


def trajectory_step(x: np.ndarray, y: np.ndarray, box: Box, full: Box) -> Step:
    """A box of the trajectory with its statistics, and how many inputs it restricts within ``full``."""
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
    trajectory = [trajectory_step(x, y, box, full)]
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
        trajectory.append(trajectory_step(x, y, box, full))
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


def choose(trajectory: Sequence[Step], threshold: float) -> int:
    """The chosen box's step: the most coverage among those at least ``threshold`` dense, else the densest."""
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
        box = simplify(xt, yt, paste(xt, yt, trajectory[choose(trajectory, threshold)].box), full)
        inside = np.all((x[test] >= box.low) & (x[test] <= box.high), axis=1)
        coverages.append(float(inside[y[test]].mean()))
        if inside.any():
            densities.append(float(y[test][inside].mean()))
        for i, key in enumerate(keys):
            if box.low[i] > full.low[i] or box.high[i] < full.high[i]:
                restricted[key] += 1
    density = float(np.mean(densities)) if densities else math.nan
    return HeldOut(float(np.mean(coverages)), density, restricted, folds)
