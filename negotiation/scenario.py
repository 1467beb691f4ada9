"""Scenario schema: the validated configuration of one negotiation.

A scenario is data. Every number in it names its source in the TOML file's comments (``runs/*.toml``) or is
an assumption listed there with its range; this module only says what each key means, its unit and the
values it may take. Reading a scenario file, its ``base`` chain and ``--set`` overrides, and wording the
errors (a :class:`~negotiation.inputs.ScenarioError` naming the key, file or line) is
:mod:`negotiation.scenario_files`'s.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from negotiation.inputs import Strict as _Strict

if TYPE_CHECKING:
    from negotiation.economics import CapitalCalls

DEFAULT_DEADLINE_ROUNDS = 42  # when a scenario gives neither protocol.max_rounds nor deal.horizon_years
MAX_ROUNDS = 10_000  # the longest negotiation a scenario may ask for (given or derived)
MAX_DISCOUNT_RATE_PER_YEAR = 50.0  # a per-round discount factor may not imply a yearly rate above this


class _Table(_Strict):
    """A table whose ``None`` keys must be given when the table is used (``optional`` lists exceptions)."""

    optional: ClassVar[tuple[str, ...]] = ()

    def missing(self) -> list[str]:
        """The keys that are needed but not given."""
        return [k for k, v in self if v is None and k not in self.optional]


def given[T](value: T | None, key: str = "a required key") -> T:
    """A value the validation has checked is given (see :meth:`_Table.missing`): the same value, not ``None``.

    Required numbers are declared ``float | None`` so that a table may leave them out until it is used;
    a validated :class:`Spec` has them. This narrows such a value for the code that reads it.

    Args:
        value: the value read from a validated table.
        key: what it is, for the message.

    Returns:
        ``value``.

    Raises:
        RuntimeError: it is ``None`` (a program error: the table was not validated, or not for this use).

    >>> given(0.2)
    0.2

    """
    if value is None:
        raise RuntimeError(f"{key} is None in a validated scenario (a program error, not the scenario's)")
    return value


class Goods(_Strict):
    """One group of the principal's exports (``[deal.goods.<name>]``) and what it pays without a deal."""

    exports_usd_bn_per_year: float = Field(gt=0, le=10_000)
    rate_during_talks: float = Field(ge=0, le=2)  # what it pays now (and, if not threatened, without a deal)
    threatened: bool = True  # the threatened rate (deal.threat_rate) applies to it from the talks' deadline
    exporters_share_of_duty: float = Field(ge=0, le=1)  # incidence: the part of the duty the exporters bear


class ProjectClass(_Strict):
    """One class of funded projects (``[deal.projects.<name>]``): its weight in the equity and its economics."""

    weight: float = Field(ge=0, le=1)  # relative: the classes' weights are normalised to sum to 1
    cash_yield_per_year: float = Field(ge=0, le=1)
    build_years: float = Field(ge=0, le=30)
    life_years: float = Field(gt=0, le=100)
    failure_probability: float = Field(ge=0, lt=1)
    recovery_fraction: float = Field(ge=0, le=1)


