"""The calibration spec: its priors, the patterns it fits, checked before any run.

A *calibration spec* (TOML, ``runs/calibration/baseline.toml``) names a base ``scenario``, a ``patterns`` file
(``runs/patterns.toml``), the ``[prior]`` of each free parameter (``uniform`` or ``loguniform`` over the range
the base scenario documents), the ``population`` size, the most ``generations``, the epsilon schedule and a
master ``seed``. The summary statistics are the patterns whose ``use`` is ``calibration`` or
``corroboration`` (or those ``--fit`` names): each run's value of the pattern's column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, overload

import numpy as np
import numpy.typing as npt
from pydantic import Field, ValidationError, model_validator

from negotiation.experiments.executors import Stopped
from negotiation.experiments.report import Pattern, load_patterns
from negotiation.experiments.sampling import DISTRIBUTIONS, LogUniform, Uniform
from negotiation.experiments.store import result_columns
from negotiation.experiments.sweepfile import SweepError, read_base_scenario, read_batch_file
from negotiation.inputs import InputError, ScenarioError, Strict, close, shown_path
from negotiation.keypaths import format_error
from negotiation.scenario import Spec
from negotiation.scenario_files import with_overrides

FITTED_USES = ("calibration", "corroboration")


class CalibrationError(InputError):
    """A calibration spec, or the request to run it, that cannot be carried out (exit 2, one line)."""


class CalibrationStopped(Stopped):
    """Interrupted or failed part-way; the message says which generations were kept."""


PriorSpec = Annotated[Uniform | LogUniform, Field(discriminator="dist")]  # a sweep's distributions, on [low, high]


class EpsilonSpec(Strict):
    """The acceptance thresholds: a ``quantile`` of the last population's distances, or a fixed ``schedule``."""

    quantile: float = Field(default=0.5, gt=0, lt=1)
    schedule: list[float] = Field(default_factory=list)
    minimum: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _decreasing(self) -> EpsilonSpec:
        if any(e < 0 for e in self.schedule) or any(b > a for a, b in zip(self.schedule, self.schedule[1:],
                                                                              strict=False)):
            raise ValueError("schedule: thresholds must be non-negative and never increase")
        return self


