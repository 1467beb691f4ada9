"""The browser page: run, play or compare scenarios of the negotiation, with every view explained.

Serve it with ``chipdeal app`` (``negotiation/serve.py``). The views' logic lives in ``negotiation/views.py``,
a person's seat in ``negotiation/play.py``, the comparison of two scenarios in ``negotiation/compare.py``;
this file only lays them out and handles the controls. Settings take effect on Reset.

Every control's handler is guarded (:func:`guarded`): a bad value, a broken scenario file or a forged widget
value shows one line on the page (no traceback, no server path) and is logged on the server, and the page
keeps its settings and its model.
"""

from __future__ import annotations

import functools
import html
import logging
import math
import threading
import time
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import reacton.ipywidgets as rw
import solara
import solara.lab

from negotiation import compare as comparing
from negotiation import play, views
from negotiation.inputs import ScenarioError
from negotiation.model import NegotiationModel
from negotiation.scenario import Spec
from negotiation.scenario_files import default_scenario_path, load_scenario, value_at, with_overrides
from negotiation.svgfigure import SvgFigure

log = logging.getLogger("chipdeal.page")
MAX_SEED = 2**63 - 1
PLAY_INTERVAL_S = 0.3  # between rounds while playing
MAX_COMPARE_REPLICATES = 200  # the page runs a comparison while the user waits: about 2 × 200 × 5 ms


class PageError(ScenarioError):
    """A value the page refuses (a forged or out-of-range control, a broken scenario): one line, shown."""


@dataclass(frozen=True)
class Slider:
    """A scenario key a user can move on the page: a short name (the slider's label) and a caption above it.

    ``needs_tariff``: the key matters only when a tariff is at stake (the slider is hidden otherwise).
    ``percent``: a share or a rate, which the page shows in percent (the key holds the fraction).
    """

    name: str
    caption: str
    key: str
    low: float
    high: float
    step: float
    needs_tariff: bool = False
    percent: bool = False

    def shown(self, value: float) -> float:
        """A key's value as the slider shows it (percent for a share or a rate).

        >>> Slider("equity", "", "deal.equity_fraction", 0.005, 0.016, 0.001, percent=True).shown(0.015)
        1.5
        """
        return round(100 * value, 9) if self.percent else value

    def value(self, shown: float) -> float:
        """The key's value for what the slider shows (a fraction for a percent)."""
        return round(shown / 100, 12) if self.percent else shown