class Deal(_Table):
    """The deal's facts and the economics of what is bargained over (docs/FACTS.md rows, or assumptions).

    Clocks, in years from the talks' start: ``talks_deadline_years`` is when the threatened tariff takes
    effect without a deal (talks may go on after it, the tariff being paid meanwhile); ``horizon_years`` is
    the allocation window, the last date a deal can be struck; ``relief_life_years`` is when the tariff
    regime, and with it both the threat and the relief, ends. Profits run on their own clocks (projects).
    """

    kind: Literal["package", "unit_surplus"] = "package"
    fund_usd_bn: float | None = Field(None, gt=0, le=10_000)
    equity_fraction: float | None = Field(None, ge=0.0, le=1.0)
    tariff_relief_max_usd_bn_per_year: float | None = Field(None, ge=0, le=10_000)
    relief_value_basis: Literal["trade", "article"] = "trade"
    horizon_years: float | None = Field(None, gt=0, le=50)
    talks_deadline_years: float | None = Field(None, ge=0, le=50)
    relief_life_years: float | None = Field(None, gt=0, le=100)
    tariff_threat: bool = True
    threat_rate: float | None = Field(None, ge=0, le=2)
    floor_rate: float | None = Field(None, ge=0, le=2)
    trade_elasticity: float | None = Field(None, ge=0, le=20)
    exporters_margin: float | None = Field(None, ge=0, le=1)
    goods: dict[str, Goods] | None = None
    two_phase: bool = True  # the contract may set one US share before recoup and another after (FACTS mou-split)
    recoup_rate_per_year: float | None = Field(None, ge=0, le=1)
    projects: dict[str, ProjectClass] | None = None
    # capital calls under an annual cap (FACTS korea-capital-calls): the cash C is called at most K $bn a year,
    # so it is deployed evenly over [t, max(H, t + C/K)] from signing t (negotiation.economics.CapitalCalls);
    # the equity is paid from it. Left out: no cap, everything deployed evenly to horizon_years (the baseline)
    capital_call_cap_usd_bn_per_year: float | None = Field(None, gt=0, le=10_000)
    capital_call_cash_usd_bn: float | None = Field(None, gt=0, le=10_000)  # C; left out with a cap: the whole fund

    optional: ClassVar[tuple[str, ...]] = ("tariff_relief_max_usd_bn_per_year", "capital_call_cap_usd_bn_per_year",
                                           "capital_call_cash_usd_bn")

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if self.relief_value_basis == "article" and self.tariff_relief_max_usd_bn_per_year is None:
            raise ValueError("deal.relief_value_basis = 'article' needs deal.tariff_relief_max_usd_bn_per_year")
        if self.threat_rate is not None and self.floor_rate is not None and self.floor_rate > self.threat_rate:
            raise ValueError(f"deal.floor_rate ({self.floor_rate}) is above deal.threat_rate ({self.threat_rate})")
        if self.projects is not None and not sum(p.weight for p in self.projects.values()) > 0:
            raise ValueError("deal.projects: the weights sum to 0 (give at least one class a positive weight)")
        if self.goods is not None and not self.goods:
            raise ValueError("deal.goods: at least one group of goods is needed")
        self._check_capital_calls()
        return self

    def _check_capital_calls(self) -> None:
        """The cash called under the cap needs a cap, lies within the fund, and holds the equity."""
        cash = self.capital_call_cash_usd_bn
        if cash is None:
            return
        if self.capital_call_cap_usd_bn_per_year is None:
            raise ValueError("deal.capital_call_cash_usd_bn needs deal.capital_call_cap_usd_bn_per_year")
        if self.fund_usd_bn is not None and cash > self.fund_usd_bn:
            raise ValueError(f"deal.capital_call_cash_usd_bn ({cash:g}) is above deal.fund_usd_bn "
                             f"({self.fund_usd_bn:g})")
        if self.fund_usd_bn is not None and self.equity_fraction is not None \
                and self.equity_fraction * self.fund_usd_bn > cash * (1 + 1e-12):
            raise ValueError(f"deal.capital_call_cash_usd_bn ({cash:g}) is below the equity "
                             f"(deal.equity_fraction × deal.fund_usd_bn = "
                             f"{self.equity_fraction * self.fund_usd_bn:g}), which is paid from it")

    def capital_calls(self) -> CapitalCalls | None:
        """The cash called under the cap (C: the whole fund if not given) and the cap; ``None`` without a cap."""
        cap = self.capital_call_cap_usd_bn_per_year
        if cap is None or self.fund_usd_bn is None:
            return None
        from negotiation.economics import CapitalCalls  # here: `chipdeal keys` reads the schema without NumPy
        cash = self.capital_call_cash_usd_bn if self.capital_call_cash_usd_bn is not None else self.fund_usd_bn
        return CapitalCalls(cash, cap)


class _ActorTable(_Table):
    """The table of one actor, ``[agents.<key>]``: its role, display name, and the role's parameters."""

    name: str = ""


class _GovernmentTable(_ActorTable):
    """What both governments have: patience, concession tactic, and a public claim on the US profit share.

    A *claim* is the share a government committed to in public (Schelling 1960; Crawford 1982; Muthoo 1996;
    Fearon 1994): settling on a share its audience reads as worse for it than the claim costs
    ``claim_concession_cost_usd_bn`` per unit of share (the audience cost of backing down); one its audience
    reads as better costs ``claim_retraction_cost_usd_bn`` per unit (what taking back a public position costs
    with the other side). ``claim_reading`` says which share its audience reads: ``"phase"`` — the phase of
    the contract most favourable to it (a claim that named no phase, honoured by any phase that carries it);
    ``"money"`` — the share of the money, each phase weighted by the cash it carries. No claim: no costs.
    """

    optional: ClassVar[tuple[str, ...]] = ("discount", "claim_us_share")
    discount_rate_per_year: float | None = Field(None, ge=0, le=1)
    # per round: the unit game's stationary patience; in the package game, where given, it sets
    # discount_rate_per_year = −ln(discount)·12 / protocol.round_months
    discount: float | None = Field(None, gt=0, lt=1)
    concession_beta: float = Field(1.0, gt=0, le=100)
    claim_us_share: float | None = Field(None, ge=0, le=1)  # the US share it claimed in public
    claim_reading: Literal["phase", "money"] = "phase"
    claim_concession_cost_usd_bn: float = Field(0.0, ge=0, le=10_000)  # PV $bn per unit of share backed down
    claim_retraction_cost_usd_bn: float = Field(0.0, ge=0, le=10_000)  # PV $bn per unit of share taken back


