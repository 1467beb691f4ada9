"""Robustness of the levers a government chooses: mean, 10th percentile and maximum regret per lever set.

A sweep with ``[levers]`` runs every lever set in the same states of the world s (a grid point, a sample of
the uncertainties and a replicate's seed: common random numbers), so lever sets can be compared state by
state. For an outcome y that its owner wants high (a government's gain over no deal, ``utility_<key>``, PV
$bn; agreement, 1 or 0), lever set l and the S states every lever set finished without error:

* mean:        ȳ_l = (1/S) Σ_s y(l, s)  (for agreement: the agreement rate);
* 10th pct:    the 10th percentile of y(l, s) over s (linear interpolation between order statistics,
  NumPy's default): what the lever set guarantees in all but the worst tenth of the states;
* regret:      r(l, s) = max_{l'} y(l', s) − y(l, s) ≥ 0, what choosing l cost in state s against the best
  lever set *for that state* (Savage 1951); max regret = max_s r(l, s), the minimax-regret criterion of
  robust decision making (Lempert, Popper & Bankes 2003).

A state in which any lever set's run raised is left out for every lever set (each is compared on the same
states), and the report says how many.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

PERCENTILE = 10


def outcome_columns(frame: pd.DataFrame, meta: Mapping[str, object]) -> list[str]:
    """The outcomes compared: each government's utility (``utility_<key>``), then agreement.

    Args:
        frame: the sweep's rows.
        meta: its provenance (``governments`` names the two; else every ``utility_*`` column is used).

    Returns:
        Column names present in ``frame``.

    """
    governments = meta.get("governments")
    if isinstance(governments, list) and all(f"utility_{k}" in frame for k in governments):
        utilities = [f"utility_{k}" for k in governments]
    else:
        utilities = [c for c in frame.columns if c.startswith("utility_")]
    return [*utilities, "agreed"]


def regret_table(frame: pd.DataFrame, levers: list[str], outcomes: list[str]) -> tuple[pd.DataFrame, int, int]:
    """Per lever set: each outcome's mean, 10th percentile and maximum regret over the states (module docstring).

    Args:
        frame: the sweep's rows, with ``lever_set`` and ``state`` columns and the lever keys.
        levers: the lever keys (dotted), in file order.
        outcomes: the outcome columns (higher is better).

    Returns:
        The table (one row per lever set, in lever-set order: the levers' values, then ``<outcome> mean``,
        ``<outcome> p10`` and ``<outcome> max regret`` for each outcome), the number of states compared and
        the number left out because a run raised in them.

    """
    failed = frame.loc[frame["error"] != "", "state"].unique()
    kept = frame[~frame["state"].isin(failed)]
    n_states = int(kept["state"].nunique())
    sets = frame.groupby("lever_set")[levers].first().sort_index()
    table = sets.reset_index(drop=True).copy()
    for column in outcomes:
        y = kept.pivot(index="state", columns="lever_set", values=column).astype(float)
        y = y.reindex(columns=sets.index)
        regret = y.max(axis=1).to_numpy()[:, None] - y.to_numpy()
        values = y.to_numpy()
        empty = values.shape[0] == 0
        table[f"{column} mean"] = np.full(len(sets), np.nan) if empty else values.mean(axis=0)
        table[f"{column} p{PERCENTILE}"] = (np.full(len(sets), np.nan) if empty
                                            else np.percentile(values, PERCENTILE, axis=0))
        table[f"{column} max regret"] = np.full(len(sets), np.nan) if empty else regret.max(axis=0)
    return table, n_states, len(failed)


def _label(column: str) -> str:
    return "agreement" if column == "agreed" else column.removeprefix("utility_") + " $bn"


def robustness_lines(frame: pd.DataFrame, meta: Mapping[str, object]) -> tuple[list[str], pd.DataFrame | None]:
    """Markdown for the report: the regret table per lever set and the minimax-regret choice per outcome.

    Args:
        frame: the sweep's rows.
        meta: its provenance (``levers``: the lever keys).

    Returns:
        The lines (none without levers) and the table (``None`` without levers).

    """
    found = meta.get("levers")
    levers = [str(k) for k in found] if isinstance(found, list) else []
    if not (levers and {"lever_set", "state", *levers} <= set(frame.columns)):
        return [], None
    outcomes = outcome_columns(frame, meta)
    table, n_states, n_failed = regret_table(frame, levers, outcomes)
    lines = ["", "## Robustness of the levers (regret per lever set)", "",
             f"{len(table)} lever sets, each run in the same {n_states} states of the world (grid point, sample, "
             "seed)" + (f"; {n_failed} state(s) left out because a run raised in them" if n_failed else "")
             + ". Per outcome: the mean over the states, the 10th percentile, and the maximum regret (the best "
             "lever set's value in a state minus this one's; 0 = never beaten). Utilities are each government's "
             "PV $bn gain over no deal; agreement is 1 or 0 per state (its mean is the agreement rate; a maximum "
             "regret of 1: in some state another lever set agreed and this one did not).", "",
             "| " + " | ".join([*levers, *(f"{_label(c)} {stat}" for c in outcomes
                                          for stat in ("mean", f"p{PERCENTILE}", "max regret"))]) + " |",
             "|" + "---|" * len(levers) + "---:|" * (3 * len(outcomes))]
    for _, row in table.iterrows():
        cells = [str(row[k]) for k in levers]
        for c in outcomes:
            fmt = "{:.3f}" if c == "agreed" else "{:.2f}"
            cells += [fmt.format(row[f"{c} {stat}"]) for stat in ("mean", f"p{PERCENTILE}", "max regret")]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    records = table[levers].to_dict("records")
    for c in outcomes:
        regrets = table[f"{c} max regret"].to_numpy(dtype=float)
        if np.isnan(regrets).all():
            continue
        low = float(np.nanmin(regrets))
        best = [i for i, r in enumerate(regrets) if r <= low + 1e-12 * max(1.0, abs(low))]
        if len(best) == len(regrets):
            lines.append(f"- {_label(c)}: every lever set has the same maximum regret ({low:.3g}).")
            continue
        chosen = "; ".join(", ".join(f"{k} = {records[i][k]}" for k in levers) for i in best)
        lines.append(f"- {_label(c)}: least maximum regret ({low:.3g}) with {chosen}.")
    return lines, table
