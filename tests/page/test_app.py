"""The page's logic without a browser: each view's data, the controls, and the page rendered in-process."""

import csv
import html
import io
import json
import logging
import re
import shutil
from collections import OrderedDict

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

import negotiation.app as app_module
from negotiation import play, views
from negotiation.app import SLIDERS, AppModel, Controls, Page, for_scenario, round_length, scenario_files, terms
from negotiation.inputs import ScenarioError
from negotiation.issues import Package
from negotiation.scenario_files import load_scenario


def finished(controls=None):
    model = AppModel(controls or Controls())
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="module")
def done():
    return finished()


# --- views ----------------------------------------------------------------------------------------------------

def test_outcome_text_before_during_and_after():
    model = AppModel(Controls())
    assert views.outcome_text(model).startswith(f"Round 0 of {model.max_rounds}: Japan will open")
    model.step()
    first = model.offers[0].package
    assert views.outcome_text(model).startswith(
        f"Round 1 of {model.max_rounds}: Japan offered {views.terms_text(model, first)}; US said no")
    while model.running:
        model.step()
    text = views.outcome_text(model)
    pkg = model.agreement
    assert text.startswith(f"Agreement in round {model.steps}: {views.terms_text(model, pkg)}. Equilibrium (SPE): ")
    spe = model.terms_of(model.solve().spe)
    gaps = [100 * abs(pkg.us_share_before_recoup - spe.us_share_before_recoup),
            100 * abs(pkg.us_profit_share - spe.us_profit_share),
            *(100 * abs(rate - spe.tariff_rates[name]) for name, rate in model.tariff_rates(pkg).items()),
            100 * abs(model.tariff_rate(pkg) - spe.tariff_rate)]
    assert (f"from this deal: {gaps[0]:.1f} points on the share before recoup, {gaps[1]:.1f} on the share after "
            f"recoup, {gaps[2]:.1f} on autos, {gaps[3]:.1f} on other and {gaps[4]:.1f} on the all-in rate.") in text


def test_terms_in_words_give_both_shares_each_groups_rate_and_the_all_in_rate(done):
    pkg = done.agreement
    text = views.terms_text(done, pkg)
    rates = done.tariff_rates(pkg)
    assert text.startswith(f"US {pkg.us_share_before_recoup:.0%} of equity profits before recoup, "
                           f"{pkg.us_profit_share:.0%} after; tariffs ")
    assert f"autos {rates['autos']:.1%}, other {rates['other']:.1%} (all-in {done.tariff_rate(pkg):.1%})" in text
    assert f"${done.relief_usd_bn_per_year(pkg):.1f}bn/yr of duty relief" in text
    one = finished(Controls(scenario="one_phase"))
    assert views.terms_text(one, one.agreement).startswith(f"US {one.agreement.us_profit_share:.0%} of equity profits;")


def test_the_distance_on_every_rate_is_said_even_when_the_shares_match(done):
    spe = done.solve().spe
    top = Package(spe.us_share_before_recoup, spe.us_profit_share, tuple(t.high for t in done.terms.continuous))
    gap = views.equilibrium_gap(done, top)  # the equilibrium's shares, every rate at its no-deal rate
    eq = done.terms_of(spe)
    assert gap.spe == eq and gap.points["us_share_before_recoup"] == gap.points["us_profit_share"] == 0
    assert gap.points["tariff_rate_autos"] == pytest.approx(100 * (0.275 - eq.tariff_rates["autos"]))
    assert gap.points["tariff_rate"] == pytest.approx(100 * (done.tariff_rate(top) - eq.tariff_rate))
    assert gap.points["tariff_rate"] > 0
    assert set(gap.points) == {"us_share_before_recoup", "us_profit_share", "tariff_rate_autos", "tariff_rate_other",
                               "tariff_rate"}


def test_outcome_text_says_breakdown_at_the_deadline_and_collapse_before_it():
    # without a threat nothing is traded for the profits: no deal; without a hazard the talks break down at the
    # deadline, with the baseline's a round without agreement ends them sooner
    model = finished(Controls(scenario="no_tariff_threat", values={"protocol.breakdown_hazard_per_year": 0.0}))
    assert model.outcome == "breakdown"  # (no tariff at stake here: nothing "stays")
    assert views.outcome_text(model) == f"No agreement: talks broke down after {model.max_rounds} rounds."
    model = finished(Controls(scenario="no_tariff_threat"))
    assert model.outcome == "collapse" and model.steps < model.max_rounds
    assert views.outcome_text(model) == (f"No agreement: the talks collapsed after round {model.steps}, a risk both "
                                         "sides priced (the breakdown hazard).")


def test_when_nothing_can_be_signed_the_talks_end_before_round_1_and_the_page_names_the_limit():
    # NEXI's capacity below its exposure: it guarantees nothing, so no round could end in a deal
    model = AppModel(Controls(values={"agents.nexi.capacity_usd_bn": 100.0}))
    assert model.outcome == "unsignable" and not model.running and model.steps == 0
    text = views.outcome_text(model)
    assert text.startswith("No agreement: the talks end before round 1. No deal can be signed: Japan signs only")
    assert "NEXI guarantees nothing (its exposure, $" in text and "over its capacity, $100bn" in text


def test_the_unit_surplus_game_speaks_of_shares_of_a_unit_not_of_dollars():
    model = finished(Controls(scenario="rubinstein"))
    text = views.outcome_text(model)
    assert "of the unit surplus" in text and "$" not in text and "equity profits" not in text
    assert "tariff" not in text and "relief" not in text
    table = views.actor_table_html(model)
    assert "share of the surplus" in table and "$bn" not in table
    fig = views.offers_figure(model)
    assert len(fig.axes) == 1 and "unit surplus" in fig.axes[0].get_ylabel()
    ufig = views.utility_figure(model)
    assert "unit surplus" in ufig.axes[0].get_xlabel() and "$bn" not in ufig.axes[0].get_ylabel()
    assert views.utility_space(model)["nash"] == pytest.approx((0.5, 0.5))  # the middle of u_US + u_Japan = 1


