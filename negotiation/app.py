"""The browser page: Mesa's SolaraViz with a scenario picker, sliders, and four views of the negotiation.

Serve it with ``chipdeal app`` (or ``solara run negotiation.app``). The views' logic lives in
``negotiation/views.py``; this file only lays them out. Sliders start at the picked scenario's values and
take effect on Reset, as in every SolaraViz app.
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import SolaraViz

from negotiation import views
from negotiation.model import NegotiationModel
from negotiation.scenario import ScenarioError, Spec, default_scenario_path, load_scenario, value_at, with_overrides


@dataclass(frozen=True)
class Slider:
    """A scenario key a user can move on the page: a short name (the slider's label) and a caption above it."""

    name: str
    caption: str
    key: str
    low: float
    high: float
    step: float


# Keys and captions may name an actor by its role ({counterpart}, {principal}, {lender}, {investor}): the page
# fills in the picked scenario's first actor of that role (its key in keys, its display name in captions).
SLIDERS = (
    Slider("threat", "Threatened tariff on {principal}'s other goods", "deal.threat_rate", 0.1, 0.5, 0.01),
    Slider("equity", "Equity fraction of the package", "deal.equity_fraction", 0.005, 0.2, 0.005),
    Slider("threat date", "Threat takes effect after, years (0.31 = 1 Aug 2025)", "deal.talks_deadline_years",
           0.0, 2.0, 0.002),
    Slider("window", "Allocation window, years (the talks' last date; 3.78 = Jan 2029)", "deal.horizon_years",
           0.5, 7, 0.01),
    Slider("{counterpart} rate", "{counterpart}: patience, discount rate /yr",
           "agents.{counterpart}.discount_rate_per_year", 0.0, 0.15, 0.001),
    Slider("{principal} rate", "{principal}: patience, discount rate /yr", "agents.{principal}.discount_rate_per_year",
           0.0, 0.15, 0.001),
    Slider("{counterpart} δ", "{counterpart}: discount factor per offer", "agents.{counterpart}.discount", 0.5, 0.99,
           0.01),
    Slider("{principal} δ", "{principal}: discount factor per offer", "agents.{principal}.discount", 0.5, 0.99, 0.01),
    Slider("{lender} margin", "{lender}: required margin over its funding, /yr",
           "agents.{lender}.required_margin_per_year", 0.0, 0.02, 0.001),
    Slider("{investor} margin", "{investor}: margin per $ of capex (lower: builds more for relief)",
           "agents.{investor}.margin_per_usd", 0.05, 1.0, 0.05),
)


def for_scenario(spec: Spec, template: str, names: bool = False) -> str | None:
    """A key or caption template with its role placeholders filled from ``spec`` (``None``: no such actor)."""
    fill = {}
    for role in ("counterpart", "principal", "lender", "insurer", "investor"):
        keys = spec.keys_of(role)
        if "{" + role + "}" in template:
            if not keys:
                return None
            fill[role] = spec.agents[keys[0]].name if names else keys[0]
    return template.format(**fill)


@dataclass(frozen=True)
class Choice:
    """A scenario key a user can set to one of a few values on the page (a drop-down)."""

    name: str
    key: str
    options: tuple[str, ...]


CHOICES = (
    Choice("Final offer before the deadline (last word)", "protocol.last_proposer", ()),  # (): the governments
)


def scenario_files() -> dict[str, Path]:
    """The scenarios a user can pick: ``runs/*.toml`` and ``runs/scenarios/*.toml`` that are scenarios."""
    runs = Path("runs")
    if not runs.is_dir():
        runs = Path(__file__).resolve().parent.parent / "runs"
    found = {}
    for path in [*sorted(runs.glob("*.toml")), *sorted((runs / "scenarios").glob("*.toml"))]:
        if _is_scenario(path):
            found[path.stem] = path
    if "baseline" not in found:
        found = {"baseline": default_scenario_path(), **found}
    return found


def _is_scenario(path: Path) -> bool:
    """Whether a TOML file in ``runs/`` is a scenario (a malformed one counts: picking it shows the error)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return True
    return any(key in data for key in ("base", "deal", "agents", "protocol"))


get_key = value_at  # a scenario value by dotted key


@dataclass
class Controls:
    """What the sidebar has set: the scenario, the slider values that differ from it, and the seed.

    One object per browser session; Reset builds the model from it (SolaraViz's ``model_params`` are static,
    so the page passes this object as a fixed parameter and the sidebar edits it in place).
    """

    scenario: str = "baseline"
    values: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def base(self) -> Spec:
        """The picked scenario as written."""
        return load_scenario(scenario_files()[self.scenario])

    def sliders(self) -> list[tuple[Slider, Any]]:
        """The sliders that apply to the picked scenario, with the scenario's own value."""
        base = self.base()
        out = []
        for s in SLIDERS:
            key = for_scenario(base, s.key)
            value = None if key is None else get_key(base, key)
            if value is not None:  # widen the range to hold the scenario's own value (e.g. a 2,000-round deadline)
                caption = for_scenario(base, s.caption, names=True) or s.caption
                name = for_scenario(base, s.name, names=True) or s.name
                out.append((replace(s, name=name, key=key, caption=caption, low=min(s.low, value),
                                    high=max(s.high, value)), value))
        return out

    def choices(self) -> list[tuple[Choice, Any]]:
        """The drop-downs that apply to the picked scenario, with the scenario's own value."""
        base = self.base()
        return [(c if c.options else replace(c, options=base.governments), get_key(base, c.key)) for c in CHOICES
                if get_key(base, c.key) is not None]

    def spec(self) -> Spec:
        """The scenario with the slider and drop-down values applied (validated like any override)."""
        base = self.base()
        changed = {k: v for k, v in self.values.items() if get_key(base, k) is not None and get_key(base, k) != v}
        return with_overrides(base, changed, source="slider") if changed else base


class AppModel(NegotiationModel):
    """The negotiation as the page builds it: from the sidebar's :class:`Controls`."""

    def __init__(self, controls: Controls | None = None, rng: Any = None) -> None:
        controls = controls or Controls()
        seed = int(controls.seed) if rng is None else rng
        super().__init__(controls.spec(), rng=seed, collect_data=False)
        self.controls = controls


# --------------------------------------------------------------------------------------------------------
# Views (SolaraViz re-renders them after every step)


def OutcomeCard(model: AppModel) -> Any:
    """One sentence on where the negotiation stands."""
    return solara.HTML(tag="div", unsafe_innerHTML=html.escape(views.outcome_text(model)),
                       classes=["chipdeal-outcome"], style="font-size: 1.25em; padding: 12px")


def OffersPlot(model: AppModel) -> Any:
    """Each side's offers per round, with the equilibrium as a reference line."""
    return solara.FigureMatplotlib(views.offers_figure(model), format="png")


def UtilityPlot(model: AppModel) -> Any:
    """The utility space: frontier, no-deal point, Nash and SPE points, the path of offers, the agreement."""
    return solara.FigureMatplotlib(views.utility_figure(model), format="png")


def ActorPanel(model: AppModel) -> Any:
    """Each actor's value of the current offer, its reservation value, and what it does."""
    # plain HTML, not solara.Markdown: Markdown loads KaTeX and Mermaid from the CDN, which is not cached
    return solara.HTML(tag="div", unsafe_innerHTML="<b>The five actors at the current offer</b>"
                       + views.actor_table_html(model), classes=["chipdeal-actors"], style="padding: 8px")


@solara.component
def ScenarioControls(controls: Controls) -> None:
    """Scenario picker, sliders (starting at the scenario's values) and seed; applied on Reset."""
    scenario, set_scenario = solara.use_state(controls.scenario)
    values, set_values = solara.use_state(dict(controls.values))
    seed, set_seed = solara.use_state(controls.seed)
    error, set_error = solara.use_state("")

    def pick(name: str) -> None:
        controls.scenario = name
        controls.values = {}
        set_scenario(name)
        set_values({})

    def move(key: str, value: Any) -> None:
        controls.values = {**controls.values, key: value}
        try:
            controls.spec()
            set_error("")
        except ScenarioError as err:
            set_error(str(err))
        set_values(dict(controls.values))

    def reseed(value: Any) -> None:
        controls.seed = int(value)
        set_seed(int(value))

    with solara.Card("Scenario (applied on Reset)"):
        solara.Select(label="Scenario", value=scenario, values=list(scenario_files()), on_value=pick)
        for slider, default in controls.sliders():
            value = values.get(slider.key, default)
            # the caption says what it is, in its unit, with the value (a slider alone shows no number)
            solara.Text(f"{slider.caption}: {value:g}", classes=["chipdeal-caption"],
                        style={"font-size": "0.85em", "color": "#555"})
            solara.SliderFloat(slider.name, value=float(value), min=slider.low, max=slider.high,
                               step=slider.step, on_value=lambda v, k=slider.key: move(k, float(v)))
        for choice, default in controls.choices():
            solara.Select(label=choice.name, value=values.get(choice.key, default), values=list(choice.options),
                          on_value=lambda v, k=choice.key: move(k, v))
        solara.InputInt("Seed", value=seed, on_value=reseed)
        if error:
            solara.Error(error)


@solara.component
def Page() -> None:
    """The page: SolaraViz (Step, Play/Pause, Reset and the views) plus the scenario controls."""
    controls = solara.use_memo(Controls, [])
    model = solara.use_memo(lambda: AppModel(controls), [])
    SolaraViz(model, components=[OutcomeCard, OffersPlot, UtilityPlot, ActorPanel],
              model_params={"controls": controls}, name="chipdeal · the 2025 US–Japan chip deal", play_interval=300)
    with solara.Sidebar():
        ScenarioControls(controls)


def _warm_up() -> None:
    """Solve the baseline and draw both plots once, when the server imports the page.

    The first visitor then does not wait for the solver, matplotlib's font cache and the first PNG encoding.
    """
    import io

    model = AppModel(Controls())
    for figure in (views.offers_figure(model), views.utility_figure(model)):
        figure.savefig(io.BytesIO(), format="png")


_warm_up()