# Keys and captions may name an actor by its role ({counterpart}, {principal}, {lender}, {investor}): the page
# fills in the picked scenario's first actor of that role (its key in keys, its display name in captions).
# Each range is the one runs/baseline.toml states for its key where it states one ("holds A–B": the deal's
# structure comes out over it), widened on the page only to hold the picked scenario's own value
# (tests/page/test_app.py checks them against the file's comments).
SLIDERS = (
    Slider("threat", "Threatened tariff on {principal}'s other goods without a deal", "deal.threat_rate", 0.15, 0.35,
           0.01, needs_tariff=True, percent=True),
    Slider("equity", "Equity fraction of the package (the part that earns profits)", "deal.equity_fraction", 0.005,
           0.016, 0.001, percent=True),
    Slider("threat date", "Threat's date: years from the talks' start until the tariff bites without a deal "
           "(0.31 = 1 Aug 2025; talks may go on after it, the tariff paid meanwhile)", "deal.talks_deadline_years",
           0.0, 1.0, 0.002, needs_tariff=True),
    Slider("window", "Deadline: the last date a deal can be struck, years (3.78 = Jan 2029)", "deal.horizon_years",
           0.5, 7, 0.01),  # the baseline states "holds ≥ 1": a shorter deadline is a scenario of its own
    Slider("{counterpart} rate", "{counterpart}: impatience, discount rate a year",
           "agents.{counterpart}.discount_rate_per_year", 0.02, 0.053, 0.001,
           percent=True),
    Slider("{principal} rate", "{principal}: impatience, discount rate a year",
           "agents.{principal}.discount_rate_per_year", 0.041, 0.06, 0.001,
           percent=True),
    Slider("{counterpart} δ", "{counterpart}: discount factor per offer (patience)", "agents.{counterpart}.discount",
           0.5, 0.99, 0.01),
    Slider("{principal} δ", "{principal}: discount factor per offer (patience)", "agents.{principal}.discount", 0.5,
           0.99, 0.01),
    Slider("{lender} margin", "{lender}: required margin over its funding cost, a year",
           "agents.{lender}.required_margin_per_year", 0.0, 0.02, 0.001,
           percent=True),
    Slider("{investor} margin", "{investor}: margin per $ of capex (lower: builds more for tariff relief)",
           "agents.{investor}.margin_per_usd", 0.6, 4.0, 0.05, needs_tariff=True),
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
    labels: tuple[str, ...] = ()  # what the drop-down shows for each option (default: the option itself)

    def items(self) -> list[dict[str, str]]:
        """The drop-down's items: each option's label shown, the option itself the value.

        >>> Choice("Last word", "protocol.last_proposer", ("us", "japan"), ("US", "Japan")).items()[1]
        {'text': 'Japan', 'value': 'japan'}
        """
        labels = self.labels or self.options
        return [{"text": label, "value": option} for option, label in zip(self.options, labels, strict=True)]


CHOICES = (
    Choice("Final offer before the deadline (last word)", "protocol.last_proposer", ()),  # (): the governments
)


def runs_folder() -> Path:
    """``runs/`` in the working folder, else the one beside the package."""
    runs = Path("runs")
    return runs if runs.is_dir() else Path(__file__).resolve().parent.parent / "runs"


_MENUS: dict[tuple[tuple[str, int, int], ...], dict[str, Path]] = {}  # the menu, by its files' versions


def scenario_files() -> dict[str, Path]:
    """The scenarios a user can pick: ``runs/*.toml`` and ``runs/scenarios/*.toml`` that are scenarios.

    Each page render asks several times; the files are read again only when one is added, removed or changed
    (their names, sizes and modification times are the key).
    """
    runs = runs_folder()
    paths = [*sorted(runs.glob("*.toml")), *sorted((runs / "scenarios").glob("*.toml"))]
    versions = []
    for path in paths:
        try:
            info = path.stat()
            versions.append((str(path), info.st_size, info.st_mtime_ns))
        except OSError:
            versions.append((str(path), -1, -1))
    key = tuple(versions)
    menu = _MENUS.get(key)
    if menu is None:
        menu = {path.stem: path for path in paths if _is_scenario(path)}
        if "baseline" not in menu:
            menu = {"baseline": default_scenario_path(), **menu}
        if len(_MENUS) > 16:  # a folder that keeps changing: keep the latest versions only
            _MENUS.clear()
        _MENUS[key] = menu
    return dict(menu)


def _is_scenario(path: Path) -> bool:
    """Whether a TOML file in ``runs/`` is a scenario (a malformed one counts: picking it shows the error)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return any(key in data for key in ("base", "deal", "agents", "protocol"))


def public(text: str) -> str:
    """A message as the page shows it: one line, with the server's folders shown as ``runs/…``."""
    runs = runs_folder()
    for prefix in {str(runs.resolve()), str(runs.absolute()), str(default_scenario_path().resolve().parent)}:
        text = text.replace(prefix, "runs")
    return " ".join(text.split())


get_key = value_at  # a scenario value by dotted key

_LOADED: dict[tuple[str, int, int], Spec] = {}  # scenario files read, by path, size and modification time


def load_picked(path: Path) -> Spec:
    """The scenario in ``path``, read once per version of the file (a broken file raises each time)."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
    except OSError:
        return load_scenario(path)  # the loader words the error
    if key not in _LOADED:
        _LOADED[key] = load_scenario(path)
    return _LOADED[key]


@dataclass
class Controls:
    """What the sidebar has set: the scenario, the slider values that differ from it, the seed, the seat.

    One object per browser session; Reset builds the model from it. ``seat``: the government a person plays
    (``None``: the agents play both). ``seed_refused``: the one-line refusal of a seed typed after the one that
    applies (``None`` when the seed field holds the seed that applies), said again on Reset.
    """

    scenario: str = "baseline"
    values: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    seat: str | None = None
    seed_refused: str | None = None

    def base(self) -> Spec:
        """The picked scenario as written."""
        files = scenario_files()
        if self.scenario not in files:
            raise PageError(f"no scenario named {self.scenario!r} in runs/")
        return load_picked(files[self.scenario])

    def sliders(self) -> list[tuple[Slider, Any]]:
        """The sliders that apply to the picked scenario, with the scenario's own value."""
        base = self.base()
        tariff = base.deal.kind == "package" and base.deal.tariff_threat
        out = []
        for s in SLIDERS:
            key = for_scenario(base, s.key)
            value = None if key is None or (s.needs_tariff and not tariff) else get_key(base, key)
            if value is not None and key is not None:  # widen the range to hold the scenario's own value
                caption = for_scenario(base, s.caption, names=True) or s.caption
                name = for_scenario(base, s.name, names=True) or s.name
                out.append((replace(s, name=name, key=key, caption=caption, low=min(s.low, value),
                                    high=max(s.high, value)), value))
        return out

    def choices(self) -> list[tuple[Choice, Any]]:
        """The drop-downs that apply to the picked scenario, with the scenario's own value."""
        base = self.base()
        names = tuple(base.agents[k].name for k in base.governments)
        return [(c if c.options else replace(c, options=base.governments, labels=names), get_key(base, c.key))
                for c in CHOICES if get_key(base, c.key) is not None]

    def spec(self) -> Spec:
        """The scenario with the slider and drop-down values applied (validated like any override)."""
        base = self.base()
        changed = {k: v for k, v in self.values.items() if get_key(base, k) is not None and get_key(base, k) != v}
        return with_overrides(base, changed, source="slider") if changed else base


class AppModel(NegotiationModel):
    """The negotiation as the page builds it: from the sidebar's :class:`Controls`, a person seated if chosen."""

    def __init__(self, controls: Controls | None = None, rng: Any = None) -> None:
        controls = controls or Controls()
        seed = int(controls.seed) if rng is None else rng
        super().__init__(controls.spec(), rng=seed, collect_data=False)
        self.controls = controls
        if controls.seat is not None:
            play.take_seat(self, controls.seat)
        self.spec_text = self.spec.model_dump_json()  # what the plots' cache keys on, computed once


PLOT_CACHE_SIZE = 64  # the plots' SVG documents, by the state they show (two each: about 30 kB a state)
_PLOTS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_PLOTS_LOCK = threading.Lock()
PLOT_FORMAT = "svg+xml"  # what the page's plots are: SVG, drawn by the browser (the downloads are PNG)


def plot_image(model: AppModel, kind: str) -> bytes:
    """The ``"offers"`` or ``"utility"`` plot of ``model`` as an SVG document (UTF-8), made once per state shown.

    The page's plots are :class:`~negotiation.svgfigure.SvgFigure` documents drawn from the same code as the
    PNG downloads (``views.offers_figure``, ``views.utility_figure``): a few milliseconds each, where a
    matplotlib PNG of both took about 0.28 s a Step (issue 23). They depend only on the scenario and the
    offers so far, so every visitor who opens the page, or resets it, sees a state many have seen; the cache
    is small and shared by the sessions (they render in threads).
    """
    offers = tuple((o.round, o.proposer, o.package) for o in model.offers)
    key = (kind, model.spec_text, model.steps, offers, model.agreement)
    with _PLOTS_LOCK:
        image = _PLOTS.get(key)
        if image is not None:
            _PLOTS.move_to_end(key)
            return image
    draw = views.offers_figure if kind == "offers" else views.utility_figure
    image = draw(model, SvgFigure).to_bytes()
    with _PLOTS_LOCK:
        _PLOTS[key] = image
        while len(_PLOTS) > PLOT_CACHE_SIZE:
            _PLOTS.popitem(last=False)
    return image


def guarded(action: Callable[..., None], report: Callable[[str], None]) -> Callable[..., None]:
    """``action`` as a handler that never lets an exception reach the browser.

    A refused value (a :class:`~negotiation.inputs.ScenarioError`) is reported in its one line and logged
    on one line; anything else is logged with its traceback on the server and reported without details.

    Args:
        action: the handler.
        report: shows a one-line message on the page.

    Returns:
        The guarded handler.

    """

    def run(*args: Any) -> None:
        try:
            action(*args)
        except ScenarioError as err:
            text = public(str(err))
            log.warning("refused: %s", text)
            report(f"Not applied: {text}")
        except Exception:
            log.exception("a page action failed")
            report("Something went wrong on the server (its log has the details); the page keeps its settings.")

    return run


def _number(raw: Any, name: str) -> float:
    """A control's value as a finite number, or a :class:`PageError` naming the control."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PageError(f"{name}: {str(raw)[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise PageError(f"{name}: {value} is not a finite number")
    return value


def _whole(raw: Any, name: str, low: int, high: int, span: str = "") -> int:
    """A control's value as a whole number in [low, high], or a :class:`PageError` naming the control.

    ``span`` says the range in words (default ``"from LOW to HIGH"``).

    >>> _whole("4", "seeds", 1, 200), _whole(7.0, "seeds", 1, 200)
    (4, 7)
    >>> _whole(0, "seeds", 1, 200)
    Traceback (most recent call last):
    negotiation.app.PageError: seeds: '0' is not a whole number from 1 to 200
    """
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().lstrip("+-").isdigit() and len(raw) < 40:
        value = int(raw.strip())
    if value is None or not low <= value <= high:
        raise PageError(f"{name}: {str(raw)[:40]!r} is not a whole number {span or f'from {low} to {high}'}")
    return value


@solara.component
def IntField(label: str, value: int, on_value: Callable[[Any], None], report: Callable[[str], None]) -> None:
    """A whole-number field: every value typed (or sent) goes to ``on_value``, which applies it or refuses it.

    A refusal is reported in one line (``Not applied: …``, through :func:`guarded`); the field keeps what was
    typed so that typing is not undone under the fingers, and the page shows the value that applies beside it.
    An accepted value clears the message.
    """
    text, set_text = solara.use_state(str(value))

    def changed(raw: Any) -> None:
        set_text("" if raw is None else str(raw))
        on_value(raw)
        report("")

    solara.v.TextField(label=label, v_model=text, on_v_model=guarded(changed, report), hide_details=True)


def _same(a: Any, b: Any) -> bool:
    """Whether two control values are the same (numbers within a float's rounding on the way to the browser)."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return bool(a == b)


def _shown(value: Any) -> str:
    """A value for a caption, whatever it is."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)[:40]


# --------------------------------------------------------------------------------------------------------
# Small components


ECHO_WINDOW_S = 5.0  # how long after a refusal the browser's clamped answer to it is expected


def browser_slider_value(raw: Any, low: float, high: float, step: float) -> float:
    """What the browser's slider (Vuetify 2's VSlider) makes of ``raw`` and sends back when it differs.

    NaN and what JavaScript cannot read as a number become the slider's minimum; the value is clamped to
    [low, high] and rounded to the step grid that starts at ``low % step``, to the step's decimals
    (``VSlider.internalValue`` and ``roundValue``).

    >>> browser_slider_value(5.0, 0.005, 0.2, 0.005), browser_slider_value(-3, 0.005, 0.2, 0.005)
    (0.2, 0.005)
    >>> browser_slider_value(None, 0.005, 0.2, 0.005), browser_slider_value("abc", 0.1, 0.5, 0.01)
    (0.005, 0.1)
    >>> browser_slider_value(0.0123, 0.005, 0.2, 0.005)
    0.01
    """
    if raw is None:
        x = 0.0  # isNaN(null) is false and null reads as 0
    elif isinstance(raw, bool | int | float):
        x = float(raw)
    elif isinstance(raw, str):
        try:
            x = float(raw.strip() or 0)
        except ValueError:
            x = math.nan
    else:
        x = math.nan
    x = low if math.isnan(x) else min(max(x, low), high)
    if step <= 0:
        return x
    text = repr(float(step))
    decimals = len(text) - text.index(".") - 1 if "." in text and "e" not in text else 0
    offset = math.fmod(low, step)
    rounded = math.floor((x - offset) / step + 0.5) * step + offset
    return float(f"{min(rounded, high):.{decimals}f}")


@solara.component
def NumberSlider(label: str, value: float, low: float, high: float, step: float,
                 on_value: Callable[[float], None], report: Callable[[str], None], name: str = "",
                 unit: str = "") -> None:
    """A slider that applies exactly what its handler accepts, and shows it.

    Every value the browser sends must be a finite number within [low, high]; it then goes to ``on_value``,
    which may refuse it too (a :class:`~negotiation.scenario.ScenarioError`). A refused value is reported in
    one line (``Not applied: …``, through :func:`guarded`) and the slider is redrawn at ``value``, the kept
    one. The browser's slider answers a value it cannot show by clamping it to its range (NaN to its
    minimum), rounding it to its step and sending that back as if a person had chosen it; that answer,
    expected for a few seconds after a refusal, is dropped, so a refused value never turns into its bound.

    Args:
        label: the slider's label.
        value: the value it shows (the one applied).
        low: its minimum.
        high: its maximum.
        step: its step.
        on_value: applies a checked number (raises ``ScenarioError`` to refuse it).
        report: shows a one-line message on the page (``""`` clears it).
        name: how messages name it (default: the label).
        unit: the unit messages put after a number (``"%"``).

    """
    echo = solara.use_ref(cast(tuple[float, float] | None, None))  # (value, until when) the browser will send
    mounted, set_mounted = solara.use_state(0)
    name = name or label

    def changed(raw: Any) -> None:
        expected, echo.current = echo.current, None
        if (expected is not None and time.monotonic() < expected[1] and isinstance(raw, int | float)
                and not isinstance(raw, bool) and _same(raw, expected[0])):
            return  # the browser's own clamp of the value just refused: nobody chose it
        try:
            number = _number(raw, name)
            slack = 1e-9 * max(1.0, abs(low), abs(high))
            if not low - slack <= number <= high + slack:
                raise PageError(f"{name}: {number:g}{unit} is outside {low:g}–{high:g}{unit}")
            on_value(number)
        except ScenarioError:
            answer = browser_slider_value(raw, low, high, step)
            if not _same(answer, value):  # the browser sends it only if it differs from what it showed
                echo.current = (answer, time.monotonic() + ECHO_WINDOW_S)
            set_mounted(lambda k: k + 1)  # a new slider, at the kept value
            raise
        report("")  # a value applied: no refusal of an earlier one stays on the page

    solara.v.Slider(label=label, v_model=value, min=low, max=high, step=step, thumb_label=True, hide_details=True,
                    on_v_model=guarded(changed, report)).key(f"slider-{mounted}")


def Message(text: str) -> Any:
    """A one-line error on the page."""
    return solara.Error(text, classes=["chipdeal-error"], dense=True)


def Caption(text: str, css: str = "chipdeal-caption") -> Any:
    """A short grey explanation under or above a control or plot."""
    return solara.Text(text, classes=[css], style={"font-size": "0.85em", "color": "#555", "display": "block"})


# --------------------------------------------------------------------------------------------------------
# Views of one model


def OutcomeCard(model: AppModel) -> Any:
    """Where the negotiation stands, and how far an agreement lies from the equilibrium."""
    return solara.HTML(tag="div", unsafe_innerHTML=html.escape(views.outcome_text(model)),
                       classes=["chipdeal-outcome"], style="font-size: 1.15em; padding: 8px 12px")


OFFERS_CAPTION = ("Each government's offers, round by round: the US share of equity profits before Japan recoups its "
                  "investment (dotted) and after recoup (solid), and the tariff rate each offer sets on each group of "
                  "goods a deal can change (one marker per group). Dashed: the equilibrium; ★: the agreement; grey "
                  "lines: the floor and each group's rate without a deal.")
UNIT_OFFERS_CAPTION = ("Each government's offers, round by round: the US share of a unit surplus (Rubinstein's "
                       "game). Dashed: the equilibrium share; ★: the agreement.")
UTILITY_CAPTION = ("What each package is worth to each government (present value at the talks' start, $bn). "
                   "Frontier: the best packages the lenders fund, where both gain over no deal; no deal: each side's "
                   "value without one; Nash point: the package maximising the product of the two gains over no deal; "
                   "equilibrium: where alternating offers with this deadline end when both sides plan ahead.")
UNIT_UTILITY_CAPTION = ("Each government's discounted share of the unit surplus. Nash point: the split "
                        "maximising the product of the gains; equilibrium: Rubinstein's subgame-perfect split.")
ACTORS_CAPTION = ("Gain over no deal: what each actor gains, in present value at the talks' start, if the current "
                  "offer is agreed (0: no better off than without a deal; negative: worse off). JBIC lends and NEXI "
                  "insures: Japan can sign only what both fund.")


@solara.component
def Plots(model: AppModel, tick: int) -> None:
    """The two plots side by side (SVG, drawn by the browser), each with its caption."""
    offers = solara.use_memo(lambda: plot_image(model, "offers"), [model, tick])
    utility = solara.use_memo(lambda: plot_image(model, "utility"), [model, tick])
    unit = model.unit_surplus
    with solara.Columns([1, 1]):
        with solara.Column(classes=["chipdeal-plot", "chipdeal-plot-offers"]):
            rw.Image(value=offers, format=PLOT_FORMAT)
            Caption(UNIT_OFFERS_CAPTION if unit else OFFERS_CAPTION, "chipdeal-plot-caption")
        with solara.Column(classes=["chipdeal-plot", "chipdeal-plot-utility"]):
            rw.Image(value=utility, format=PLOT_FORMAT)
            Caption(UNIT_UTILITY_CAPTION if unit else UTILITY_CAPTION, "chipdeal-plot-caption")


def Downloads(model: AppModel) -> None:
    """The run's rounds (CSV), its result (JSON) and each plot (PNG), made when clicked."""
    stem = f"chipdeal-{model.spec.name}-seed{model.seed_value}-round{model.steps}"
    with solara.Row(classes=["chipdeal-downloads"]):
        solara.FileDownload(lambda: views.rounds_csv(model), f"{stem}-rounds.csv", label="Rounds (CSV)",
                            mime_type="text/csv")
        solara.FileDownload(lambda: views.result_json(model), f"{stem}-result.json", label="Result (JSON)",
                            mime_type="application/json")
        solara.FileDownload(lambda: views.figure_png(views.offers_figure(model)), f"{stem}-offers.png",
                            label="Offers plot (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: views.figure_png(views.utility_figure(model)), f"{stem}-utility.png",
                            label="Utility plot (PNG)", mime_type="image/png")