def test_offers_alternate_and_end_with_the_accepted_one(done):
    pts = views.offers(done)
    assert [p.round for p in pts] == list(range(1, len(pts) + 1))
    assert all(a.proposer != b.proposer for a, b in zip(pts, pts[1:], strict=False))
    assert pts[-1].accepted and not any(p.accepted for p in pts[:-1])
    assert pts[-1].us_profit_share == done.agreement.us_profit_share


def test_actor_panel_shows_gains_over_no_deal_not_a_column_of_zeros(done):
    rows = {r["key"]: r for r in views.actor_rows(done)}
    assert set(rows) == {"us", "japan", "jbic", "nexi", "tsmc"}
    assert rows["jbic"]["status"] == "would fund" and rows["nexi"]["status"] == "would fund"
    for key in ("us", "japan"):
        gov = done.governments[key]
        expected = gov.utility_of(done.agreement, done.agreement_round) - gov.preferences.disagreement
        assert rows[key]["gain_usd_bn"] == pytest.approx(expected) and expected > 0  # individually rational
    assert all(r["colour"] == views.colours(done)[k] for k, r in rows.items())
    table = views.actor_table_html(done)
    assert table.count("<tr") == 6 and "would fund" in table
    assert "gain over no deal" in table and "<th>no deal" not in table and table.count("<th") == 3


def test_the_gain_at_an_offer_is_valued_at_the_round_it_was_made():
    model = AppModel(Controls())
    model.step()
    japan = {r["key"]: r for r in views.actor_rows(model)}["japan"]["gain_usd_bn"]
    offer = model.offers[-1]
    assert japan == pytest.approx(model.principal.utility_of(offer.package, 1)
                                  - model.principal.preferences.disagreement)


def test_lenders_without_state_backing_refuse_and_the_panel_says_so():
    model = finished(Controls(values={"agents.jbic.state_backing_usd_bn": 0.0}))
    assert model.outcome == "unsignable" and model.agreement is None
    package = Package(0.5, 0.5)  # Japan's own claim on both phases: even that is refused
    assert model.lenders[0].stance(package) == "would NOT fund" and model.insurers[0].stance(package) == "would fund"
    assert {r["key"]: r["status"] for r in views.actor_rows(model)}["jbic"] == "—"  # no offer was ever made


def test_utility_space_points_are_feasible(done):
    data = views.utility_space(done)
    fu, fj = data["frontier"]
    d_us, d_japan = data["disagreement"]
    assert fu.size >= 2 and (fu >= d_us - 1e-9).all() and (fj >= d_japan - 1e-9).all()
    for name in ("nash", "spe", "agreement"):
        u, j = data[name]
        assert u >= d_us - 1e-9 and j >= d_japan - 1e-9
        assert u <= fu.max() + 1e-6 and j <= fj.max() + 1e-6
    assert len(data["offers"]) == done.steps


def test_figures_have_units_and_legends_and_grow_with_the_path():
    model = AppModel(Controls())
    model.step()
    fig1 = views.offers_figure(model)
    n1 = sum(len(line.get_xdata()) for ax in fig1.axes for line in ax.get_lines())
    model.step()
    fig2 = views.offers_figure(model)
    n2 = sum(len(line.get_xdata()) for ax in fig2.axes for line in ax.get_lines())
    assert n2 > n1
    labels = [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig2.axes]
    assert "US share of profits" in labels[0][1] and "tariff rate (%)" in labels[1][1] and "round" in labels[1][0]
    assert fig2.axes[0].get_legend() is not None
    ufig = views.utility_figure(model)
    assert "$bn" in ufig.axes[0].get_xlabel() and "$bn" in ufig.axes[0].get_ylabel()
    legend = [t.get_text() for t in ufig.axes[0].get_legend().get_texts()]
    assert {"no deal", "Nash bargaining point", "equilibrium (SPE)"} <= set(legend)


@pytest.mark.parametrize("scenario", ["baseline", "rubinstein", "one_phase"])
def test_the_pages_plots_are_svg_with_the_downloads_series_labels_and_legends(scenario):
    """The page draws its plots as SVG (the browser renders them) from the same code as the PNG downloads."""
    import xml.etree.ElementTree as ET

    from negotiation.svgfigure import SvgFigure

    model = AppModel(Controls(scenario=scenario))
    for state in ("round 0", "round 1", "the end"):
        while model.running and (state == "the end" or (state == "round 1" and model.steps < 1)):
            model.step()
        for kind, draw in (("offers", views.offers_figure), ("utility", views.utility_figure)):
            image = app_module.plot_image(model, kind)
            root = ET.fromstring(image)  # well-formed SVG
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
            fig, svg = draw(model), draw(model, SvgFigure)
            assert len(svg.axes) == len(fig.axes)
            for ax, sax in zip(fig.axes, svg.axes, strict=True):
                legend = ax.get_legend()
                shown = [t.get_text() for t in legend.get_texts()] if legend is not None else []
                assert [label for label in sax.get_legend_handles_labels()[1]] == shown  # the same entries
                for label in (*shown, ax.get_title(), ax.get_xlabel(), *ax.get_ylabel().split("\n")):
                    assert html.escape(label, quote=False) in text or label in text, (kind, label)
                points = sorted((round(x, 9), round(y, 9)) for line in ax.get_lines()
                                for x, y in zip(line.get_xdata(), line.get_ydata(), strict=False)
                                if len(line.get_xdata()) == len(line.get_ydata()) and
                                line.get_transform() == ax.transData)
                drawn = sorted((round(x, 9), round(y, 9)) for series in sax.series if not series.hline
                               for x, y in zip(series.x, series.y, strict=False))
                assert drawn == points  # every point of every line, no more


