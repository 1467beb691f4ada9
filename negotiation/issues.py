"""What is bargained over: a package of terms, and the offers and responses that carry packages.

A package sets the US share of the equity-related profits before the principal recoups its deemed
allocation (q) and after (s) — one share when the two are equal — and, for each group of goods a deal can
set a rate for, that rate (``tariff_rates``, in the order of the scenario's ``deal.goods``, groups the deal
cannot change left out). Shares are fractions in [0, 1]; rates are fractions (0.15 is 15%).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RATE = 2.0  # the highest tariff rate a scenario may name (200%)


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