def ActorPanel(model: AppModel) -> Any:
    """Each actor's gain over no deal at the current offer, and what it does."""
    # plain HTML, not solara.Markdown: Markdown loads KaTeX and Mermaid from the CDN, which is not cached
    n = len(model.actors())
    with solara.Column(classes=["chipdeal-actors"], style={"padding": "8px"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>The {n} actors at the current offer</b>"
                    + views.actor_table_html(model))
        Caption(ACTORS_CAPTION)


def _deal_table(model: AppModel, rows: list[play.DealRow]) -> str:
    """The end-of-game comparison as an HTML table: both shares, each group's rate, the all-in rate, the gains."""
    govs = [model.principal.key, model.counterpart.key]
    unit = model.unit_surplus
    two_phase = not unit and model.spec.deal.two_phase
    groups = [] if unit or model.trade is None else [g.name for g in model.trade.goods]
    shares = ["US share before recoup", "after"] if two_phase else ["US share"]
    tariff = [*(f"{name} rate" for name in groups), "all-in rate", "duty relief $bn/yr"] if groups else []
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [
        "", "round", *shares, *tariff, *(f"{views.name_of(model, k)}'s gain" + ("" if unit else " ($bn PV)")
                                        for k in govs)])
    body = []
    for r in rows:
        if not r.agreed:
            cells = [r.label, "no deal", *("—" for _ in shares), *("—" for _ in tariff),
                     *(views._value(0.0, unit) for _ in govs)]
        else:
            share = [f"{r.us_share_before_recoup:.0%}", f"{r.us_profit_share:.0%}"] if two_phase \
                else [f"{r.us_profit_share:.1%}"]
            rates = [*(f"{r.tariff_rates[name]:.1%}" for name in groups), f"{r.tariff_rate:.1%}",
                     f"{r.relief_usd_bn_per_year:.1f}"] if groups else []
            cells = [r.label, str(r.round), *share, *rates, *(views._value(r.gains_usd_bn[k], unit) for k in govs)]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (f"<table class='chipdeal-comparison' style='border-spacing:12px 4px'><tr>{head}</tr>"
            + "".join(body) + "</table>")