class CounterpartParams(_GovernmentTable):
    """The counterpart government's preference parameters (see agents/counterpart.py)."""

    role: Literal["counterpart"]
    name: str = "counterpart government"
    onshore_value_per_usd: float | None = Field(None, ge=0, le=10)
    buyers_duty_weight: float = Field(0.0, ge=0, le=1)  # weight on duty its own buyers pay (0: a transfer)
    term_end_years: float | None = Field(None, ge=0, le=100)  # when its administration's term ends (None: no term)
    post_term_weight: float = Field(1.0, ge=0, le=1)  # the weight it puts on what happens after its term


class PrincipalParams(_GovernmentTable):
    """The principal government's preference parameters (see agents/principal.py)."""

    role: Literal["principal"]
    name: str = "principal government"
    optional: ClassVar[tuple[str, ...]] = ("discount", "claim_us_share", "currency_per_usd")
    outside_option_share: float | None = Field(None, ge=0, le=1)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")  # ISO 4217: what its money is reported in, besides $
    currency_per_usd: float | None = Field(None, gt=0, le=100_000)  # for reporting only; not bargained over


class LenderParams(_ActorTable):
    """A state lender's parameters (see agents/lender.py)."""

    role: Literal["lender"]
    name: str = "state lender"
    cost_of_funds_per_year: float | None = Field(None, ge=0, le=1)
    required_margin_per_year: float | None = Field(None, ge=0, le=1)
    state_backing_usd_bn: float = Field(0.0, ge=0, le=10_000)  # losses the government stands behind, PV $bn


class InsurerParams(_ActorTable):
    """The insurer's parameters (see agents/insurer.py)."""

    role: Literal["insurer"]
    name: str = "insurer"
    coverage_fraction: float | None = Field(None, ge=0, le=1)
    loading: float | None = Field(None, ge=0, le=10)
    guaranteed_fraction_of_fund: float | None = Field(None, ge=0, le=1)
    capacity_usd_bn: float | None = Field(None, ge=0, le=100_000)


class InvestorParams(_ActorTable):
    """A third-party investor's parameters (see agents/investor.py)."""

    role: Literal["investor"]
    name: str = "investor"
    committed_usd_bn: float | None = Field(None, ge=0, le=10_000)
    margin_per_usd: float | None = Field(None, gt=0, le=10)
    principal_parts_share: float | None = Field(None, ge=0, le=1)
    principal_parts_margin: float | None = Field(None, ge=0, le=1)
    parts_goods: str = "other"  # the group of deal.goods its parts from the principal belong to


ActorParams = Annotated[CounterpartParams | PrincipalParams | LenderParams | InsurerParams | InvestorParams,
                        Field(discriminator="role")]
ROLES = ("counterpart", "principal", "lender", "insurer", "investor")  # also the order actors are listed in


