"""The actors: the contract they share, the governments' bargaining, and one module per role.

:data:`ROLES` maps each role a scenario may give an actor to its class.
"""

from agents.contract import Actor
from agents.counterpart import Counterpart
from agents.insurer import Insurer
from agents.investor import Investor
from agents.lender import Lender
from agents.principal import Principal

ROLES: dict[str, type[Actor]] = {"counterpart": Counterpart, "principal": Principal, "lender": Lender,
                                 "insurer": Insurer, "investor": Investor}

__all__ = ["ROLES", "Counterpart", "Insurer", "Investor", "Lender", "Principal"]