@solara.component
def EndCard(model: AppModel) -> None:
    """After the last round: this deal beside the agents' (when a person played) and the equilibrium."""
    human = play.human_key(model)
    # the agents' own run is played only to set a person's deal beside it: without one, it is this run
    rows = solara.use_memo(lambda: play.comparison(model, with_agents=human is not None), [model])
    with solara.Card("How this deal compares"):
        solara.HTML(tag="div", unsafe_innerHTML=_deal_table(model, rows), classes=["chipdeal-end"])
        Caption("The agents' deal: the same scenario and seed played by the two agents alone. Equilibrium: the "
                "subgame-perfect outcome solved from outside (what perfectly far-sighted players would agree, and "
                "when). Gains are over no deal, in present value at the talks' start."
                if human else "Equilibrium: the subgame-perfect outcome solved from outside the agents.")


# --------------------------------------------------------------------------------------------------------
# A person's move


def _answers_text(model: AppModel, preview: play.Preview) -> str:
    """The lenders' verdicts in words: ``JBIC would fund · NEXI would NOT fund (…)``."""
    parts = []
    for response in preview.ratification:
        name = views.name_of(model, response.actor)
        parts.append(f"{name} would fund" if response.accepted else
                     f"{name} would NOT fund ({response.reason})" if response.reason else f"{name} would NOT fund")
    return " · ".join(parts) if parts else ""


def _delay_text(model: AppModel, preview: play.Preview, human: str) -> str:
    """What a month of delay on these terms costs the person's side."""
    name = views.name_of(model, human)
    if preview.delay is None:
        return "This is the last round: there is no later one."
    cost = preview.delay.per_month_usd_bn
    verb = "costs" if cost >= 0 else "gains"
    months = model.spec.protocol.round_months
    return (f"Each month of delay on these terms {verb} {name} {views.amount(model, abs(cost))} (PV): its value "
            f"agreeing now less a round ({months:g} month{'' if months == 1 else 's'}) later, per month.")


