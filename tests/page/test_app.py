"""The page's logic without a browser: each view's data, the controls, and the page rendered in-process."""

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

from negotiation import views
from negotiation.app import SLIDERS, AppModel, Controls, Page, for_scenario, scenario_files
from negotiation.issues import Package
from negotiation.scenario import ScenarioError


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
    assert views.outcome_text(model).startswith(f"Round 1 of {model.max_rounds}: Japan offered US 50%, a 10.0% tariff")
    while model.running:
        model.step()
    text = views.outcome_text(model)
    share = model.agreement.us_profit_share
    assert text.startswith(f"Agreement in round {model.steps}: US {share:.0%}")
    gap = abs(share - model.solve().spe.us_profit_share)
    assert f"; {gap:.2f} from the equilibrium" in text


def test_outcome_text_says_breakdown():
    # NEXI's capacity below its exposure: the lenders fund nothing, so talks must break down
    model = finished(Controls(values={"agents.nexi.capacity_usd_bn": 100.0}))
    assert model.outcome == "breakdown"
    expected = f"No agreement: talks broke down after {model.max_rounds} rounds (the tariff stays)."
    assert views.outcome_text(model) == expected


def test_offers_alternate_and_end_with_the_accepted_one(done):
    pts = views.offers(done)
    assert [p.round for p in pts] == list(range(1, len(pts) + 1))
    assert all(a.proposer != b.proposer for a, b in zip(pts, pts[1:], strict=False))
    assert pts[-1].accepted and not any(p.accepted for p in pts[:-1])
    assert pts[-1].us_profit_share == done.agreement.us_profit_share


def test_actor_panel_at_the_agreement(done):
    rows = {r["key"]: r for r in views.actor_rows(done)}
    assert set(rows) == {"us", "japan", "jbic", "nexi", "tsmc"}
    assert rows["jbic"]["status"] == "would fund" and rows["nexi"]["status"] == "would fund"
    for key in ("us", "japan"):
        assert rows[key]["utility_usd_bn"] >= rows[key]["reservation_usd_bn"]  # individually rational
    assert all(r["colour"] == views.colours(done)[k] for k, r in rows.items())
    table = views.actor_table_html(done)
    assert table.count("<tr") == 6 and "would fund" in table


def test_lenders_without_state_backing_refuse_and_the_panel_says_so():
    model = finished(Controls(values={"agents.jbic.state_backing_usd_bn": 0.0}))
    assert model.outcome == "breakdown"
    package = Package(0.5, 1.0)  # Japan's own opening: even that is refused
    assert model.lenders[0].stance(package) == "would NOT fund" and model.insurers[0].stance(package) == "would fund"
    assert {r["key"]: r["status"] for r in views.actor_rows(model)}["jbic"] == "—"  # no offer was ever made


def test_tsmc_builds_more_the_more_relief(done):
    builds = [float(done.investors[0].build_usd_bn(x)) for x in (0.0, 0.5, 1.0)]
    assert builds[0] == done.spec.agents["tsmc"].committed_usd_bn and builds[0] < builds[1] < builds[2]


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


def _labels(fig):
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]


def test_figures_have_units_and_legends_and_grow_with_the_path():
    model = AppModel(Controls())
    model.step()
    fig1 = views.offers_figure(model)
    n1 = sum(len(line.get_xdata()) for ax in fig1.axes for line in ax.get_lines())
    model.step()
    fig2 = views.offers_figure(model)
    n2 = sum(len(line.get_xdata()) for ax in fig2.axes for line in ax.get_lines())
    assert n2 > n1
    labels = _labels(fig2)
    assert "US share of profits" in labels[0][1] and "tariff rate (%)" in labels[1][1] and "round" in labels[1][0]
    assert fig2.axes[0].get_legend() is not None
    ufig = views.utility_figure(model)
    assert "$bn" in ufig.axes[0].get_xlabel() and "$bn" in ufig.axes[0].get_ylabel()
    legend = [t.get_text() for t in ufig.axes[0].get_legend().get_texts()]
    assert {"no deal", "Nash bargaining point", "equilibrium (SPE)"} <= set(legend)


# --- controls -------------------------------------------------------------------------------------------------