class CalibrationFile(Strict):
    """The validated contents of a calibration spec (see the module docstring)."""

    scenario: str
    patterns: str = "../patterns.toml"
    name: str = ""
    description: str = ""
    fit: list[str] = Field(default_factory=list)  # pattern columns or names; default: calibration, corroboration
    population: int = Field(default=500, ge=10, le=100_000)
    generations: int = Field(default=8, ge=1, le=100)
    epsilon: EpsilonSpec = Field(default_factory=EpsilonSpec)
    min_acceptance_rate: float = Field(default=0.0, ge=0, lt=1)
    max_minutes: float | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    prior: dict[str, PriorSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Prior:
    """A free parameter's prior: a uniform or log-uniform distribution over [low, high]."""

    key: str
    dist: str
    low: float
    high: float

    @property
    def log(self) -> bool:
        """Whether the prior is log-uniform (its natural scale is the logarithm)."""
        return self.dist == "loguniform"

    @overload
    def natural(self, x: float) -> float: ...
    @overload
    def natural(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def natural(self, x: float | npt.ArrayLike) -> float | npt.NDArray[np.float64]:
        """``x`` on the scale where the prior is flat (the logarithm for a log-uniform prior)."""
        if isinstance(x, float | int):
            return float(np.log(x)) if self.log else float(x)
        return np.log(np.asarray(x, dtype=float)) if self.log else np.asarray(x, dtype=float)

    def quantile(self, q: float) -> float:
        """The prior's ``q`` quantile.

        >>> round(Prior("k", "loguniform", 0.01, 1.0).quantile(0.5), 6)
        0.1
        """
        if self.log:
            return float(math.exp(math.log(self.low) + q * (math.log(self.high) - math.log(self.low))))
        return self.low + q * (self.high - self.low)

    @overload
    def to_unit(self, x: float) -> float: ...
    @overload
    def to_unit(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def to_unit(self, x: float | npt.ArrayLike) -> float | npt.NDArray[np.float64]:
        """The prior quantile of ``x`` (its CDF): uniform on [0, 1] under the prior.

        >>> float(Prior("k", "loguniform", 0.01, 1.0).to_unit(0.1))
        0.5
        """
        lo, hi = self.natural(self.low), self.natural(self.high)
        return (self.natural(x) - lo) / (hi - lo)

    @overload
    def from_unit(self, u: float) -> float: ...
    @overload
    def from_unit(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def from_unit(self, u: float | npt.NDArray[np.float64]) -> float | npt.NDArray[np.float64]:
        """The value at prior quantile ``u`` in (0, 1).

        >>> Prior("k", "uniform", 2.0, 4.0).from_unit(0.25)
        2.5
        """
        if self.log:
            value = np.exp(math.log(self.low) + np.asarray(u) * (math.log(self.high) - math.log(self.low)))
            return float(value) if isinstance(u, float | int) else value
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Calibration:
    """A calibration ready to run: its spec, base scenario, priors and patterns (fitted and all)."""

    file: CalibrationFile
    base: Spec
    priors: tuple[Prior, ...]
    patterns: tuple[Pattern, ...]
    fitted: tuple[Pattern, ...]
    source: str
    sha256: str
    patterns_source: str = ""

    @property
    def keys(self) -> list[str]:
        """The free parameters' dotted keys, in file order."""
        return [p.key for p in self.priors]


def select_patterns(patterns: Sequence[Pattern], fit: Sequence[str], source: str = "--fit") -> list[Pattern]:
    """The patterns to fit: those ``fit`` names (by column or name), else those of use calibration/corroboration.

    Args:
        patterns: every pattern.
        fit: columns or names (empty: the default uses).
        source: where ``fit`` came from (for messages).

    Returns:
        The fitted patterns, in file order.

    Raises:
        CalibrationError: a name matches no pattern, or nothing is left to fit.

    >>> ps = [Pattern("a", "x", 0, 1, "F", "calibration"), Pattern("b", "y", 0, 1, "F", "imposed")]
    >>> [p.name for p in select_patterns(ps, [])], [p.name for p in select_patterns(ps, ["y"])]
    (['a'], ['b'])

    """
    if not fit:
        chosen = [p for p in patterns if p.use in FITTED_USES]
        if not chosen:
            raise CalibrationError(f"{source}: no pattern has use calibration or corroboration; name them with fit")
        return chosen
    wanted = [w.strip() for w in fit if w.strip()]
    for w in wanted:
        if not any(w in (p.column, p.name) for p in patterns):
            near = close(w, [p.column for p in patterns])
            hint = f" (did you mean {near}?)" if near else f" (columns: {', '.join(p.column for p in patterns)})"
            raise CalibrationError(f"{source}: {w!r} names no pattern{hint}")
    chosen = [p for p in patterns if p.column in wanted or p.name in wanted]
    if not chosen:
        raise CalibrationError(f"{source}: names no pattern")
    return chosen


def load_calibration(path: str | Path, fit: Sequence[str] | None = None, *, population: int | None = None,
                     generations: int | None = None, seed: int | None = None) -> Calibration:
    """Read and check a calibration spec; every problem is a :class:`CalibrationError` raised before any run.

    Args:
        path: the spec.
        fit: pattern columns or names to fit instead of the spec's choice.
        population: overrides the spec's population size.
        generations: overrides the spec's most generations.
        seed: overrides the spec's master seed.

    Returns:
        The checked calibration.

    """
    path = Path(path)
    source = shown_path(path)
    try:
        data, sha = read_batch_file(path)
    except SweepError as err:
        raise CalibrationError(str(err)) from None
    scenario = data.get("scenario")
    try:
        base = read_base_scenario(path, scenario, "the calibration spec")
    except SweepError as err:
        raise CalibrationError(str(err)) from None
    overrides = {k: v for k, v in (("population", population), ("generations", generations), ("seed", seed))
                 if v is not None}
    try:
        file = CalibrationFile.model_validate({**data, **overrides})
    except ValidationError as err:
        option = str(err.errors()[0]["loc"][0]) if err.errors()[0]["loc"] else ""
        if option in overrides:  # the option the user typed, not the file, holds the bad value
            raise CalibrationError(format_error(err, f"--{option} {overrides[option]}", key=option,
                                                root=CalibrationFile)) from None
        raise CalibrationError(format_error(err, source, data, root=CalibrationFile, names=DISTRIBUTIONS)) from None
    patterns_path = (path.parent / file.patterns)
    try:
        patterns = load_patterns(patterns_path)
    except SweepError as err:
        raise CalibrationError(f"{source}: patterns: {err}") from None
    fitted = select_patterns(patterns, list(fit) if fit else file.fit, "--fit" if fit else f"{source}: fit")
    columns = set(result_columns(base))
    for p in patterns:
        if p.column not in columns:
            raise CalibrationError(f"{shown_path(patterns_path)}: pattern {p.name!r}: the model has no column "
                                   f"{p.column!r}")
    priors = []
    for key, prior in file.prior.items():
        for value in (prior.low, prior.high):
            try:
                spec = with_overrides(base, {key: value}, source=f"{source}: prior")
            except ScenarioError as err:
                raise CalibrationError(f"{err} ({prior.dist} on [{prior.low:g}, {prior.high:g}] reaches it)") from None
        current = _value(spec, key)
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise CalibrationError(f"{source}: prior: {key}: not a number in the scenario (a prior needs one)")
        priors.append(Prior(key, prior.dist, prior.low, prior.high))
    return Calibration(file, base, tuple(priors), tuple(patterns), tuple(fitted), source, sha,
                       shown_path(patterns_path))


def _value(spec: Spec, key: str) -> object:
    node: object = spec.model_dump()
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node