@solara.component
def MovePanel(model: AppModel, on_played: Callable[[], None], report: Callable[[str], None]) -> None:
    """The person's move in the coming round: an offer to make, or the other side's offer to answer."""
    human = play.human_key(model)
    assert human is not None
    name = views.name_of(model, human)
    other = model.spec.other_government(human)
    other_name = views.name_of(model, other)
    seat: play.HumanSeat = model.seats[human]
    b = play.bounds(model)
    # the controls start at the person's last offer (at first, the government's own ideal package)
    start = play.opening_package(model, human)
    start_rates = model.tariff_rates(start)
    opening = {"q": 100 * min(max(start.us_share_before_recoup, b.share[0]), b.share[1]),
               "s": 100 * min(max(start.us_profit_share, b.share[0]), b.share[1]),
               **{group: 100 * min(max(start_rates.get(group, top), floor), top)
                  for group, (floor, top) in b.rates.items()}}
    values, set_values = solara.use_state(opening)
    t = play.coming_round(model)

    def setter(term: str) -> Callable[[float], None]:
        return lambda number: set_values(lambda v: {**v, term: number})

    def step_with(decide: Callable[[], None]) -> None:
        decide()
        model.step()
        on_played()

    with solara.Card(f"Your move, round {t} of {model.max_rounds} · you play {name}", classes=["chipdeal-move"]):
        if play.proposer_of_coming_round(model) == human:
            low, high = 100 * b.share[0], 100 * b.share[1]
            shares = [("q", "US share before recoup, %", "US share before recoup")] if b.two_phase else []
            shares.append(("s", "US share of the unit surplus, %" if model.unit_surplus else
                           "US share after recoup, %" if b.two_phase else "US share of profits, %",
                           "US share after recoup" if b.two_phase else "US share"))
            for term, label, name_in_messages in shares:
                Caption(f"{label}: {values[term]:.1f} (from {low:g} to {high:g})")
                NumberSlider(label, values[term], low, high, 0.5, setter(term), report, name=name_in_messages,
                             unit="%")
            for group, (floor, top) in b.rates.items():
                label = f"tariff rate on {group}, %"
                Caption(f"{label}: {values[group]:.1f} (from {100 * floor:g}, the floor, to {100 * top:g}, its rate "
                        "without a deal)")
                NumberSlider(label, values[group], 100 * floor, 100 * top, 0.1, setter(group), report,
                             name=f"tariff rate on {group}", unit="%")
            q = values["q"] if b.two_phase else values["s"]
            package = play.package_of(model, q / 100, values["s"] / 100,
                                      {group: values[group] / 100 for group in b.rates})
            preview = play.preview_offer(model, package)
            answer = preview.answer
            if preview.believed_acceptance is not None:  # its price is private: what the person's side believes
                said = (f"would accept with a chance of {preview.believed_acceptance:.0%}, by what {name} believes "
                        f"of {other_name} (each refusal of {name}'s offers moves that belief)")
                verdict = "" if preview.funded else "It would not be signed: the lenders must fund it."
            else:
                said = "would accept" if answer.accepted else f"would refuse ({answer.reason})"  # type: ignore[union-attr]
                verdict = ("It would be signed." if preview.signed else
                           "It would not be signed: the lenders must fund it." if answer.accepted  # type: ignore[union-attr]
                           else "It would not be signed.")
            lenders = _answers_text(model, preview)
            verdict = f" {verdict}" if verdict else ""
            solara.HTML(tag="div", classes=["chipdeal-preview"], unsafe_innerHTML=html.escape(
                f"Before you send it: {other_name} {said}{'; ' + lenders if lenders else ''}.{verdict} "
                f"Agreed now, it is worth {views.amount(model, preview.human_utility_usd_bn)} to {name} over no "
                f"deal. {_delay_text(model, preview, human)}"))
            solara.Button("Send offer", color="primary",
                          on_click=guarded(lambda: step_with(lambda: seat.offer(package)), report))
            return
        offered = play.agent_offer(model)
        if offered is None:
            solara.HTML(tag="div", classes=["chipdeal-preview"], unsafe_innerHTML=html.escape(
                f"{other_name} makes no offer in round {t}: it sees no package it would rather sign than wait."))
            solara.Button("Next round", color="primary", on_click=guarded(lambda: step_with(lambda: None), report))
            return
        funded = "" if offered.funded else " Even if you accept it, it is not signed: the lenders do not fund it."
        solara.HTML(tag="div", classes=["chipdeal-preview"], unsafe_innerHTML=html.escape(
            f"{other_name} offers {views.terms_text(model, offered.package)}."
            f"{' ' + _answers_text(model, offered) + '.' if offered.ratification else ''}"
            f"{funded} Accepting is worth {views.amount(model, offered.human_utility_usd_bn)} to {name} over no "
            f"deal. {_delay_text(model, offered, human)}"))
        with solara.Row():
            solara.Button("Accept", color="primary",
                          on_click=guarded(lambda: step_with(lambda: seat.answer(True)), report))
            solara.Button("Reject", color="primary", outlined=True,
                          on_click=guarded(lambda: step_with(lambda: seat.answer(False)), report))


# --------------------------------------------------------------------------------------------------------
# Sidebar


def seat_options(controls: Controls) -> dict[str, str | None]:
    """The seats a user can pick (label → government key; ``None``: the agents play both)."""
    try:
        base = controls.base()
    except ScenarioError:
        return {"the agents play both": None}
    counterpart, principal = base.governments
    return {"the agents play both": None, f"you play {base.agents[principal].name}": principal,
            f"you play {base.agents[counterpart].name}": counterpart}


@solara.component
def RunCard(model: AppModel, playing: bool, on_reset: Callable[[], None], on_play: Callable[[], None],
            on_step: Callable[[], None], on_seat: Callable[[Any], None], controls: Controls) -> None:
    """Reset, Play/Pause and Step, and who plays: at the top of the sidebar, visible without scrolling."""
    human = play.human_key(model)
    with solara.Card(classes=["chipdeal-run"], style={"padding": "8px 12px"}):
        with solara.Row(justify="space-between"):
            solara.Button(label="Reset", color="primary", on_click=on_reset)
            solara.Button(label="❚❚" if playing else "▶", color="primary", on_click=on_play,
                          disabled=not model.running or human is not None)
            solara.Button(label="Step", color="primary", on_click=on_step,
                          disabled=playing or not model.running or human is not None)
        options = seat_options(controls)
        current = next((label for label, key in options.items() if key == controls.seat), "the agents play both")
        solara.Select(label="Who plays", value=current, values=list(options), on_value=on_seat)
        if human is not None:
            Caption(f"You play {views.name_of(model, human)}: make your move in the panel on the right; the other "
                    "side and the lenders follow their own rules.")
        else:
            months = model.spec.protocol.round_months
            Caption(f"Step plays one round ({months:g} month{'' if months == 1 else 's'} of talks); ▶ plays on to "
                    "the end. The settings below take effect on Reset.")


