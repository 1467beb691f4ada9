"""What is bargained over: a package of terms, and the offers and responses that carry packages.

The two issues are the US share of equity-related profits (a fraction in [0, 1]; after recoup under the
two-phase rule) and tariff relief, held as the fraction of the relief at stake that the US grants (a
fraction in [0, 1]; results report it as the duty it removes and as its value to the principal, both in
$bn a year).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Package:
    """One set of terms: the US profit share and the fraction of the tariff relief at stake granted."""

    us_profit_share: float
    relief_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("us_profit_share", "relief_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")


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
