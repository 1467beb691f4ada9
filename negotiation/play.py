"""A person in a government's seat: a :class:`HumanSeat` the model consults instead of that government's rules.

The model asks ``model.decider(key)`` who proposes and responds for a government (``NegotiationModel.seats``):
a seated :class:`HumanSeat` hands over what the person chose, the other government and the lenders keep
their own rules (``Government.propose`` / ``respond``, ``Principal.ratify``), and the protocol stays in
``NegotiationModel.step``. A round with a person in it is played in two moves: the page asks what the
round holds (:func:`agent_offer`, :func:`preview_offer`: the other side's answers computed by their own rules,
without playing), the person decides (:meth:`HumanSeat.offer` / :meth:`HumanSeat.answer`), and ``step()``
plays the round. At the end :func:`comparison` sets the person's deal beside the agents' (a seeded run of
the same scenario with nobody seated) and the equilibrium (``model.solve()``).

No Solara here: the page (``negotiation/app.py``) lays this out, and the tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from negotiation.issues import Offer, Package, Response

REFUSED = "refused by the person in the seat"


class SeatNotReady(RuntimeError):
    """The model asked a :class:`HumanSeat` for a move the person has not made yet (an internal error)."""


@dataclass
class HumanSeat:
    """A government's seat taken by a person: it proposes and answers what the person chose, once each.

    Args:
        key: the government's key (``us``, ``japan``).

    """

    key: str
    _offer: Package | None = field(default=None, repr=False)
    _answer: bool | None = field(default=None, repr=False)

    def offer(self, package: Package) -> None:
        """Set the package the person proposes in the coming round.

        Args:
            package: the terms.

        """
        self._offer = package

    def answer(self, accept: bool) -> None:
        """Set the person's answer to the other side's offer in the coming round.

        Args:
            accept: ``True`` to accept, ``False`` to refuse.

        """
        self._answer = bool(accept)

    def propose(self, t: int) -> Package:
        """What the person proposes in round ``t`` (the package set with :meth:`offer`, used once).

        Args:
            t: the round (1-based).

        Returns:
            The package.

        Raises:
            SeatNotReady: no package was set.

        """
        if self._offer is None:
            raise SeatNotReady(f"round {t}: {self.key}'s seat has no offer to make")
        package, self._offer = self._offer, None
        return package

    def respond(self, offer: Offer, ratification: tuple[Response, ...] = ()) -> Response:
        """The person's answer to ``offer`` (set with :meth:`answer`, used once).

        The lenders' verdict is the model's to apply (a deal is signed only if funded), as for any government.

        Args:
            offer: the other side's offer.
            ratification: the lenders' answers (shown to the person before they answer).

        Returns:
            The person's response.

        Raises:
            SeatNotReady: no answer was set.

        """
        if self._answer is None:
            raise SeatNotReady(f"round {offer.round}: {self.key}'s seat has no answer to give")
        accept, self._answer = self._answer, None
        return Response(self.key, accept, "" if accept else REFUSED)


def take_seat(model: Any, key: str) -> HumanSeat:
    """Seat a person at government ``key`` of ``model`` (before its first round).

    Args:
        model: a :class:`~negotiation.model.NegotiationModel`.
        key: one of ``model.governments``.

    Returns:
        The seat, also in ``model.seats[key]``.

    Raises:
        KeyError: ``key`` is not a government of the model.

    """
    if key not in model.governments:
        raise KeyError(key)
    seat = model.seats[key] = HumanSeat(key)
    return seat


def human_key(model: Any) -> str | None:
    """The government a person plays in ``model``, if any."""
    return next((k for k, s in model.seats.items() if isinstance(s, HumanSeat)), None)


def seated_key(model: Any) -> str:
    """The government a person plays in ``model``; a model with no person seated is a caller's error."""
    key = human_key(model)
    if key is None:
        raise RuntimeError("no person is seated in this model")
    return key