@solara.component
def ScenarioCard(controls: Controls, report: Callable[[str], None], version: int,
                 on_change: Callable[[], None]) -> None:
    """Scenario picker, sliders (starting at the scenario's values), drop-downs and seed; applied on Reset."""
    refused, set_refused = solara.use_state(0)  # remounts the controls after a refused value (shows the kept one)

    def refuse(text: str) -> None:
        if text:  # a refusal; "" clears the message after an accepted value (the controls stay as they are)
            set_refused(lambda n: n + 1)
        report(text)

    def pick(name: Any) -> None:
        files = scenario_files()
        if name not in files:
            raise PageError(f"no scenario named {str(name)[:60]!r} in runs/")
        load_picked(files[name])  # a broken file raises its one line; the settings stay as they were
        controls.scenario, controls.values = name, {}
        if controls.seat is not None and controls.seat not in load_picked(files[name]).governments:
            controls.seat = None
        report("")
        on_change()

    def apply(key: str, value: Any) -> None:
        """Set one value if the scenario accepts it with the others; a refused one leaves the settings as they were."""
        if _same(controls.values.get(key, get_key(controls.base(), key)), value):
            return  # a control redrawn at its value (after a refusal) says nothing
        values = {**controls.values, key: value}
        replace(controls, values=values).spec()  # raises the scenario's one line
        controls.values = values
        on_change()


    def apply_shown(slider: Slider, shown: float) -> None:
        """Set a slider's key from what the slider shows (a percent back to its fraction)."""
        apply(slider.key, slider.value(shown))

    def choose(choice: Choice, value: Any) -> None:
        if value not in choice.options:
            raise PageError(f"{choice.name}: {str(value)[:40]!r} is not one of {', '.join(choice.options)}")
        apply(choice.key, value)

    def reseed(value: Any) -> None:
        try:
            controls.seed = _whole(value, "seed", 0, MAX_SEED, "from 0 to 2**63 - 1")
        except PageError as err:
            controls.seed_refused = public(str(err))  # Reset says it again: the field still shows what was typed
            raise
        controls.seed_refused = None
        on_change()

    with solara.Card("Scenario (applied on Reset)", classes=["chipdeal-scenario"]):
        with solara.Column(gap="4px").key(f"scenario-controls-{refused}"):
            solara.Select(label="Scenario", value=controls.scenario, values=list(scenario_files()),
                          on_value=guarded(pick, refuse))
            try:
                sliders, choices = controls.sliders(), controls.choices()
            except ScenarioError as err:  # the picked file broke after it was picked
                Message(public(str(err)))
                sliders, choices = [], []
            for slider, default in sliders:
                value = controls.values.get(slider.key, default)
                # the caption says what it is, in its unit, with the value (a slider alone shows no number);
                # a share or a rate in percent, the key keeping the fraction
                number = value if isinstance(value, int | float) else default
                unit = "%" if slider.percent else ""
                Caption(f"{slider.caption}: " + (f"{slider.shown(number):g}%" if isinstance(value, int | float)
                                                 and slider.percent else _shown(value)))
                NumberSlider(slider.name, slider.shown(float(number)), slider.shown(slider.low),
                             slider.shown(slider.high), slider.shown(slider.step),
                             functools.partial(apply_shown, slider), refuse,
                             name=f"{slider.name} ({slider.key})", unit=unit)
            for choice, default in choices:
                # the governments' names shown, their keys the values (as the scenario writes them)
                solara.v.Select(label=choice.name, v_model=controls.values.get(choice.key, default),
                                items=choice.items(), on_v_model=guarded(lambda x, c=choice: choose(c, x), refuse))
            IntField("Seed", controls.seed, reseed, report)
            Caption(f"The seed ({controls.seed} on Reset) fixes the belief errors the two governments start with "
                    "(incomplete information).")


# --------------------------------------------------------------------------------------------------------
# Compare two scenarios