def test_no_legend_on_the_pages_plots_hides_a_marker_in_any_shipped_scenario():
    from negotiation.svgfigure import SvgFigure

    for name in scenario_files():
        try:
            model = AppModel(Controls(scenario=name))
        except ScenarioError:
            continue
        while True:
            for draw in (views.offers_figure, views.utility_figure):
                figure = draw(model, SvgFigure)
                figure.svg()
                for (x, y, w, h), marks in figure.legends:
                    hidden = [(mx, my) for mx, my in marks if x <= mx <= x + w and y <= my <= y + h]
                    assert not hidden, (name, model.steps, draw.__name__, hidden)
            if not model.running:
                break
            model.step()


def test_downloads_hold_the_rounds_the_result_and_the_plots(done):
    rows = list(csv.DictReader(io.StringIO(views.rounds_csv(done))))
    assert len(rows) == done.steps and rows[-1]["accepted"] == "True" and rows[0]["answer"].startswith("refused")
    assert float(rows[-1]["us_profit_share"]) == done.agreement.us_profit_share
    assert float(rows[-1]["us_share_before_recoup"]) == done.agreement.us_share_before_recoup
    for name, rate in done.tariff_rates(done.agreement).items():
        assert float(rows[-1][f"tariff_rate_{name}"]) == pytest.approx(rate)
    assert float(rows[-1]["tariff_rate"]) == pytest.approx(done.tariff_rate(done.agreement))
    result = json.loads(views.result_json(done))
    assert result["agreed"] and result["steps"] == done.steps and len(result["rounds"]) == done.steps
    assert result["us_profit_share"] == pytest.approx(done.agreement.us_profit_share)
    for fig in (views.offers_figure(done), views.utility_figure(done)):
        assert views.figure_png(fig).startswith(b"\x89PNG")


# --- controls -------------------------------------------------------------------------------------------------

def test_scenario_list_is_scenarios_not_sweeps():
    files = scenario_files()
    assert "baseline" in files and "rubinstein" in files
    assert not any("sweeps" in str(p) or "out" in p.parts for p in files.values())
    assert "patterns" not in files  # runs/patterns.toml is not a scenario


