"""Summaries of an outcome over replicate runs: median, 95% interval and, where there are two, both modes.

The bimodality rule (:func:`modes`) is a gap rule, simple enough to check by hand. Sort the values; among
the cuts that leave at least :data:`MIN_MASS` of the values (and at least :data:`MIN_SIDE` of them) on each
side, take the widest gap between neighbours. The values are bimodal when that gap is at least
:data:`GAP_FRACTION` of their whole range, and at least :data:`MIN_GAP` times the larger of 1 and the largest
magnitude among them (an absolute floor: float noise such as 0 against 3.6e-15 is one mode, not two); each mode
is then reported as the median of its side, with the side's share of the values. One outlier, or a spread
without a hole in it, is not a second mode.

A discrete outcome (every value a whole number: rounds, steps) is summarised by values some run took: its
median is the lower median (8 of 7, 8, 9, 10, not 8.5), each mode's value the lower median of its side, and the
95% interval's ends the nearest values taken outside the interpolated percentiles (the interval widens to them).
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
MIN_GAP = 1e-9  # … and the gap at least this much of max(1, |values|): closer modes are float noise, one mode


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


def is_discrete(values: Sequence[float]) -> bool:
    """Whether every value is a whole number (a count such as rounds: summarised by values runs took).

    >>> is_discrete([6, 8.0, 10]), is_discrete([0.5, 1.0]), is_discrete([])
    (True, False, False)
    """
    return bool(values) and all(float(v).is_integer() for v in values)


def middle(values: Sequence[float], discrete: bool | None = None) -> float:
    """The median; for a discrete outcome the lower median, a value some run took (module docstring).

    Args:
        values: the outcome over the runs (at least one).
        discrete: whether the outcome is discrete (default: :func:`is_discrete` of the values).

    Returns:
        The median.

    >>> middle([6, 8, 10, 10]), middle([0.25, 0.5, 0.75, 1.0])
    (8.0, 0.625)

    """
    discrete = is_discrete(values) if discrete is None else discrete
    return float(statistics.median_low(values) if discrete else statistics.median(values))


def interval(values: Sequence[float], discrete: bool | None = None) -> tuple[float, float]:
    """The central 95% interval (2.5th and 97.5th percentiles, inclusive method).

    For a discrete outcome each end is moved out to the nearest value taken (module docstring).

    Args:
        values: the outcome over the runs (at least one).
        discrete: whether the outcome is discrete (default: :func:`is_discrete` of the values).

    Returns:
        The lower and the upper end.

    >>> interval([1.0]), interval([i + 0.5 for i in range(41)]), interval(list(range(41)))
    ((1.0, 1.0), (1.5, 39.5), (1.0, 39.0))
    >>> interval([6] * 19 + [10] * 21)  # the percentiles interpolate to 6.0 and 10.0
    (6.0, 10.0)
    >>> interval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])  # 1.225 and 9.775 interpolated: the values taken outside them
    (1.0, 10.0)

    """
    if len(values) == 1:
        return float(values[0]), float(values[0])
    qs = statistics.quantiles(values, n=40, method="inclusive")
    low, high = float(qs[0]), float(qs[-1])
    if is_discrete(values) if discrete is None else discrete:
        low = max(float(v) for v in values if v <= low)
        high = min(float(v) for v in values if v >= high)
    return low, high


def modes(values: Sequence[float], discrete: bool | None = None) -> tuple[Mode, Mode] | None:
    """Both modes of ``values`` if they are bimodal by the gap rule (module docstring), else ``None``.

    Args:
        values: the outcome over the runs (finite numbers).
        discrete: whether the outcome is discrete (default: :func:`is_discrete` of the values); each mode's
            value is then its side's lower median.

    Returns:
        The lower and the upper mode, or ``None``.

    >>> low, high = modes([0.5, 0.51, 0.52, 0.9, 0.91])
    >>> low.value, high.value, low.mass
    (0.51, 0.905, 0.6)
    >>> modes([0.5, 0.6, 0.7, 0.8, 0.9]) is None  # evenly spread: no hole
    True
    >>> modes([0.1] + [0.9] * 19) is None  # one outlier is 5% of the mass
    True
    >>> modes([0.0] * 6 + [3.553e-15] * 4) is None  # float noise under the absolute floor: one mode
    True

    """
    x = sorted(float(v) for v in values)
    n = len(x)
    side = max(MIN_SIDE, math.ceil(MIN_MASS * n))
    spread = x[-1] - x[0] if x else 0.0
    if n < 2 * side or spread <= 0:
        return None
    cut = max(range(side, n - side + 1), key=lambda k: x[k] - x[k - 1])  # x[:cut] | x[cut:]
    floor = MIN_GAP * max(1.0, abs(x[0]), abs(x[-1]))
    if x[cut] - x[cut - 1] < max(GAP_FRACTION * spread, floor):
        return None
    discrete = is_discrete(x) if discrete is None else discrete
    lower, upper = x[:cut], x[cut:]
    return (Mode(middle(lower, discrete), len(lower) / n, lower[0], lower[-1]),
            Mode(middle(upper, discrete), len(upper) / n, upper[0], upper[-1]))


def summarise(values: Sequence[float], discrete: bool | None = None) -> dict[str, Any]:
    """``n``, ``median``, the 95% interval (``p2_5``, ``p97_5``) and ``modes`` (``None`` unless bimodal).

    Args:
        values: the outcome over the runs.
        discrete: whether the outcome is discrete (default: :func:`is_discrete` of the values): then every
            number reported is a value some run took (module docstring).

    Returns:
        The summary.

    >>> summarise([1.0, 2.0, 3.0])["median"]
    2.0
    >>> summarise([6, 7, 7, 10, 10, 10])["median"]  # the rounds: 7, which runs took, not 8.5
    7.0

    """
    if not values:
        return {"n": 0, "median": None, "p2_5": None, "p97_5": None, "modes": None}
    discrete = is_discrete(values) if discrete is None else discrete
    low, high = interval(values, discrete)
    found = modes(values, discrete)
    return {"n": len(values), "median": middle(values, discrete), "p2_5": low, "p97_5": high,
            "modes": [m.to_json() for m in found] if found else None}
