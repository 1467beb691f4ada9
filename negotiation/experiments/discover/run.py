"""The command: the runs of interest, PRIM's box (EMA's or the built-in one), a CART tree, the page and the plot.

Outputs, in the folder (or ``--out``): ``discover.md`` (the trajectory, the box, the tree, the scores) and
``discover.png`` (coverage against density along the peeling, the chosen box marked).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from negotiation.experiments.discover.condition import DiscoverError, condition
from negotiation.experiments.discover.ema import INSTALL, SUPPORTED, ema_installed, ema_prim, ema_version
from negotiation.experiments.discover.prim import (
    MASS_MIN,
    PASTE_ALPHA,
    PEEL_ALPHA,
    Box,
    HeldOut,
    Step,
    box_stats,
    choose,
    held_out,
    paste,
    prim,
    simplify,
)
from negotiation.experiments.report import load_runs
from negotiation.inputs import close, shown_path


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


def _inputs(frame: pd.DataFrame, meta: Mapping[str, object], inputs: Sequence[str] | None) \
        -> tuple[list[str], list[str]]:
    varied = meta.get("varied_keys")
    keys = list(inputs) if inputs else [str(k) for k in varied] if isinstance(varied, list) else []
    if not keys:
        raise DiscoverError("the sweep varies no input (name them with --inputs)")
    usable, notes = [], []
    for key in keys:
        if key not in frame.columns:
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


def cart(x: pd.DataFrame, y: np.ndarray) -> tuple[str, pd.DataFrame, float, float | None] | str:
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
        return ("CART skipped: scikit-learn is not installed (uv run --extra discover, or pip install "
                "'chipdeal[discover]')")
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
             threshold: float = 0.8, out: str | Path | None = None, **kwargs: str) -> Discovery:
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
    if prim_method not in ("auto", "builtin", "ema"):
        raise DiscoverError(f"--prim {prim_method}: expected auto, builtin or ema")
    if prim_method == "ema" and not ema_installed():
        raise DiscoverError(f"--prim ema needs the EMA Workbench: {INSTALL}")
    xv = x.to_numpy(dtype=float)
    data_box = Box(xv.min(axis=0), xv.max(axis=0))
    method, label = "builtin", "built-in (negotiation.experiments.discover.prim)"
    trajectory: list[Step] | None = None
    if prim_method == "ema" or (prim_method == "auto" and ema_installed()):
        try:
            trajectory = ema_prim(x, y, threshold)
            method, label = "ema", f"the EMA Workbench {ema_version()}'s (ema_workbench.analysis.prim)"
        except DiscoverError as err:
            if prim_method == "ema":
                raise DiscoverError(f"--prim ema: {err}; supported: ema-workbench {SUPPORTED}; --prim builtin runs "
                                    "the built-in PRIM") from None
            notes.append(f"{err}: the built-in PRIM was used instead")
    if trajectory is None:
        trajectory = prim(xv, y)
    chosen = choose(trajectory, threshold)
    box = simplify(xv, y, paste(xv, y, trajectory[chosen].box), data_box)
    d = Discovery(keys, len(y), hits, label, trajectory, chosen, box, data_box, notes=notes)
    d.pasted = box_stats(xv, y, box)
    d.held_out = held_out(xv, y, keys, threshold)
    tree = cart(x, y)
    if isinstance(tree, str):
        d.notes.append(tree)
    else:
        d.tree_text, d.scores, d.tree_accuracy, d.tree_cv_accuracy = tree
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