def coming_round(model: Any) -> int:
    """The round the next ``step()`` plays (1-based)."""
    return int(model.steps) + 1


def proposer_of_coming_round(model: Any) -> str:
    """The key of the government that proposes in the coming round."""
    return str(model.proposer_in(coming_round(model)))


@dataclass(frozen=True)
class Bounds:
    """What a proposal may ask for: the US share and, where a tariff is at stake, the agreed rate."""

    share: tuple[float, float]
    tariff_rate: tuple[float, float] | None  # (floor, threat); None: no tariff at stake


def bounds(model: Any) -> Bounds:
    """The protocol's bounds on a proposal: ``model.share_range()`` and the floor and threatened rates."""
    tariff = (model.trade.floor_rate, model.trade.threat_rate) if model.relief_at_stake and model.trade else None
    return Bounds(tuple(model.share_range()), tariff)


def package_of(model: Any, share: float, tariff_rate: float | None = None) -> Package:
    """The package with US share ``share`` and the agreed all-in ``tariff_rate`` (a fraction, e.g. 0.15).

    The rate maps to the relief fraction x by the deal's line, τ = τ_threat − x·(τ_threat − τ_floor).

    Args:
        model: the model.
        share: the US share of equity profits (after recoup under the two-phase rule), within the bounds.
        tariff_rate: the agreed rate, between the floor and the threat (ignored when no tariff is at stake).

    Returns:
        The package.

    Raises:
        ValueError: a value outside the protocol's bounds, or not a number.

    """
    b = bounds(model)
    share = float(share)
    lo, hi = b.share
    if not lo - 1e-9 <= share <= hi + 1e-9:
        raise ValueError(f"US share {share:g}: the protocol allows {lo:.0%} to {hi:.0%}")
    share = min(max(share, lo), hi)
    if b.tariff_rate is None:
        return Package(share, 0.0)
    if tariff_rate is None:
        raise ValueError("a tariff rate is needed: a tariff is at stake")
    rate = float(tariff_rate)
    floor, threat = b.tariff_rate
    if not floor - 1e-9 <= rate <= threat + 1e-9:
        raise ValueError(f"tariff rate {rate:g}: between the floor {floor:.1%} and the threat {threat:.1%}")
    relief = 1.0 if threat <= floor else (threat - rate) / (threat - floor)
    return Package(share, min(max(relief, 0.0), 1.0))


@dataclass(frozen=True)
class DelayCost:
    """What a round's delay costs a government on given terms: its utility now less a round later."""

    per_round_usd_bn: float
    per_month_usd_bn: float


def delay_cost(model: Any, key: str, package: Package, t: int) -> DelayCost | None:
    """What agreeing on ``package`` a round after round ``t``, not in it, costs government ``key``.

    The difference in its utility (PV at the talks' start) between agreeing in round t and in round t + 1 on
    the same terms, and that per month of the round; ``None`` in the last round (there is no later one).

    Args:
        model: the model.
        key: the government.
        package: the terms.
        t: the round.

    Returns:
        The cost, or ``None``.

    """
    if t >= model.max_rounds:
        return None
    gov = model.governments[key]
    cost = gov.utility_of(package, t) - gov.utility_of(package, t + 1)
    return DelayCost(cost, cost / model.spec.protocol.round_months)


@dataclass(frozen=True)
class Preview:
    """A round before it is played: the offer, the lenders' and the responder's answers, what delay costs."""

    round: int
    proposer: str
    responder: str
    package: Package
    ratification: tuple[Response, ...]
    answer: Response | None  # the responding government's own answer (None: a person answers)
    delay: DelayCost | None  # for the person's side
    human_utility_usd_bn: float  # the person's side's gain over no deal if agreed this round (PV $bn)

    @property
    def funded(self) -> bool:
        """Whether every lender and insurer funds the package."""
        return all(r.accepted for r in self.ratification)

    @property
    def signed(self) -> bool | None:
        """Whether the deal would be signed (accepted and funded); ``None`` while a person has to answer."""
        return None if self.answer is None else self.answer.accepted and self.funded