def _baseline_ranges():
    """tests/model/test_baseline_ranges.py, whose claimed_ranges() parses the baseline's "holds" comments."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "model" / "test_baseline_ranges.py"
    spec = importlib.util.spec_from_file_location("baseline_ranges", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_slider_spans_the_range_the_baseline_states_for_its_key():
    """A slider's range is its key's "holds A–B" range in runs/baseline.toml (issue 23: TSMC's was 0.05–1)."""
    stated: dict[str, list[float]] = {}
    for key, end in _baseline_ranges().claimed_ranges():
        stated.setdefault(key, []).append(end)
    base = Controls().base()
    checked = []
    for s in SLIDERS:
        key = for_scenario(base, s.key)
        if key in stated:
            ends = stated[key]
            if len(ends) == 2:  # "holds A–B" ("holds ≥ A", the deadline's, leaves room for shorter ones)
                assert (s.low, s.high) == tuple(ends), (key, s, ends)
                checked.append(key)
    assert len(checked) == 7 and "agents.tsmc.margin_per_usd" in checked
    shown = {s.key: (s.low, s.high) for s, _ in Controls().sliders()}  # the baseline's own values fit: as stated
    assert shown["agents.tsmc.margin_per_usd"] == (0.6, 4.0) and shown["deal.equity_fraction"] == (0.005, 0.016)
    article = {s.key: (s.low, s.high) for s, _ in Controls(scenario="equity_article").sliders()}
    assert article["deal.equity_fraction"] == (0.005, 0.12)  # widened to hold the scenario's own 12%, no more


def test_sliders_follow_the_scenario():
    base_keys = {s.key for s, _ in Controls().sliders()}
    rub_keys = {s.key for s, _ in Controls(scenario="rubinstein").sliders()}
    assert "deal.threat_rate" in base_keys and "agents.us.discount" not in base_keys
    assert "agents.us.discount" in rub_keys and "deal.threat_rate" not in rub_keys
    for name in scenario_files():
        for slider, value in Controls(scenario=name).sliders():
            assert slider.low <= value <= slider.high, (name, slider.key)  # every default fits its slider
            steps = (value - slider.low) / slider.step  # and sits on its grid, or the slider would move it
            assert abs(steps - round(steps)) < 1e-6, (name, slider.key, value)
    base = Controls().base()
    assert {for_scenario(base, s.key) for s in SLIDERS} >= base_keys  # every key comes from a slider template


def test_sliders_about_the_tariff_do_not_show_when_no_tariff_is_at_stake():
    tariff_keys = {"deal.threat_rate", "deal.talks_deadline_years", "agents.tsmc.margin_per_usd"}
    assert tariff_keys <= {s.key for s, _ in Controls().sliders()}
    keys = {s.key for s, _ in Controls(scenario="no_tariff_threat").sliders()}
    assert not keys & tariff_keys and "deal.equity_fraction" in keys


def test_controls_build_the_spec_and_reject_bad_values():
    c = Controls(values={"deal.equity_fraction": 0.2})
    assert c.spec().deal.equity_fraction == 0.2
    assert Controls(scenario="rubinstein", values={"deal.equity_fraction": 0.2}).spec().deal.kind == "unit_surplus"
    with pytest.raises(ScenarioError):
        Controls(values={"deal.equity_fraction": 2.0}).spec()


def test_a_us_that_values_the_investment_more_grants_more_relief_on_the_page():
    """The page's controls reach the model: a sign the statics assert (README), not one theory leaves open."""
    low = finished(Controls(values={"agents.us.onshore_value_per_usd": 0.06}))
    high = finished(Controls(values={"agents.us.onshore_value_per_usd": 0.10}))
    assert high.tariff_rate(high.agreement) < low.tariff_rate(low.agreement)


def test_a_seat_in_the_controls_seats_a_person():
    model = AppModel(Controls(seat="us"))
    assert isinstance(model.seats["us"], play.HumanSeat) and play.human_key(model) == "us"
    assert views.outcome_text(model) == f"Round 0 of {model.max_rounds}: Japan will open."


def test_every_term_the_page_uses_is_explained():
    names = " ".join(t for t, _ in terms(Controls().spec()))
    for word in ("Equilibrium", "Nash", "before recoup", "after recoup", "Tariff rate on a group", "All-in rate",
                 "duty relief", "Claim", "Threat's date", "Deadline", "Unit surplus"):
        assert word in names


# the jargon the page shows: its texts and captions (views.py, app.py), the actors table's headers, the outcomes
PAGE_JARGON = ("SPE", "Level II", "PV", "present value", "stance", "belief errors", "seed", "last word", "collapse",
               "breakdown", "unsignable", "Nash", "Kalai–Smorodinsky", "Pareto", "δ", "discount rate", "recoup",
               "claim", "utility", "unit surplus", "all-in rate", "duty relief", "no deal", "gain over no deal",
               "threat's date", "deadline", "lenders fund", "round")


@pytest.mark.parametrize("scenario", ["baseline", "rubinstein", "second_country", "complete_information"])
def test_the_terms_tab_explains_every_word_of_the_pages_jargon(scenario):
    """Each word the page uses without explaining it has an entry (or a sentence) in the Terms tab."""
    text = " ".join(f"{t} {d}" for t, d in terms(Controls(scenario=scenario).spec())).lower()
    assert [w for w in PAGE_JARGON if w.lower() not in text] == []
    names = " ".join(t for t, _ in terms(Controls(scenario=scenario).spec())).lower()
    for heading in ("SPE", "Level II", "PV", "stance", "belief errors", "last word", "collapse", "breakdown",
                    "unsignable", "Nash", "Kalai–Smorodinsky"):
        assert heading.lower() in names, heading


def test_the_pages_jargon_is_the_pages():
    """The jargon listed is what the page shows (a word it no longer uses would be dropped from the list)."""
    import inspect

    shown = (inspect.getsource(views) + inspect.getsource(app_module).split("# Terms")[0]).lower()
    elsewhere = ("Kalai–Smorodinsky", "unsignable", "Level II", "claim")  # the downloads, outcomes, keys, docs
    assert [w for w in PAGE_JARGON if w.lower() not in shown and w not in elsewhere] == []


@pytest.mark.parametrize("months", [None, 1.0, 0.25])
def test_the_terms_tab_states_the_scenarios_round_length_and_clocks(months):
    """The Terms tab's numbers are the scenario's (issue 23: it said a month while a round was two weeks)."""
    controls = Controls(values={} if months is None else {"protocol.round_months": months})
    spec = controls.spec()
    assert spec.protocol.round_months == (0.5 if months is None else months)
    text = dict(terms(spec))
    assert f"{round_length(spec.protocol.round_months)} of talks" in text["Round"]
    assert spec.deadline_rounds == AppModel(controls).max_rounds  # the "Round 0 of N" the page shows
    assert f"{spec.deadline_rounds} rounds in all" in text["Round"]
    assert ("2 weeks" in text["Round"]) == (months is None) and ("a month" not in text["Round"])
    assert f"{spec.deal.talks_deadline_years:g} years (114 days)" in text["Threat's date"]
    assert f"{spec.deal.horizon_years:g} years" in text["Deadline (window)"]
    assert "US: 90%; Japan: 50%" in text["Claim"]
    assert "JBIC lends and NEXI insures Japan's package" in text["Level II, lenders fund"]


def test_the_terms_tab_builds_for_every_scenario():
    for name in scenario_files():
        spec = Controls(scenario=name).spec()
        assert dict(terms(spec))["Round"].startswith(f"One offer and its answer: {spec.protocol.round_months:g} month")


# --- the page, rendered in-process ----------------------------------------------------------------------------

@solara.component
def Wrapped():
    with solara.AppLayout():  # the sidebar renders only inside an AppLayout
        Page()


@pytest.fixture
def page():
    box, rc = solara.render(Wrapped(), handle_error=False)  # handle_error=False: any exception fails the test
    yield rc
    rc.close()


@pytest.fixture
def quick_plots(monkeypatch):
    """Tiny stand-ins for the two plots, for tests that read no plot."""
    from matplotlib.figure import Figure

    for name in ("offers_figure", "utility_figure"):
        monkeypatch.setattr(views, name, lambda model, figure=Figure: figure(figsize=(0.5, 0.5)))
    monkeypatch.setattr(app_module, "_PLOTS", OrderedDict())  # no stand-in stays cached for later tests


def _html(rc):
    """The outcome card's text."""
    return _by_class(rc, "chipdeal-outcome")


def _by_class(rc, css):
    found = [w for w in rc.find(solara.widgets.HTML).widgets if css in w.attributes.get("class", "")]
    assert len(found) == 1, css
    return found[0].unsafe_innerHTML


def _slider(rc, name):
    found = rc.find(v.Slider, label=name)
    found.assert_single()
    return found.widget


def _captions(rc, css="chipdeal-caption"):
    return [w.children[0] for w in rc.find(v.Html, class_=css).widgets]


def _errors(rc):
    return [str(w.children) for w in rc.find(v.Alert).widgets]


def _click(rc, label):
    rc.find(v.Btn, children=[label]).widget.click()


def _all_text(rc):
    """Every string the page shows (widget children, HTML, labels): to look for tracebacks and paths."""
    texts = []
    for w in rc.find(widgets.Widget).widgets:
        for name in ("children", "unsafe_innerHTML", "label", "v_model", "value", "description"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, list | tuple):
                texts.extend(x for x in value if isinstance(x, str))
    return "\n".join(texts)


def _play_to_end(rc, limit=100):
    for _ in range(limit):
        if "Agreement" in _html(rc) or "No agreement" in _html(rc):
            return
        _click(rc, "Step")
    raise AssertionError("no end")


def test_page_step_advances_the_round_and_redraws(page):
    rc = page
    assert "Round 0 of 90" in _html(rc)
    images = rc.find(widgets.Image)
    assert len(images.widgets) == 2
    before = [w.value for w in images.widgets]
    _click(rc, "Step")
    after = [w.value for w in rc.find(widgets.Image).widgets]
    assert all(a != b for a, b in zip(after, before, strict=True))
    assert "Round 1 of 90" in _html(rc)


def test_mesa_internals_are_not_on_the_page(page):
    text = _all_text(page)
    for internal in ("Use Threads", "Play Interval", "Render Interval", "Page 0", "Model Parameters",
                     "Information", "Command Console"):
        assert internal not in text, internal
    assert [w.children for w in page.find(v.Btn).widgets][:3] == [["Reset"], ["▶"], ["Step"]]  # first in the sidebar
    assert not any(c.children == [] for c in page.find(v.Card).widgets)  # no empty cards


def test_every_plot_has_a_caption_and_the_terms_are_on_the_page(page):
    captions = _captions(page, "chipdeal-plot-caption")
    assert len(captions) == 2 and "after recoup" in captions[0] and "Nash point" in captions[1]
    assert "Gain over no deal" in " ".join(_captions(page))
    page.find(v.Tabs).widget.v_model = 2  # the third tab
    terms = _by_class(page, "chipdeal-terms")
    assert "Equilibrium (SPE)" in terms and "Nash point" in terms and "after recoup" in terms


def test_page_slider_and_reset_change_the_outcome(quick_plots, page):
    rc = page
    assert "Threatened tariff on Japan's other goods without a deal: 25%" in _captions(rc)  # a rate in percent
    _slider(rc, "threat").v_model = 35
    assert "Threatened tariff on Japan's other goods without a deal: 35%" in _captions(rc)
    _click(rc, "Reset")
    _play_to_end(rc)
    reference = finished(Controls(values={"deal.threat_rate": 0.35}))
    assert views.terms_text(reference, reference.agreement) in _html(rc)
    base = finished()
    assert views.terms_text(base, base.agreement) not in _html(rc)
    table = _by_class(rc, "chipdeal-end")  # this run beside the equilibrium
    assert "this run" in table and "equilibrium (SPE)" in table and "the agents" not in table


def test_page_scenario_picker_and_reset(quick_plots, page):
    rc = page
    rc.find(v.Select, label="Scenario").widget.v_model = "rubinstein"
    labels = [w.label for w in rc.find(v.Slider).widgets]
    assert "US δ" in labels and "threat" not in labels
    assert any(c.startswith("US: discount factor per offer (patience): ") for c in _captions(rc))
    _click(rc, "Reset")
    _click(rc, "Step")
    assert "Agreement in round 1: US 52.6% of the unit surplus" in _html(rc)


def test_the_last_word_drop_down_sets_who_makes_the_final_offer(quick_plots, page):
    rc = page
    choice = rc.find(v.Select, label="Final offer before the deadline (last word)")
    choice.assert_single()
    assert choice.widget.v_model == "us"
    choice.widget.v_model = "japan"
    _click(rc, "Reset")
    _play_to_end(rc)
    reference = finished(Controls(values={"protocol.last_proposer": "japan"}))
    assert reference.proposer_in(reference.max_rounds) == "japan"
    assert views.terms_text(reference, reference.agreement) in _html(rc)


def test_the_last_word_options_show_the_governments_names_and_keep_their_keys(quick_plots, page):
    choice = page.find(v.Select, label="Final offer before the deadline (last word)").widget
    base = Controls().base()
    assert [i["value"] for i in choice.items] == list(base.governments)
    assert [i["text"] for i in choice.items] == [base.agents[k].name for k in base.governments]
    assert all(i["text"] != i["value"] for i in choice.items)  # "US", not "us"


def _seat(rc, label):
    rc.find(v.Select, label="Who plays").widget.v_model = label


def test_a_person_plays_japan_to_an_agreement_and_sees_how_it_compares(quick_plots, page):
    rc = page
    _seat(rc, "you play Japan")
    assert _html(rc) == "Round 0 of 90: you (Japan) will open."
    assert rc.find(v.Btn, children=["Step"]).widget.disabled and rc.find(v.Btn, children=["▶"]).widget.disabled
    _slider(rc, "US share before recoup, %").v_model = 50.0
    _slider(rc, "US share after recoup, %").v_model = 60.0
    _slider(rc, "tariff rate on autos, %").v_model = 12.0
    _slider(rc, "tariff rate on other, %").v_model = 10.5
    offer = {"autos": 0.12, "other": 0.105}
    preview = _by_class(rc, "chipdeal-preview")
    model = AppModel(Controls(seat="japan"))
    package = play.package_of(model, 0.5, 0.6, offer)
    expected = play.preview_offer(model, package)
    chance = expected.believed_acceptance  # the US's price is private: the page gives what Japan believes
    assert chance is not None and 0.0 <= chance <= 1.0
    said = f"would accept with a chance of {chance:.0%}, by what Japan believes of US"
    assert f"Before you send it: US {said}" in preview and "; JBIC would fund · NEXI would fund." in preview
    assert "would refuse" not in preview and "It would be signed" not in preview  # the answer itself is not shown
    cost = expected.delay.per_month_usd_bn
    assert f"{'costs' if cost >= 0 else 'gains'} Japan ${abs(cost):.1f}bn (PV)" in preview
    _click(rc, "Send offer")
    assert f"Round 1 of 90: you (Japan) offered {views.terms_text(model, package)}" in _html(rc)
    model.seats["japan"].offer(package)
    model.step()
    assert model.offers[-1].package == package
    us_offer = play.agent_offer(model)
    assert f"US offers {views.terms_text(model, us_offer.package)}." in _by_class(rc, "chipdeal-preview")
    _click(rc, "Accept")
    assert _html(rc).startswith(f"Agreement in round 2: {views.terms_text(model, us_offer.package)}.")
    table = _by_class(rc, "chipdeal-end")
    assert "your deal" in table and "the agents&#x27; deal (same seed)" in table and "equilibrium (SPE)" in table
    assert "US share before recoup" in table and "autos rate" in table and "all-in rate" in table


def test_a_person_holding_out_as_japan_reaches_a_breakdown(quick_plots, page):
    rc = page
    _slider(rc, "window").v_model = 0.5  # a six-month deadline: 12 rounds
    _seat(rc, "you play Japan")  # picking a seat starts a new game with the settings
    assert _html(rc) == "Round 0 of 12: you (Japan) will open."
    for _ in range(12):
        buttons = [w.children[0] for w in rc.find(v.Btn).widgets]
        _click(rc, "Send offer" if "Send offer" in buttons else "Reject")
    assert _html(rc) == "No agreement: talks broke down after 12 rounds (the tariff stays)."
    assert "no deal" in _by_class(rc, "chipdeal-end")


def test_a_person_plays_the_us(quick_plots, page):
    rc = page
    _seat(rc, "you play US")
    preview = _by_class(rc, "chipdeal-preview")
    model = AppModel(Controls(seat="us"))
    assert preview.startswith(f"Japan offers {views.terms_text(model, play.agent_offer(model).package)}.")
    _click(rc, "Reject")
    labels = [w.label for w in rc.find(v.Slider).widgets]
    assert {"US share before recoup, %", "US share after recoup, %", "tariff rate on autos, %",
            "tariff rate on other, %"} <= set(labels)
    _click(rc, "Send offer")
    assert "Round 2 of 90: you (US) offered" in _html(rc)


# --- robustness (issue #16) ---------------------------------------------------------------------------------

@pytest.fixture
def broken_menu(tmp_path, monkeypatch):
    """A copy of runs/ with a scenario that has a typo, as the working folder."""
    from negotiation.app import runs_folder

    shutil.copytree(runs_folder(), tmp_path / "runs", ignore=shutil.ignore_patterns("out", "sweeps"))
    (tmp_path / "runs" / "scenarios" / "typo.toml").write_text(
        'base = "../baseline.toml"\nname = "typo"\n[deal]\nequty_fraction = 0.2\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path / "runs" / "scenarios" / "typo.toml"


def test_a_broken_scenario_in_the_menu_shows_the_clis_line_and_the_page_goes_on(quick_plots, broken_menu, page,
                                                                                  capsys):
    from negotiation.cli import main

    assert main(["run", "runs/scenarios/typo.toml"]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("chipdeal: error: ")
    rc = page
    _slider(rc, "threat").v_model = 30
    rc.find(v.Select, label="Scenario").widget.v_model = "typo"
    assert any(cli_line in e for e in _errors(rc)), (_errors(rc), cli_line)
    assert rc.find(v.Select, label="Scenario").widget.v_model == "baseline"  # settings kept
    assert "Threatened tariff on Japan's other goods without a deal: 30%" in _captions(rc)
    _click(rc, "Reset")
    _click(rc, "Step")
    assert "Round 1 of 90" in _html(rc)
    assert "Traceback" not in _all_text(rc) and str(broken_menu.parent.parent.parent) not in _all_text(rc)


def test_forged_widget_values_are_refused_in_one_line_and_reset_keeps_working(quick_plots, page, caplog):
    rc = page
    caplog.set_level(logging.WARNING, logger="chipdeal.page")
    _click(rc, "Step")
    _slider(rc, "equity").v_model = 5
    assert any("equity (deal.equity_fraction): 5% is outside 0.5–1.6%" in e for e in _errors(rc))
    _slider(rc, "threat date").v_model = "abc"
    _slider(rc, "window").v_model = "abc"
    assert any("window (deal.horizon_years): 'abc' is not a number" in e for e in _errors(rc))
    rc.find(v.Select, label="Scenario").widget.v_model = "../../etc/passwd"
    rc.find(v.Select, label="Who plays").widget.v_model = "you play Mars"
    rc.find(v.Select, label="Final offer before the deadline (last word)").widget.v_model = "jbic"
    _click(rc, "Reset")  # the settings are the kept ones: Reset builds the baseline again
    assert "Round 0 of 90" in _html(rc)
    _click(rc, "Step")
    assert "Round 1 of 90" in _html(rc)
    assert _slider(rc, "equity").v_model == pytest.approx(1.5)
    text = _all_text(rc)
    assert "Traceback" not in text and not re.search(r"/(work|root|home|tmp|usr)/", text)
    logged = [r.getMessage() for r in caplog.records]
    assert any("deal.equity_fraction" in m for m in logged) and any("'abc' is not a number" in m for m in logged)
    assert any("passwd" in m for m in logged) and any("Mars" in m for m in logged)


@pytest.mark.parametrize("forged, clamped", [(5.0, 1.6), (-3, 0.5), (1e308, 1.6), (None, 0.5), (0.05, 1.6)])
def test_a_refused_slider_value_stays_refused_when_the_browser_answers_with_its_bound(quick_plots, page, forged,
                                                                                     clamped):
    rc = page
    caption = "Equity fraction of the package (the part that earns profits): "
    slider = _slider(rc, "equity")
    slider.v_model = forged  # what a tampered client sends (None: NaN, which JSON cannot carry)
    slider.v_model = clamped  # what the browser's slider then sends back: the value clamped to its range
    assert f"{caption}1.5%" in _captions(rc) and _slider(rc, "equity").v_model == pytest.approx(1.5)
    assert any("Not applied: equity (deal.equity_fraction): " in e for e in _errors(rc)), _errors(rc)
    _click(rc, "Reset")
    _click(rc, "Step")
    assert _html(rc).startswith("Round 1 of 90: Japan offered US ")  # the baseline's equity, not the bound's
    _slider(rc, "equity").v_model = clamped  # chosen by a person afterwards, the bound is applied, and said
    assert f"{caption}{clamped:g}%" in _captions(rc) and not _errors(rc)


def test_six_forged_values_in_a_row_change_nothing_and_step_still_plays(quick_plots, page):
    rc = page
    for forged, clamped in [(-3, 0.5), (1e308, 1.6), (None, 0.5), (5.0, 1.6), (-3, 0.5), (5.0, 1.6)]:
        slider = _slider(rc, "equity")
        slider.v_model = forged
        slider.v_model = clamped
    _click(rc, "Reset")
    for k in (1, 2, 3):
        _click(rc, "Step")
        assert _html(rc).startswith(f"Round {k} of 90: ") and " offered US " in _html(rc), _html(rc)  # the baseline's


def test_a_round_without_an_offer_says_so_instead_of_round_0():
    # without a threat neither side sees a package worth signing: nobody offers (the talks surviving, drawn)
    model = AppModel(Controls(scenario="no_tariff_threat", values={"protocol.breakdown": "conditioned"}))
    model.step()
    assert views.outcome_text(model).startswith("Round 1 of 90: Japan made no offer (")
    model.step()
    assert views.outcome_text(model).startswith("Round 2 of 90: US made no offer (")


def _opening_text():
    """What the seated Japan's first offer says when its controls were never moved: its own ideal package."""
    model = AppModel(Controls(seat="japan"))
    return f"you (Japan) offered {views.terms_text(model, play.opening_package(model, 'japan'))}"


@pytest.mark.parametrize("label, forged, clamped, words", [
    ("US share after recoup, %", 500, 100.0, "US share after recoup: 500% is outside 0–100%"),
    ("US share before recoup, %", -3, 0.0, "US share before recoup: -3% is outside 0–100%"),
    ("tariff rate on autos, %", 99, 27.5, "tariff rate on autos: 99% is outside 10–27.5%"),
])
def test_a_refused_move_stays_refused_when_the_browser_answers_with_its_bound(quick_plots, page, label, forged,
                                                                             clamped, words):
    rc = page
    _seat(rc, "you play Japan")
    before = _by_class(rc, "chipdeal-preview")
    slider = _slider(rc, label)
    slider.v_model = forged
    slider.v_model = clamped
    assert words in " ".join(_errors(rc)) and _by_class(rc, "chipdeal-preview") == before
    _click(rc, "Send offer")
    assert _opening_text() in _html(rc)  # the opening, not the bound


def test_a_forged_move_is_refused_and_the_game_goes_on(quick_plots, page):
    rc = page
    _seat(rc, "you play Japan")
    _slider(rc, "US share after recoup, %").v_model = 500
    assert "US share after recoup: 500% is outside 0–100%" in " ".join(_errors(rc))
    _slider(rc, "tariff rate on other, %").v_model = "abc"
    assert "tariff rate on other: 'abc' is not a number" in " ".join(_errors(rc))
    _click(rc, "Send offer")
    assert _opening_text() in _html(rc)


def test_an_internal_error_is_logged_with_its_traceback_and_shown_without_one(page, monkeypatch, caplog):
    rc = page

    def broken(*args):
        raise RuntimeError("/srv/secret/path broke")

    monkeypatch.setattr("negotiation.model.Offer", broken)  # only step() makes offers (Mesa binds step() itself)
    _click(rc, "Step")
    shown = " ".join(_errors(rc))
    assert "Something went wrong on the server" in shown and "/srv/secret" not in _all_text(rc)
    assert any(r.exc_info and "secret" in str(r.exc_info[1]) for r in caplog.records)


def test_the_compare_tab_shows_both_scenarios_and_what_differs(quick_plots, page):
    rc = page
    rc.find(v.Tabs).widget.v_model = 1
    rc.find(v.Select, label="Scenario B").widget.v_model = "short_horizon"
    rc.find(v.TextField, label="Seeds").widget.v_model = "4"
    _click(rc, "Compare")
    table = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
             if "chipdeal-compare-table" in w.unsafe_innerHTML]
    assert table and "agreement rate" in table[0] and "100% (4/4)" in table[0] and "short_horizon" in table[0]
    diffs = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if "chipdeal-diff-table" in
             w.unsafe_innerHTML]
    short = load_scenario("runs/scenarios/short_horizon.toml")
    assert diffs and "deal.relief_life_years" in diffs[0] and f"{short.deal.relief_life_years:g}" in diffs[0]
    rc.find(v.TextField, label="Seeds").widget.v_model = "100000"
    assert any("seeds:" in e for e in _errors(rc))


@pytest.mark.parametrize("forged", ["abc", 0, "0", 1.5, True, None, "", "-3", 10**30])
def test_forged_seeds_in_the_compare_tab_are_refused_in_one_line_and_the_comparison_keeps_its_count(quick_plots,
                                                                                                page, forged):
    rc = page
    rc.find(v.Tabs).widget.v_model = 1
    rc.find(v.TextField, label="Seeds").widget.v_model = "3"
    rc.find(v.TextField, label="Seeds").widget.v_model = forged
    assert any(f"Not applied: seeds: {str(forged)!r} is not a whole number from 1 to 200" in e
               for e in _errors(rc)), _errors(rc)
    assert any(c.startswith("Both scenarios run on the same 3 seeds (0 to 2).") for c in _captions(rc))
    _click(rc, "Compare")
    table = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
             if "chipdeal-compare-table" in w.unsafe_innerHTML]
    assert table and "(3/3)" in table[0] and not _errors(rc)


