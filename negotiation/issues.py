"""What is bargained over: a package of terms, and the offers and responses that carry packages.

A package sets the US share of the equity-related profits before the principal recoups its deemed
allocation (q) and after (s) — one share when the two are equal — and, for each group of goods a deal can
set a rate for, that rate (``tariff_rates``, in the order of the scenario's ``deal.goods``, groups the deal
cannot change left out). Shares are fractions in [0, 1]; rates are fractions (0.15 is 15%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MAX_RATE = 2.0  # the highest tariff rate a scenario may name (200%)
SHARE_STEP = 0.02  # the grid step of the shares the governments plan over (their claims are added)


@dataclass(frozen=True)
class Package:
    """One set of terms: the US shares before and after recoup, and the rate on each bargained group of goods."""

    us_share_before_recoup: float
    us_profit_share: float
    tariff_rates: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name in ("us_share_before_recoup", "us_profit_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        for rate in self.tariff_rates:
            if not 0.0 <= rate <= MAX_RATE:
                raise ValueError(f"a tariff rate must lie in [0, {MAX_RATE:g}], got {rate}")

    @classmethod
    def one_share(cls, share: float, tariff_rates: tuple[float, ...] = ()) -> Package:
        """A package with one US share throughout (no phases)."""
        return cls(share, share, tariff_rates)

    @property
    def two_phase(self) -> bool:
        """Whether the shares before and after recoup differ."""
        return self.us_share_before_recoup != self.us_profit_share


@dataclass(frozen=True)
class Offer:
    """A package proposed by one actor to another in a given round (1-based)."""

    round: int
    proposer: str
    responder: str
    package: Package


@dataclass(frozen=True)
class Response:
    """An actor's answer to an offer; ``reason`` says why it was refused (e.g. ``"not funded"``)."""

    actor: str
    accepted: bool
    reason: str = ""


@dataclass(frozen=True)
class ContinuousTerm:
    """A term set continuously: the rate on a group of goods (``name`` its key), or the share in the unit game."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class PackageTerms:
    """What a package sets: its options (share pairs) and its continuous terms.

    ``q`` and ``s`` hold each option's US shares before and after recoup. With ``share_is_continuous`` (the
    unit game) there is one option and the one continuous term is the share itself.
    """

    q: np.ndarray
    s: np.ndarray
    continuous: tuple[ContinuousTerm, ...]
    share_is_continuous: bool = False

    @property
    def options(self) -> int:
        """How many share options there are."""
        return int(self.q.size)

    def package(self, option: int, values: Sequence[float]) -> Package:
        """The package of an option with the continuous terms at ``values``."""
        if self.share_is_continuous:
            share = min(max(float(values[0]), 0.0), 1.0)
            return Package(share, share)
        rates = tuple(min(max(float(v), t.low), t.high) for v, t in zip(values, self.continuous, strict=True))
        return Package(float(self.q[option]), float(self.s[option]), rates)

    @cached_property
    def _index(self) -> dict[tuple[float, float], int]:
        return {(float(q), float(s)): i for i, (q, s) in enumerate(zip(self.q, self.s, strict=True))}

    def option_of(self, package: Package) -> int | None:
        """The option whose shares a package has (``None`` if they are not on the grid)."""
        if self.share_is_continuous:
            return 0
        return self._index.get((package.us_share_before_recoup, package.us_profit_share))

    def continuous_values(self, package: Package) -> tuple[float, ...]:
        """A package's continuous terms: its tariff rates (the share itself in the unit game)."""
        return (package.us_profit_share,) if self.share_is_continuous else package.tariff_rates


def share_grid(claims: Sequence[float], two_phase: bool, step: float = SHARE_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Every (q, s) option: shares in steps of ``step`` over [0, 1] with the claims added; q = s with one phase.

    >>> q, s = share_grid([0.55], two_phase=False, step=0.5)
    >>> q.tolist(), s.tolist()
    ([0.0, 0.5, 0.55, 1.0], [0.0, 0.5, 0.55, 1.0])
    >>> share_grid([], two_phase=True, step=0.5)[1].tolist()
    [0.0, 0.5, 1.0, 0.0, 0.5, 1.0, 0.0, 0.5, 1.0]
    """
    n = round(1.0 / step)
    values = sorted({round(i / n, 12) for i in range(n + 1)} | {float(c) for c in claims})
    shares = np.array(values, dtype=float)
    if not two_phase:
        return shares.copy(), shares.copy()
    q, s = np.meshgrid(shares, shares, indexing="ij")
    return q.ravel(), s.ravel()
