"""The EMA Workbench's PRIM (the optional extra ``discover``), its peeling trajectory read as :mod:`.prim`'s steps.

Supported: ema-workbench 3.x, the extra's range (``Prim(x, y, peel_alpha=…, paste_alpha=…, mass_min=…)``;
the suite runs it: the dev group installs it), and 2.5, whose ``Prim`` also wants the density ``threshold`` (it
is passed where the signature has one). The box is chosen from the trajectory here, as for the built-in
PRIM, so the two differ only in how they peel and paste.

Whatever goes wrong in the workbench (an import that fails, an exception, a result of another shape from a
later release) is one :class:`~negotiation.experiments.discover.condition.DiscoverError` line naming the
installed version; its warnings and log (``ipyparallel not installed``, pandas' deprecations) stay off the
terminal.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import warnings
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from negotiation.experiments.discover.condition import DiscoverError
from negotiation.experiments.discover.prim import MASS_MIN, PASTE_ALPHA, PEEL_ALPHA, Box, Step, trajectory_step

SUPPORTED = "3.x (and 2.5)"
INSTALL = "uv run --extra discover, or pip install 'chipdeal[discover]' (GPL dependencies)"


def ema_installed() -> bool:
    """Whether the EMA Workbench is installed (found, not imported: importing it takes seconds)."""
    return importlib.util.find_spec("ema_workbench") is not None


def ema_version() -> str:
    """The installed EMA Workbench's version (``"?"`` when its metadata is missing)."""
    try:
        return version("ema-workbench")
    except PackageNotFoundError:
        return "?"


def ema_prim(x: pd.DataFrame, y: np.ndarray, threshold: float) -> list[Step]:
    """The EMA Workbench's PRIM on ``x`` (runs × inputs) and ``y``: its peeling and pasting trajectory.

    Args:
        x: the inputs, one float column per input.
        y: whether each run is of interest.
        threshold: the least density of the chosen box (passed to the 2.5 series, which wants it).

    Returns:
        Every box of the trajectory as a :class:`~negotiation.experiments.discover.prim.Step`, whole range first.

    Raises:
        DiscoverError: the workbench is missing, fails, or returns what this adapter cannot read (one line,
            without the option: the caller says what follows).

    """
    where = f"the EMA Workbench {ema_version()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis import prim as workbench
        except ImportError as err:
            raise DiscoverError(f"the EMA Workbench is not installed ({err}): {INSTALL}") from None
        except Exception as err:  # noqa: BLE001 - a broken install raises anything on import
            raise DiscoverError(f"{where} cannot be imported ({err.__class__.__name__}: {err})") from None
        logging.getLogger("EMA").setLevel(logging.WARNING)
        try:
            options = {"peel_alpha": PEEL_ALPHA, "paste_alpha": PASTE_ALPHA, "mass_min": MASS_MIN}
            if "threshold" in inspect.signature(workbench.Prim).parameters:  # the 2.5 series
                options["threshold"] = threshold
            found = workbench.Prim(x, y, **options).find_box()
            limits = list(found.box_lims)
            lows = [np.array([float(lims.loc[0, c]) for c in x.columns]) for lims in limits]
            highs = [np.array([float(lims.loc[1, c]) for c in x.columns]) for lims in limits]
        except Exception as err:  # noqa: BLE001 - the workbench's own failures, or a shape this adapter cannot read
            raise DiscoverError(f"{where} failed ({err.__class__.__name__}: {err})") from None
    if not limits:
        raise DiscoverError(f"{where} returned no box")
    xv = x.to_numpy(dtype=float)
    full = Box(xv.min(axis=0), xv.max(axis=0))
    return [trajectory_step(xv, y, Box(low, high), full) for low, high in zip(lows, highs, strict=True)]