@pytest.mark.parametrize("forged", ["abc", -1, 2**63, 0.5])
def test_a_forged_seed_is_refused_in_one_line_and_reset_uses_the_kept_one(quick_plots, page, forged):
    rc = page
    rc.find(v.TextField, label="Seed").widget.v_model = "7"
    rc.find(v.TextField, label="Seed").widget.v_model = forged
    assert any(f"Not applied: seed: {str(forged)!r} is not a whole number from 0 to 2**63 - 1" in e
               for e in _errors(rc)), _errors(rc)
    assert any(c.startswith("The seed (7 on Reset)") for c in _captions(rc))
    _click(rc, "Reset")
    _click(rc, "Step")
    model = AppModel(Controls(seed=7))
    model.step()
    assert _html(rc) == views.outcome_text(model)


def test_a_bad_seed_is_not_silently_ignored_on_reset_and_the_previous_seed_is_kept(quick_plots, page):
    rc = page
    rc.find(v.TextField, label="Seed").widget.v_model = "7"
    rc.find(v.TextField, label="Seed").widget.v_model = "abc"
    _click(rc, "Reset")
    errors = _errors(rc)
    assert len(errors) == 1 and "'abc'" in errors[0] and "7" in errors[0], errors
    _click(rc, "Step")
    model = AppModel(Controls(seed=7))
    model.step()
    assert _html(rc) == views.outcome_text(model)
    rc.find(v.TextField, label="Seed").widget.v_model = "8"  # a good seed again: Reset says nothing
    _click(rc, "Reset")
    assert not _errors(rc)