def preview_offer(model: Any, package: Package) -> Preview:
    """What the other government and the lenders would say to the person's ``package`` in the coming round.

    Their answers come from their own rules (``Principal.ratify``, ``Government.respond``), asked without
    playing the round: ``step()`` asks them the same question and gets the same answer (tested).

    Args:
        model: a model with a person seated at the coming round's proposer.
        package: the terms the person considers.

    Returns:
        The preview.

    """
    t, human = coming_round(model), seated_key(model)
    other = model.spec.other_government(human)
    ratification = model.principal.ratify(package)
    answer = model.governments[other].respond(Offer(t, human, other, package), ratification)
    return Preview(t, human, other, package, ratification, answer, delay_cost(model, human, package, t),
                   gain(model, human, package, t))


def agent_offer(model: Any) -> Preview | None:
    """The agent's offer to the person in the coming round (by its own rules), with the lenders' verdict.

    Args:
        model: a model with a person seated at the coming round's responder.

    Returns:
        The preview (its ``answer`` is the person's to give), or ``None`` if the agent makes no offer.

    """
    t, human = coming_round(model), seated_key(model)
    proposer = model.proposer_in(t)
    package = model.governments[proposer].propose(t)
    if package is None:
        return None
    return Preview(t, proposer, human, package, model.principal.ratify(package), None,
                   delay_cost(model, human, package, t), gain(model, human, package, t))


def gain(model: Any, key: str, package: Package, t: int) -> float:
    """Government ``key``'s gain over no deal (PV $bn at the talks' start) from ``package`` agreed in round ``t``."""
    gov = model.governments[key]
    return float(gov.utility_of(package, t) - gov.preferences.disagreement)


@dataclass(frozen=True)
class DealRow:
    """One deal of the end-of-game comparison, in the terms a user reads."""

    label: str
    agreed: bool
    round: int | None
    us_profit_share: float | None
    tariff_rate: float | None
    relief_usd_bn_per_year: float | None
    gains_usd_bn: dict[str, float]  # government key → gain over no deal (PV $bn at the talks' start)


def _row(model: Any, label: str, package: Package | None, t: int | None) -> DealRow:
    if package is None or t is None:
        return DealRow(label, False, None, None, None, None, dict.fromkeys(model.governments, 0.0))
    return DealRow(label, True, t, package.us_profit_share, model.tariff_rate(package),
                   model.relief_usd_bn_per_year(package) if model.trade is not None else None,
                   {k: gain(model, k, package, t) for k in model.governments})


def agents_run(model: Any) -> Any:
    """The same scenario and seed played by the agents alone (nobody seated), run to its end."""
    from negotiation.model import NegotiationModel

    seed = model.seed_value if model.seed_value is not None else 0
    agents = NegotiationModel(model.spec, rng=seed, collect_data=False)
    agents.run(solve=False)
    return agents


def comparison(model: Any) -> list[DealRow]:
    """The finished game's deal beside the agents' (same scenario and seed) and the equilibrium (SPE).

    Args:
        model: a finished model (a person seated or not).

    Returns:
        Three rows: this game's deal, the agents', the equilibrium's (its round is the SPE's round).

    """
    rows = [_row(model, "your deal" if human_key(model) else "this run", model.agreement,
                 model.agreement_round or None)]
    agents = agents_run(model)
    rows.append(_row(model, "the agents' deal (same seed)", agents.agreement, agents.agreement_round or None))
    spe = model.solve().spe
    rows.append(_row(model, "equilibrium (SPE)", None if spe is None else Package(spe.us_profit_share,
                                                                                   spe.relief_fraction),
                     None if spe is None else spe.round))
    return rows