class Protocol(_Strict):
    """Who proposes first, how long the negotiation may last, and what each side knows."""

    first_proposer: str = "counterpart"  # an actor key (or the role "counterpart" / "principal")
    last_proposer: str | None = None  # who has the last word (see Spec.deadline_rounds); key or role
    max_rounds: int | None = Field(None, ge=1, le=10_000)  # left out: derived (see Spec.deadline_rounds)
    round_months: float = Field(1.0, ge=0.01, le=120)
    information: Literal["complete", "incomplete"] = "complete"
    belief_noise: float = Field(0.0, ge=0, le=2)
    # how a government concedes under incomplete information: "screening" — each offer the best in expectation
    # over the other side's possible types, learnt by Bayes' rule from refusals (agents/beliefs.py) — or
    # "clock" — from its opening to its believed SPE target by round concession_rounds (Faratin et al. 1998),
    # its belief errors halved on each refusal of its target
    concession: Literal["screening", "clock"] = "screening"
    # screening: the Gauss–Hermite points of the prior along each parameter a government is unsure of, and a
    # type's evaluation noise as a fraction of its stake (agents/beliefs.py)
    type_points: Literal[3, 5] = 3
    answer_noise: float = Field(0.05, ge=0, le=1)
    concession_rounds: int | None = Field(None, ge=1, le=10_000)  # "clock": left out, the rounds to the talks' deadline
    # the yearly risk that a round without agreement ends the talks for good (Binmore, Rubinstein & Wolinsky
    # 1986): both sides and the solver expect it, and a run draws it after every such round ("drawn": the run
    # may end in a collapse) or shows what follows if the talks survive ("conditioned": the run as if every
    # draw had come out survival; its agreement is the drawn run's whenever the drawn run has one)
    breakdown_hazard_per_year: float = Field(0.0, ge=0, le=50)
    breakdown: Literal["drawn", "conditioned"] = "drawn"
    collect_data: bool = True