def test_a_state_of_the_plots_is_drawn_once_whoever_opens_it_and_the_cache_is_bounded(monkeypatch):
    from matplotlib.figure import Figure

    drawn = []

    def counting(model, figure=Figure):
        drawn.append(model.steps)
        return figure(figsize=(0.5, 0.5))

    monkeypatch.setattr(views, "offers_figure", counting)
    monkeypatch.setattr(app_module, "_PLOTS", OrderedDict())
    first, second = AppModel(Controls()), AppModel(Controls())  # two visitors, each with a model of their own
    assert app_module.plot_image(first, "offers") is app_module.plot_image(second, "offers") and drawn == [0]
    first.step()
    app_module.plot_image(first, "offers")
    assert drawn == [0, 1]  # a new state is drawn anew
    other = AppModel(Controls(values={"deal.threat_rate": 0.3}))
    app_module.plot_image(other, "offers")
    assert drawn == [0, 1, 0]  # another scenario's round 0 is not the baseline's
    for _ in range(app_module.PLOT_CACHE_SIZE + 5):
        other.step() if other.running else None
        app_module.plot_image(other, "offers")
    assert len(app_module._PLOTS) <= app_module.PLOT_CACHE_SIZE


def test_a_closed_pages_session_is_freed_within_minutes_not_kept_a_day(monkeypatch):
    import solara.server.settings as settings
    import solara.util

    from negotiation import serve

    for section, name in ((settings.kernel, "cull_timeout"), (settings.main, "mode"), (settings.theme, "title"),
                          (settings.theme, "show_banner"), (settings.telemetry, "mixpanel_enable")):
        monkeypatch.setattr(section, name, getattr(section, name))  # configure() sets them: put back afterwards
    page_log = logging.getLogger("chipdeal")
    monkeypatch.setattr(page_log, "handlers", list(page_log.handlers))
    monkeypatch.setattr(page_log, "level", page_log.level)
    for name in ("SOLARA_APP", "SERVER_NAME", "SERVER_PORT"):
        monkeypatch.setenv(name, "x")  # configure() sets them: monkeypatch restores them
    serve.configure("127.0.0.1", 1)
    assert 10 <= solara.util.parse_timedelta(settings.kernel.cull_timeout) <= 300  # Solara's default: 24 hours


