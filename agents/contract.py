"""The contract every actor keeps: it builds itself from the scenario, declares its traits, values outcomes.

Every actor is a ``mesa.Agent`` with a ``key`` (its name in scenario files and results: ``us``, ``japan``,
…), a display ``name`` from the scenario, a ``role`` and a small dict of declared ``traits`` (Axelrod's
convention) that the model, the views and the CLI read instead of branching on keys:

* ``level``: ``"I"`` for the governments that bargain, ``"II"`` for the principal's ratifiers (Putnam
  1988), ``None`` for actors that only respond to the terms;
* ``proposes``: makes offers; ``ratifies``: must fund what the principal signs; ``has_veto``: can stop a
  deal; ``stochastic``: what in it is random.

An actor's class is chosen by its ``role`` in the scenario (:data:`ROLES` in ``agents/__init__.py``), and
its :meth:`Actor.from_spec` reads what it needs from the scenario: preferences, openings, patience,
formulas all live in the actor's own file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa

from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.scenario import Spec


class Actor(mesa.Agent):
    """Base of every actor: identity, declared traits, and its utility at an outcome."""

    role: ClassVar[str] = ""
    traits: ClassVar[dict[str, Any]] = {}

    def __init__(self, model: mesa.Model, key: str, name: str) -> None:
        super().__init__(model)
        self.key = key
        self.name = name

    @classmethod
    def from_spec(cls, model: mesa.Model, key: str, spec: Spec) -> Actor:
        """Build this actor from its table ``agents.<key>`` of the scenario (and the deal it needs)."""
        raise NotImplementedError

    def outcome_utility(self, package: Package | None) -> float:
        """This actor's utility (PV $bn, or share) at an agreed package, or at no deal when ``None``."""
        raise NotImplementedError

    def reservation_utility(self) -> float:
        """This actor's utility of no deal."""
        return self.outcome_utility(None)

    def stance(self, package: Package | None) -> str:
        """One phrase on where this actor stands on ``package`` (for the page and the table)."""
        return "—"

    def __repr__(self) -> str:
        return f"{self.name} ({self.key}, {self.role})"
