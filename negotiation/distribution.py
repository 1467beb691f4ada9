"""Summaries of an outcome over replicate runs: median, 95% interval and, where there are two, both modes.

The bimodality rule (:func:`modes`) is a gap rule, simple enough to check by hand. Sort the values; among
the cuts that leave at least :data:`MIN_MASS` of the values (and at least :data:`MIN_SIDE` of them) on each
side, take the widest gap between neighbours. The values are bimodal when that gap is at least
:data:`GAP_FRACTION` of their whole range; each mode is then reported as the median of its side, with the
side's share of the values. One outlier, or a spread without a hole in it, is not a second mode.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GAP_FRACTION = 1 / 3  # the widest admissible gap must span at least this much of the range
MIN_MASS = 0.10  # each side of the gap holds at least this share of the values …
MIN_SIDE = 2  # … and at least this many values


@dataclass(frozen=True)
class Mode:
    """One side of a bimodal distribution: its median, its share of the values, its lowest and highest value."""

    value: float
    mass: float
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        """The mode as a JSON object."""
        return {"value": self.value, "mass": self.mass, "low": self.low, "high": self.high}


def interval(values: Sequence[float]) -> tuple[float, float]:
    """The central 95% interval (2.5th and 97.5th percentiles, inclusive method).

    >>> interval([1.0]), interval(list(range(41)))
    ((1.0, 1.0), (1.0, 39.0))
    """
    if len(values) == 1:
        return float(values[0]), float(values[0])
    qs = statistics.quantiles(values, n=40, method="inclusive")
    return qs[0], qs[-1]


def modes(values: Sequence[float]) -> tuple[Mode, Mode] | None:
    """Both modes of ``values`` if they are bimodal by the gap rule (module docstring), else ``None``.

    Args:
        values: the outcome over the runs (finite numbers).

    Returns:
        The lower and the upper mode, or ``None``.

    >>> low, high = modes([0.5, 0.51, 0.52, 0.9, 0.91])
    >>> low.value, high.value, low.mass
    (0.51, 0.905, 0.6)
    >>> modes([0.5, 0.6, 0.7, 0.8, 0.9]) is None  # evenly spread: no hole
    True
    >>> modes([0.1] + [0.9] * 19) is None  # one outlier is 5% of the mass
    True

    """
    x = sorted(float(v) for v in values)
    n = len(x)
    side = max(MIN_SIDE, math.ceil(MIN_MASS * n))
    spread = x[-1] - x[0] if x else 0.0
    if n < 2 * side or spread <= 0:
        return None
    cut = max(range(side, n - side + 1), key=lambda k: x[k] - x[k - 1])  # x[:cut] | x[cut:]
    if x[cut] - x[cut - 1] < GAP_FRACTION * spread:
        return None
    lower, upper = x[:cut], x[cut:]
    return (Mode(statistics.median(lower), len(lower) / n, lower[0], lower[-1]),
            Mode(statistics.median(upper), len(upper) / n, upper[0], upper[-1]))


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """``n``, ``median``, the 95% interval (``p2_5``, ``p97_5``) and ``modes`` (``None`` unless bimodal).

    >>> summarise([1.0, 2.0, 3.0])["median"]
    2.0
    """
    if not values:
        return {"n": 0, "median": None, "p2_5": None, "p97_5": None, "modes": None}
    low, high = interval(values)
    found = modes(values)
    return {"n": len(values), "median": float(statistics.median(values)), "p2_5": low, "p97_5": high,
            "modes": [m.to_json() for m in found] if found else None}