def test_app_refuses_a_busy_port_with_one_line():
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = subprocess.run([sys.executable, "-m", "negotiation.cli", "app", "--port", str(port)], capture_output=True,
                           text=True, timeout=120)
    assert p.returncode == 2 and "cannot listen" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_shares_and_rates_show_in_percent_and_reach_the_model_as_fractions(quick_plots, page):
    """Issue 23: sliders showed fractions where people read percent; the keys keep the fractions."""
    percent = {s.key for s, _ in Controls().sliders() if s.percent}
    assert percent == {"deal.threat_rate", "deal.equity_fraction", "agents.us.discount_rate_per_year",
                       "agents.japan.discount_rate_per_year", "agents.jbic.required_margin_per_year"}
    rc = page
    threat, equity = _slider(rc, "threat"), _slider(rc, "equity")
    assert (threat.min, threat.max, threat.step, threat.v_model) == (15, 35, 1, 25)
    assert (equity.min, equity.max, equity.step, equity.v_model) == (0.5, 1.6, 0.1, 1.5)
    assert "Equity fraction of the package (the part that earns profits): 1.5%" in _captions(rc)
    us_rate = _slider(rc, "US rate")
    assert us_rate.v_model == pytest.approx(4.3) and "US: impatience, discount rate a year: 4.3%" in _captions(rc)
    for shown in (1.4, 1.5, 1.6):  # steps of 0.1 points come back as exact fractions
        s = next(s for s, _ in Controls().sliders() if s.key == "deal.equity_fraction")
        assert s.value(shown) == float(f"{shown / 100:.4f}") and s.shown(s.value(shown)) == shown


def test_an_accepted_slider_value_does_not_redraw_the_controls(quick_plots, page):
    rc = page
    slider = _slider(rc, "equity")
    slider.v_model = 1.2
    assert _slider(rc, "equity") is slider  # the same widget: a slider being dragged is not replaced under the hand
    assert "Equity fraction of the package (the part that earns profits): 1.2%" in _captions(rc)


def test_when_nothing_can_be_signed_the_page_says_why_before_the_first_round():
    """JBIC without the state's backing funds no split: the page names it and its limit instead of 'will open'."""
    model = AppModel(Controls(values={"agents.jbic.state_backing_usd_bn": 0.0}))
    text = views.outcome_text(model)
    assert model.steps == 0 and "and JBIC funds no split of the profits (its expected NPV is at best" in text
    assert "will open" not in text
    baseline = AppModel(Controls())
    assert baseline.nothing_signable() is None and "will open" in views.outcome_text(baseline)


def test_the_page_module_loads_without_matplotlib():
    """The page's plots are SVG: matplotlib is imported only when a PNG is downloaded (it was 0.3 s of each start)."""
    import subprocess
    import sys

    code = "import sys, negotiation.app; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
