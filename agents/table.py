"""What an actor may know of the negotiation table: the one interface the actors read the model through.

:class:`Table` declares every attribute and method of :class:`negotiation.model.NegotiationModel` that code in
``agents/`` reads (mypy checks both sides: the model is a ``Table``). An actor reads its own scenario table
when it builds itself, the deal's economics, the calendar and the protocol from here, and nothing else of
the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from negotiation.economics import Portfolio, TradeTerms
from negotiation.issues import Offer

if TYPE_CHECKING:
    from agents.counterpart import Counterpart
    from agents.frontier import Preferences, Values
    from agents.insurer import Insurer
    from agents.investor import Investor
    from agents.lender import Lender
    from agents.principal import Principal
    from negotiation.issues import PackageTerms


class Table(Protocol):
    """The negotiation table as the actors see it (see the module docstring)."""

    # the calendar and the protocol
    round_years: float  # calendar time a round takes
    round_dates: np.ndarray  # years from the talks' start of each round (index k − 1: round k)
    max_rounds: int  # the last round a deal can be struck in
    concession_rounds: int  # the round by which a government concedes all the way (Faratin's t_max)
    survival: float  # the chance the talks survive a refusal
    concession: str  # how a government concedes: "screening" (Bayesian beliefs over types) or "clock" (Faratin)
    belief_noise: float  # σ of the log belief errors, which each government knows as its own uncertainty
    type_points: int  # the Gauss–Hermite points of its prior along each parameter
    answer_noise: float  # a type's evaluation noise as a fraction of its stake

    offers: list[Offer]  # every offer made so far
    agreement_round: int  # the round of the agreement (0 until there is one)

    def proposer_in(self, t: int) -> str:
        """Which government proposes in round ``t``."""
        ...

    @property
    def round(self) -> int:
        """The round being (or about to be) played."""
        ...

    # the deal
    unit_surplus: bool  # the unit game (a share of a surplus of 1) rather than the package game
    terms: PackageTerms  # what a package sets
    trade: TradeTerms | None  # the tariff side (None: no tariff at stake)
    portfolio: Portfolio | None  # the projects (None in the unit game)
    equity_usd_bn: float  # the principal's equity in the package
    fund_usd_bn: float  # the whole package
    deployment_deadline_years: float  # the package is deployed from signing to this date
    build_per_rate: np.ndarray  # per continuous term: investors' extra build ($bn) per unit the rate is cut
    parts_margin_per_rate: np.ndarray  # per continuous term: the principal's suppliers' margin on it ($bn)

    # who else sits at the table
    counterpart: Counterpart
    principal: Principal
    lenders: list[Lender]
    insurers: list[Insurer]
    investors: list[Investor]

    def values_for(self, preferences: Preferences, own: str | None = None) -> Values:
        """Utility terms of ``preferences`` at every round (``own``: a government's true preferences, cached)."""
        ...