def test_scenario_list_is_scenarios_not_sweeps():
    files = scenario_files()
    assert "baseline" in files and "rubinstein" in files
    assert not any("sweeps" in str(p) or "out" in p.parts for p in files.values())
    assert "patterns" not in files  # runs/patterns.toml is not a scenario


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


def test_controls_build_the_spec_and_reject_bad_values():
    c = Controls(values={"deal.equity_fraction": 0.2})
    assert c.spec().deal.equity_fraction == 0.2
    assert Controls(scenario="rubinstein", values={"deal.equity_fraction": 0.2}).spec().deal.kind == "unit_surplus"
    with pytest.raises(ScenarioError):
        Controls(values={"deal.equity_fraction": 2.0}).spec()


def test_a_larger_threat_raises_the_tariff_the_page_reaches():
    low = finished(Controls(values={"deal.threat_rate": 0.2}))
    high = finished(Controls(values={"deal.threat_rate": 0.35}))
    assert high.tariff_rate(high.agreement) > low.tariff_rate(low.agreement)


# --- the page, rendered in-process ----------------------------------------------------------------------------

@solara.component
def Wrapped():
    with solara.AppLayout():  # SolaraViz's sidebar renders only inside an AppLayout
        Page()


@pytest.fixture
def page():
    box, rc = solara.render(Wrapped(), handle_error=False)
    yield rc
    rc.close()


def test_page_step_advances_the_round_and_redraws(page):
    rc = page
    assert "Round 0 of 90" in _html(rc)
    images = rc.find(widgets.Image)
    assert len(images.widgets) == 2
    before = [w.value for w in images.widgets]
    text0 = _html(rc)
    rc.find(v.Btn, children=["Step"]).widget.click()
    after = [w.value for w in rc.find(widgets.Image).widgets]
    assert all(a != b for a, b in zip(after, before, strict=True))
    assert _html(rc) != text0 and "Round 1 of 90" in _html(rc)


def _html(rc):
    """The outcome card's text."""
    cards = [w for w in rc.find(solara.widgets.HTML).widgets if "chipdeal-outcome" in w.attributes.get("class", "")]
    assert len(cards) == 1
    return cards[0].unsafe_innerHTML


def _slider(rc, name):
    found = rc.find(v.Slider, label=name)
    found.assert_single()
    return found.widget


def _captions(rc):
    return [w.children[0] for w in rc.find(v.Html, class_="chipdeal-caption").widgets]


def test_page_slider_and_reset_change_the_outcome(page):
    rc = page
    assert "Threatened tariff on Japan's other goods: 0.25" in _captions(rc)
    _slider(rc, "threat").v_model = 0.35
    assert "Threatened tariff on Japan's other goods: 0.35" in _captions(rc)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    for _ in range(90):
        if "Agreement" in _html(rc) or "No agreement" in _html(rc):
            break
        rc.find(v.Btn, children=["Step"]).widget.click()
    reference = finished(Controls(values={"deal.threat_rate": 0.35}))
    assert f"a {reference.tariff_rate(reference.agreement):.1%} tariff" in _html(rc)
    base = finished()
    assert f"a {base.tariff_rate(base.agreement):.1%} tariff" not in _html(rc)


def test_page_scenario_picker_and_reset(page):
    rc = page
    rc.find(v.Select, label="Scenario").widget.v_model = "rubinstein"
    labels = [w.label for w in rc.find(v.Slider).widgets]
    assert "US δ" in labels and "threat" not in labels
    assert any(c.startswith("US: discount factor per offer: ") for c in _captions(rc))
    rc.find(v.Btn, children=["Reset"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert "Agreement in round 1" in _html(rc)  # Rubinstein: the first offer is accepted


def test_the_last_word_drop_down_sets_who_makes_the_final_offer(page):
    rc = page
    choice = rc.find(v.Select, label="Final offer before the deadline (last word)")
    choice.assert_single()
    assert choice.widget.v_model == "us"
    choice.widget.v_model = "japan"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    for _ in range(90):
        if "Agreement" in _html(rc) or "No agreement" in _html(rc):
            break
        rc.find(v.Btn, children=["Step"]).widget.click()
    reference = finished(Controls(values={"protocol.last_proposer": "japan"}))
    assert reference.proposer_in(reference.max_rounds) == "japan"
    assert f"a {reference.tariff_rate(reference.agreement):.1%} tariff" in _html(rc)


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
