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

from collections.abc import Mapping
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
    """What a proposal may ask for (``model.terms``): the US shares and the rate on each bargained group of goods.

    ``share``: the range of each US share (before and after recoup); ``two_phase``: whether the two are set
    apart (otherwise a proposal has one share); ``rates``: each group a deal can change → (its floor, its rate
    without a deal), in the order of ``model.terms.continuous`` (empty: no tariff at stake, or the unit game).
    """

    share: tuple[float, float]
    two_phase: bool
    rates: dict[str, tuple[float, float]]


def bounds(model: Any) -> Bounds:
    """The bounds on a proposal, from the terms the model bargains over (``model.terms``)."""
    terms = model.terms
    if terms.share_is_continuous:  # the unit game: the one continuous term is the share itself
        share = terms.continuous[0]
        return Bounds((share.low, share.high), False, {})
    shares = (float(min(terms.q.min(), terms.s.min())), float(max(terms.q.max(), terms.s.max())))
    two_phase = bool(model.spec.deal.two_phase)
    return Bounds(shares, two_phase, {t.name: (t.low, t.high) for t in terms.continuous})


SLACK = 1e-9  # a value this close outside a bound is taken as the bound (a float's rounding on the way)


def _within(value: Any, low: float, high: float, what: str, unit: str = "") -> float:
    number = float(value)
    if not low - SLACK <= number <= high + SLACK:  # NaN fails too
        raise ValueError(f"{what} {number:g}: the terms allow {low:g}{unit} to {high:g}{unit}")
    return min(max(number, low), high)


def package_of(model: Any, us_share_before_recoup: float, us_profit_share: float | None = None,
               tariff_rates: Mapping[str, float] | None = None) -> Package:
    """The package with these US shares and a rate for every bargained group of goods (fractions: 0.15 is 15%).

    Args:
        model: the model.
        us_share_before_recoup: the US share before the principal recoups (q); the only share of a one-phase
            deal or of the unit game.
        us_profit_share: the US share after recoup (s); default q. A one-phase deal has one share: s must be q.
        tariff_rates: group → rate, one for each group ``bounds(model).rates`` names, within its bounds.

    Returns:
        The package.

    Raises:
        ValueError: a value outside its bounds or not a number, a missing or unknown group, or two shares in a
            one-phase deal.

    """
    b = bounds(model)
    q = _within(us_share_before_recoup, *b.share, "US share before recoup" if b.two_phase else "US share")
    s = q if us_profit_share is None else _within(us_profit_share, *b.share, "US share after recoup")
    if not b.two_phase and s != q:
        raise ValueError("a one-phase deal has one US share: before and after recoup are the same")
    given = dict(tariff_rates or {})
    unknown = sorted(set(given) - set(b.rates))
    if unknown:
        raise ValueError(f"no bargained rate on {', '.join(unknown)}: the terms set {', '.join(b.rates) or 'none'}")
    missing = [name for name in b.rates if name not in given]
    if missing:
        raise ValueError(f"a tariff rate is needed on {', '.join(missing)}")
    rates = tuple(_within(given[name], low, high, f"tariff rate on {name}") for name, (low, high) in b.rates.items())
    return Package(q, s, rates)


def opening_package(model: Any, key: str) -> Package:
    """Where a person's controls start for government ``key``: its last offer, else its own ideal package.

    Its ideal is the package best for it among those it believes fundable, agreed in the coming round
    (``Government.ideal``); the equilibrium's package, or the middle of every bound, if it sees none.
    """
    last = next((o.package for o in reversed(model.offers) if o.proposer == key), None)
    if last is not None:
        return last
    ideal = model.governments[key].ideal(coming_round(model))
    if ideal is not None:
        return ideal
    spe = model.solve().spe
    if spe is not None:
        return spe
    b = bounds(model)
    middle = sum(b.share) / 2
    return package_of(model, middle, middle, {name: sum(r) / 2 for name, r in b.rates.items()})


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
    # the chance the other side accepts, as the person's side believes it (its types and their weights: what a
    # person in its seat can know under incomplete information); None where it knows the answer (complete
    # information) or holds no types (the concession clock)
    believed_acceptance: float | None = None

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
    playing the round: ``step()`` asks them the same question and gets the same answer (tested). Under
    incomplete information the page shows the person only ``believed_acceptance``: the chance its own side's
    beliefs give (the other side's price is private); the answer itself is kept for the tests and the end card.

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
    own = model.governments[human]
    believed = float(own.expected_values([package], t)[1][0]) if own.screens else None
    return Preview(t, human, other, package, ratification, answer, delay_cost(model, human, package, t),
                   gain(model, human, package, t), believed)


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
    us_share_before_recoup: float | None
    us_profit_share: float | None
    tariff_rates: dict[str, float]  # every group of goods (empty: no deal, or no tariff at stake)
    tariff_rate: float | None  # all-in
    relief_usd_bn_per_year: float | None
    gains_usd_bn: dict[str, float]  # government key → gain over no deal (PV $bn at the talks' start)


def _row(model: Any, label: str, package: Package | None, t: int | None) -> DealRow:
    if package is None or t is None:
        return DealRow(label, False, None, None, None, {}, None, None, dict.fromkeys(model.governments, 0.0))
    return DealRow(label, True, t, package.us_share_before_recoup, package.us_profit_share,
                   model.tariff_rates(package), model.tariff_rate(package),
                   model.relief_usd_bn_per_year(package) if model.trade is not None else None,
                   {k: gain(model, k, package, t) for k in model.governments})


def agents_run(model: Any) -> Any:
    """The same scenario and seed played by the agents alone (nobody seated), run to its end."""
    from negotiation.model import NegotiationModel

    seed = model.seed_value if model.seed_value is not None else 0
    agents = NegotiationModel(model.spec, rng=seed, collect_data=False)
    agents.run(solve=False)
    return agents


def comparison(model: Any, with_agents: bool = True) -> list[DealRow]:
    """The finished game's deal beside the agents' (same scenario and seed) and the equilibrium (SPE).

    Args:
        model: a finished model (a person seated or not).
        with_agents: whether to play the agents' run for its row (a whole run: skipped where the agents played
            this game themselves, whose deal it is).

    Returns:
        Three rows: this game's deal, the agents', the equilibrium's (its round is the SPE's round); two
        without the agents'.

    """
    rows = [_row(model, "your deal" if human_key(model) else "this run", model.agreement,
                 model.agreement_round or None)]
    if with_agents:
        agents = agents_run(model)
        rows.append(_row(model, "the agents' deal (same seed)", agents.agreement, agents.agreement_round or None))
    solution = model.solve()
    rows.append(_row(model, "equilibrium (SPE)", solution.spe, solution.spe_round))
    return rows