class Spec(_Strict):
    """A whole scenario: the deal, the actors' parameters and the protocol."""

    name: str = "unnamed"
    description: str = ""
    deal: Deal = Deal()
    agents: dict[str, ActorParams] = Field(default_factory=dict)
    protocol: Protocol = Protocol()

    _rounds_derived: bool = PrivateAttr(default=False)  # protocol.max_rounds came from the calendar
    _concession_derived: bool = PrivateAttr(default=False)  # protocol.concession_rounds came from the deadline

    @model_validator(mode="after")
    def _derive_rounds(self) -> Spec:
        """Fill ``protocol.max_rounds``, when a scenario leaves it out, from the calendar.

        The whole rounds of ``protocol.round_months`` that fit in ``deal.horizon_years`` (a calendar
        deadline: quarterly rounds get a third as many), or 42 without a horizon. Overrides re-derive it
        (:func:`with_overrides`), so moving the horizon or the round length moves the deadline.
        """
        months = self.protocol.round_months
        update: dict[str, int] = {}
        if self.protocol.max_rounds is None:
            if self.deal.horizon_years is not None:
                rounds = max(1, math.floor(self.deal.horizon_years * 12.0 / months + 1e-9))
            else:
                rounds = DEFAULT_DEADLINE_ROUNDS
            if rounds > MAX_ROUNDS:
                raise ValueError(f"deal.horizon_years = {self.deal.horizon_years:g} holds {rounds:,} rounds of "
                                 f"{months:g} months; at most {MAX_ROUNDS:,} (raise protocol.round_months)")
            update["max_rounds"] = rounds
            self._rounds_derived = True
        if self.protocol.concession_rounds is None:  # concede by the talks' deadline (without one, the last round)
            deadline = self.deal.talks_deadline_years
            rounds = update.get("max_rounds", self.protocol.max_rounds or DEFAULT_DEADLINE_ROUNDS)
            if deadline is not None:  # a deadline within the first round (or past): concede at once, not slowest
                rounds = min(math.floor(deadline * 12.0 / months + 1e-9), rounds)
            update["concession_rounds"] = max(1, rounds)
            self._concession_derived = True
        if update:
            object.__setattr__(self, "protocol", self.protocol.model_copy(update=update))
        return self

    @model_validator(mode="after")
    def _complete(self) -> Spec:
        """Exactly one counterpart and one principal, at most one insurer, proposers that exist, no gaps."""
        for role, low, high in (("counterpart", 1, 1), ("principal", 1, 1), ("insurer", 0, 1)):
            n = len(self.keys_of(role))
            if not low <= n <= high:
                want = "exactly one" if low == high else f"at most {high}"
                raise ValueError(f"agents: {want} actor with role = {role!r} is needed, found {n}")
        package = self.deal.kind == "package"
        if package:  # a per-round discount factor, where given, is the government's patience: it sets the rate
            round_years = self.protocol.round_months / 12.0
            for key in self.governments:
                params = self.agents[key]
                discount = getattr(params, "discount", None)
                if discount is not None:
                    rate = -math.log(discount) / round_years
                    if rate > MAX_DISCOUNT_RATE_PER_YEAR:
                        raise ValueError(f"agents.{key}.discount = {discount:g} a round of "
                                         f"{self.protocol.round_months:g} months is a discount rate of {rate:.3g} "
                                         f"a year; at most {MAX_DISCOUNT_RATE_PER_YEAR:g}")
                    self.agents[key] = params.model_copy(update={"discount_rate_per_year": rate})
        tables: list[tuple[str, _Table]] = [(f"agents.{key}", table) for key, table in self.agents.items()
                                            if package or table.role not in ("counterpart", "principal")]
        if package:
            tables.insert(0, ("deal", self.deal))
        else:  # the unit game needs only the governments' discount factors
            counterpart, principal = self.government_tables
            for key, discount in zip(self.governments, (counterpart.discount, principal.discount), strict=True):
                if discount is None:
                    raise ValueError(f"a unit_surplus game needs agents.{key}.discount")
        for where, table in tables:
            missing = table.missing()
            if missing:
                raise ValueError(f"{where}.{missing[0]} is required")
        goods = self.deal.goods if package else None
        for key, table in self.agents.items():
            if isinstance(table, InvestorParams) and goods is not None and table.parts_goods not in goods:
                raise ValueError(f"agents.{key}.parts_goods: {table.parts_goods!r} is not one of deal.goods "
                                 f"({', '.join(goods)})")
        for name in ("first_proposer", "last_proposer"):
            value = getattr(self.protocol, name)
            if value is not None and value not in (*self.governments, "counterpart", "principal"):
                raise ValueError(f"protocol.{name}: {value!r} is not one of the governments "
                                 f"({', '.join(self.governments)})")
        return self

    def table[T: _ActorTable](self, key: str, kind: type[T]) -> T:
        """The table ``agents.<key>``, as the role's table the caller expects.

        Args:
            key: the actor's key.
            kind: its table's class (:class:`CounterpartParams`, :class:`PrincipalParams`, ...).

        Returns:
            The table.

        Raises:
            KeyError: there is no actor ``key``.
            TypeError: the actor has another role (a program error, not the scenario's).

        >>> from negotiation.scenario_files import load_scenario
        >>> load_scenario().table("us", CounterpartParams).role
        'counterpart'

        """
        table = self.agents[key]
        if not isinstance(table, kind):
            raise TypeError(f"agents.{key} has role {table.role!r}, not the {kind.__name__} table asked for")
        return table

    def keys_of(self, role: str) -> tuple[str, ...]:
        """The keys of the actors with ``role``, in file order."""
        return tuple(key for key, table in self.agents.items() if table.role == role)

    @property
    def governments(self) -> tuple[str, str]:
        """The keys of the counterpart and the principal."""
        return self.keys_of("counterpart")[0], self.keys_of("principal")[0]

    @property
    def government_tables(self) -> tuple[CounterpartParams, PrincipalParams]:
        """The tables of the counterpart and the principal (in the order of :attr:`governments`)."""
        counterpart, principal = self.governments
        return self.table(counterpart, CounterpartParams), self.table(principal, PrincipalParams)

    def government(self, who: str) -> str:
        """An actor key for ``who``, given as a government's key or as its role."""
        counterpart, principal = self.governments
        return {"counterpart": counterpart, "principal": principal}.get(who, who)

    @property
    def first_proposer(self) -> str:
        """The key of the government that proposes in round 1."""
        return self.government(self.protocol.first_proposer)

    @property
    def last_proposer(self) -> str | None:
        """The key of the government with the last word, if the scenario names one."""
        p = self.protocol.last_proposer
        return None if p is None else self.government(p)

    def other_government(self, key: str) -> str:
        """The other government's key."""
        counterpart, principal = self.governments
        return principal if key == counterpart else counterpart

    @property
    def deadline_rounds(self) -> int:
        """Rounds before the talks end without a deal.

        ``protocol.max_rounds`` (given, or derived from the calendar: see :meth:`_derive_rounds`). With
        ``protocol.last_proposer`` set, the talks end after the last round that side proposes in (one round
        earlier when offers, alternating from ``first_proposer``, would give the other side the final
        offer): with a deadline the final proposer's take-it-or-leave-it offer matters (Ståhl 1972), and who
        holds it is a fact of the scenario, not an accident of the calendar.
        """
        p = self.protocol
        rounds = p.max_rounds if p.max_rounds is not None else DEFAULT_DEADLINE_ROUNDS
        first = self.first_proposer
        final_proposer = first if rounds % 2 == 1 else self.other_government(first)
        last = self.last_proposer
        if last is not None and final_proposer != last and rounds > 1:
            rounds -= 1
        return rounds

    @property
    def actors(self) -> tuple[str, ...]:
        """The actors that take part, by role (counterpart, principal, lenders, insurer, investors)."""
        return tuple(key for role in ROLES for key in self.keys_of(role))