def compare_figure(result: dict[str, Any]) -> Any:
    """The two scenarios' medians and 95% intervals per outcome, side by side (one small panel each)."""
    from matplotlib.figure import Figure

    names = [(n, label, unit) for n, label, unit in comparing.shown_outcomes(result)
             if result["a"]["outcomes"].get(n, {}).get("n") or result["b"]["outcomes"].get(n, {}).get("n")]
    fig = Figure(figsize=(2.2 * max(len(names), 1) + 1, 2.6), layout="constrained")
    axes = fig.subplots(1, max(len(names), 1), squeeze=False)[0]
    for ax, (name, label, unit) in zip(axes, names, strict=False):
        scale = 100 if unit in ("share", "rate") else 1
        for i, side in enumerate(("a", "b")):
            st = result[side]["outcomes"].get(name) or {}
            if st.get("n"):
                med, lo, hi = (scale * st[k] for k in ("median", "p2_5", "p97_5"))
                ax.errorbar([i], [med], yerr=[[med - lo], [hi - med]], fmt="o", capsize=4,
                            color=("#1f5fa8", "#c62f2f")[i])
        ax.set_xticks([0, 1], ["A", "B"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(label + (" (%)" if scale == 100 else ""), fontsize="small")
        ax.grid(alpha=0.3)
    return fig


@solara.component
def ComparePanel(report_to_page: Callable[[str], None]) -> None:
    """Two scenarios side by side over the same seeds, and the keys in which they differ."""
    names = list(scenario_files())
    a, set_a = solara.use_state("baseline" if "baseline" in names else names[0])
    b, set_b = solara.use_state(next((n for n in names if n != a), a))
    n, set_n = solara.use_state(20)
    result, set_result = solara.use_state(cast(dict[str, Any] | None, None))
    error, set_error = solara.use_state("")

    def pick(setter: Callable[[Any], None]) -> Callable[[Any], None]:
        def chosen(name: Any) -> None:
            if name not in scenario_files():
                raise PageError(f"no scenario named {str(name)[:60]!r} in runs/")
            setter(name)
        return chosen

    def replicates(value: Any) -> None:
        set_n(_whole(value, "seeds", 1, MAX_COMPARE_REPLICATES))

    def run() -> None:
        files = scenario_files()
        spec_a, spec_b = load_picked(files[a]), load_picked(files[b])
        set_result(comparing.compare(spec_a, spec_b, 0, n))
        set_error("")

    def report(text: str) -> None:
        set_error(text)
        if text:
            set_result(None)

    with solara.Card("Compare two scenarios", classes=["chipdeal-compare"]):
        with solara.Row():
            solara.Select(label="Scenario A", value=a, values=names, on_value=guarded(pick(set_a), report))
            solara.Select(label="Scenario B", value=b, values=names, on_value=guarded(pick(set_b), report))
            IntField("Seeds", n, replicates, report)
            solara.Button("Compare", color="primary", on_click=guarded(run, report))
        Caption(f"Both scenarios run on the same {n} seed{'s' if n > 1 else ''} (0 to {n - 1}). Each cell: the median "
                "over the runs that agreed, its 95% interval in brackets, and both modes where the values fall in "
                "two groups.")
        if error:
            Message(error)
        if result is not None:
            rows = [("outcome", f"A: {result['a']['scenario']}", f"B: {result['b']['scenario']}"),
                    *comparing.rows(result)]
            solara.HTML(tag="div", unsafe_innerHTML=_table(rows, "chipdeal-compare-table"))
            solara.FigureMatplotlib(compare_figure(result), format="png")
            diffs = result["differences"]
            solara.HTML(tag="div", unsafe_innerHTML=(
                f"<b>{len(diffs)} key(s) differ</b>" if diffs else "<b>The two scenarios are set alike.</b>")
                + (_table([("key", "A", "B"), *((d["key"], comparing.value_text(d["a"]), comparing.value_text(d["b"]))
                                                for d in diffs)], "chipdeal-diff-table") if diffs else ""))


def _table(rows: Sequence[tuple[str, ...]], css: str) -> str:
    """Rows of text as an HTML table, the first row its header."""
    head, *body = rows
    return (f"<table class='{css}' style='border-spacing:12px 4px'><tr>"
            + "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
            + "</table>")


# --------------------------------------------------------------------------------------------------------
# Terms


def round_length(months: float) -> str:
    """A round's length in words, as the scenario sets it.

    >>> round_length(0.5), round_length(1.0), round_length(0.25)
    ('0.5 months (about 2 weeks)', '1 month (about 4 weeks)', '0.25 months (about 1 week)')
    """
    weeks = round(months * 365.25 / 12 / 7)
    about = "" if weeks < 1 or months > 3 else f" (about {weeks} week{'' if weeks == 1 else 's'})"
    return f"{months:g} month{'' if months == 1 else 's'}{about}"


def _years(years: float) -> str:
    """A time from the talks' start: ``0.312 years (114 days)``."""
    return f"{years:g} years ({years * 365.25:.0f} days)" if years < 2 else f"{years:g} years"


def terms(spec: Spec) -> tuple[tuple[str, str], ...]:
    """What the page's terms mean, a sentence or two each, with every number taken from ``spec``.

    Args:
        spec: the scenario the page shows (its round length, clocks, claims and actors' names).

    Returns:
        (term, meaning) pairs, in the order the Terms tab lists them.

    """
    deal, protocol = spec.deal, spec.protocol
    counterpart, principal = (spec.agents[k].name for k in spec.governments)
    claims = [(spec.agents[k].name, cast(Any, spec.agents[k]).claim_us_share) for k in spec.governments]
    lenders = [f"{spec.agents[k].name} {verb}" for role, verb in (("lender", "lends"), ("insurer", "insures"))
               for k in spec.keys_of(role)]
    rounds = spec.deadline_rounds
    names = {k: spec.agents[k].name for k in spec.governments}
    final = spec.last_proposer
    hazard = protocol.breakdown_hazard_per_year
    per_round = 1 - math.exp(-hazard * protocol.round_months / 12)
    rates = "; ".join(f"{names[k]} {cast(Any, spec.agents[k]).discount_rate_per_year:.1%}" for k in spec.governments
                      if cast(Any, spec.agents[k]).discount_rate_per_year is not None)
    out = [
        ("Round", f"One offer and its answer: {round_length(protocol.round_months)} of talks in this scenario"
                  f", {rounds} rounds in all. Offers alternate between "
                  f"{counterpart} and {principal}; the talks end at the deadline without a deal if no offer is "
                  "accepted."),
        ("Package", f"What an offer sets: the {counterpart} share of the equity's profits before {principal} "
                    "recoups its investment and after, and a tariff rate on each group of goods a deal can change."),
        ("US share before recoup", f"The {counterpart} share of the profits until {principal} has earned back its "
                                   "investment (its deemed allocation, with interest)."),
        ("US share after recoup", f"The {counterpart} share once {principal} has recouped. In a one-phase deal "
                                  "there is one share throughout."),
        ("Claim", "Each government's public position on the US share ("
                  + ("; ".join(f"{n}: {c:.0%}" for n, c in claims if c is not None) or "none in this scenario")
                  + "). Settling away from it costs a government with its audience, or with the other side; how "
                  "each audience reads it (either phase, or the money each phase carries) is part of the scenario."),
        ("Tariff rate on a group of goods", f"The rate a deal fixes on one group of {principal}'s exports"
                                            + (f" ({', '.join(deal.goods)})" if deal.goods else "")
                                            + ", between the floor every partner pays"
                                            + ("" if deal.floor_rate is None else f" ({deal.floor_rate:.0%})")
                                            + " and the group's rate without a deal. A group already at the floor "
                                            "is not bargained over."),
        ("All-in rate, duty relief", "The all-in rate: the export-weighted average of every group's rate. Duty "
                                     f"relief: the duty the agreed rates save {principal}'s exporters a year "
                                     "against the rates without a deal."),
        ("Threat's date", "When the threatened tariff"
                          + ("" if deal.threat_rate is None else f" ({deal.threat_rate:.0%})")
                          + " takes effect if no deal is signed"
                          + ("" if deal.talks_deadline_years is None
                             else f": {_years(deal.talks_deadline_years)} after the talks start")
                          + ". Talks may go on after it, but the tariff is paid meanwhile, which makes delay costly."),
        ("Deadline (window)", "The last date a deal can be struck"
                              + ("" if deal.horizon_years is None
                                 else f": {_years(deal.horizon_years)} after the talks start")
                              + "; the number of rounds follows from it and the round's length."),
        ("The last word", "Which government makes the final offer before the deadline ("
                          + (f"{names[final]} in this scenario" if final is not None
                             else "in this scenario whoever the alternation gives the final round")
                          + "): the other can only accept it or let the talks end without a deal."),
        ("Outcomes: agreement, collapse, breakdown, unsignable", "Agreement: an offer accepted. Collapse: after a "
         f"round without agreement the talks may end for good, a risk of {hazard:.0%} a year (about "
         f"{per_round:.1%} a round) that both sides price (the breakdown hazard). Breakdown: the deadline passes "
         "without a deal. Unsignable: no package the lenders fund leaves both governments better off than no "
         "deal, so the talks end before round 1."),
        ("Level II, lenders fund", (" and ".join(lenders) + f" {principal}'s package" if lenders
                          else f"No lender stands behind {principal}'s package in this scenario")
                         + ": a deal is signed only if each would fund it, which limits the shares "
                         f"{principal} can concede. Level II is this domestic ratification, the second table of "
                         "a two-level game (Putnam 1988); Level I is the talks between the governments."),
        ("No deal, gain over no deal", "What each actor gets if the talks fail; a gain is measured from there, in "
                                       "present value ($bn at the talks' start)."),
        ("PV (present value), utility", "A stream of money over the years discounted to the talks' start at the "
         "actor's discount rate a year" + (f" ({rates})" if rates else "") + ", in $bn. A government's utility "
         "of a package is its PV to that government, its claims' costs included; the utility plot shows both."),
        ("Patience: discount rate, δ", "How much an actor prefers sooner to later: its discount rate a year, or "
                                       "δ, the factor by which a deal one round later is worth less to it. The more "
                                       "patient side holds out for more."),
        ("Belief errors, seed", "With incomplete information each government knows the other's patience and "
         "costs only up to an error"
         + (f" (log-normal, σ = {protocol.belief_noise:g})" if protocol.information == "incomplete"
            else "; this scenario has complete information, so there are none")
         + ". The seed draws the errors (and whether the talks collapse), so one seed replays a run exactly."),
        ("Stance", "The actors table's last column: where each actor stands on the latest offer — a government "
                   "proposes or responds, a lender or insurer would fund it or not, an investor says what it "
                   "builds."),
        ("Equilibrium (SPE)", "The subgame-perfect equilibrium of alternating offers with this deadline, solved "
                              "from outside the agents: each offer leaves the other side exactly what waiting would "
                              "bring it (Ståhl 1972; Rubinstein 1982). The page gives its distance from a deal on "
                              "every term, in percentage points."),
        ("Nash point", "The Nash bargaining solution: the package that maximises the product of the two "
                       "governments' gains over no deal (Nash 1950)."),
        ("Kalai–Smorodinsky point", "The package on the frontier where each government gets the same "
                                    "fraction of the most it could gain over no deal (Kalai & Smorodinsky 1975); "
                                    "the downloads give it beside the Nash point."),
        ("Pareto frontier", "The packages neither government can improve on without hurting the other."),
        ("Unit surplus", "The reduced (Rubinstein) game: the two split one unit, each discounting by its factor δ "
                         "per offer; values are shares of that unit, not $bn."),
    ]
    return tuple(out)


def Glossary(model: AppModel) -> None:
    """What the page's terms mean, in a sentence or two each, for the scenario ``model`` runs."""
    items = "".join(f"<dt><b>{html.escape(t)}</b></dt><dd style='margin:0 0 8px 12px'>{html.escape(d)}</dd>"
                    for t, d in terms(model.spec))
    solara.HTML(tag="dl", unsafe_innerHTML=items, classes=["chipdeal-terms"], style="padding: 8px 12px")


# --------------------------------------------------------------------------------------------------------
# The page


@dataclass
class _Session:
    """One browser session's mutable state, shared with the play loop's thread."""

    model: AppModel
    playing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@solara.component
def Page() -> None:
    """The page: the run controls and scenario in the sidebar; the negotiation, a comparison and the terms."""
    controls = solara.use_memo(Controls, [])
    session = solara.use_memo(lambda: _Session(AppModel(controls)), [])
    model = session.model
    tick, set_tick = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    message, set_message = solara.use_state("")
    settings_version, set_settings_version = solara.use_state(0)

    def redraw() -> None:
        set_tick(lambda k: k + 1)

    def reset() -> None:
        new = AppModel(controls)  # a refused setting raises here: the old model stays
        with session.lock:
            session.playing = False
            session.model = new
        set_playing(False)
        refused = controls.seed_refused
        set_message("" if refused is None else f"Not applied: {refused}; Reset used the seed before it, "
                                               f"{controls.seed}")
        redraw()

    def step() -> None:
        with session.lock:
            if session.model.running and play.human_key(session.model) is None:
                session.model.step()
        redraw()

    def play_pause() -> None:
        session.playing = not session.playing and session.model.running
        set_playing(session.playing)

    def seat(label: Any) -> None:
        options = seat_options(controls)
        if label not in options:
            raise PageError(f"Who plays: {str(label)[:40]!r} is not one of the choices")
        controls.seat = options[label]
        reset()

    def loop() -> None:
        current = session.model
        while session.playing and session.model is current and current.running:
            time.sleep(PLAY_INTERVAL_S)
            with session.lock:
                if not (session.playing and session.model is current and current.running):
                    break
                try:
                    current.step()
                except Exception:
                    log.exception("a round failed while playing")
                    session.playing = False
                    set_message("Something went wrong on the server (its log has the details).")
            redraw()
        if session.model is current:
            session.playing = False
            set_playing(False)

    # not intrusive: Solara's cancel guard traces every line the thread runs (drawing a round took 3× as long)
    solara.use_thread(loop, dependencies=[playing, model], intrusive_cancel=False)

    solara.Title("chipdeal")
    with solara.AppBar():
        solara.AppBarTitle("chipdeal · the 2025 US–Japan chip deal")
    with solara.Sidebar():
        RunCard(model, playing, guarded(reset, set_message), guarded(play_pause, set_message),
                guarded(step, set_message), guarded(seat, set_message), controls)
        if message:
            Message(message)
        ScenarioCard(controls, set_message, settings_version, lambda: set_settings_version(lambda k: k + 1))
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Negotiation"):
            OutcomeCard(model)
            if model.running and play.human_key(model) is not None:
                MovePanel(model, redraw, set_message).key(f"move-{id(model)}-{model.steps}")
            if not model.running:
                EndCard(model).key(f"end-{id(model)}")
            Plots(model, tick)
            ActorPanel(model)
            Downloads(model)
        with solara.lab.Tab("Compare scenarios"):
            ComparePanel(set_message)
        with solara.lab.Tab("Terms"):
            Glossary(model)


def _warm_up() -> None:
    """Solve the baseline and draw both plots once, when the server imports the page.

    The first visitor then does not wait for the solver and the first plots (the baseline's opening state,
    which every new visitor sees first). The PNG downloads (matplotlib) are drawn when clicked.
    """
    model = AppModel(Controls())
    for kind in ("offers", "utility"):
        plot_image(model, kind)


_warm_up()
