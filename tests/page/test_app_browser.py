"""The real page in a real browser: `chipdeal app` served on loopback, driven by Playwright in Debian's Chromium.

One server for the module, run in a folder whose ``runs/`` holds the shipped scenarios and one with a typo.
Every test records the browser's requests (only 127.0.0.1 may be asked), its page errors and failed
responses, and the server's log (no traceback). Skipped on a machine without Chromium or Playwright, except
under CI (CI=true), where that is a failure. Screenshots go to $CHIPDEAL_ARTIFACTS (default runs/out/artifacts/).
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from page.browser import CHROMIUM, served_app, start_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CHIPDEAL_ARTIFACTS", ROOT / "runs" / "out" / "artifacts"))
VIEWPORT = {"width": 1280, "height": 720}


def _unavailable() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return ""


REASON = _unavailable()
if REASON:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {REASON}", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

expect.set_options(timeout=20_000)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "runs", folder / "runs", ignore=shutil.ignore_patterns("out", "sweeps"))
    (folder / "runs" / "scenarios" / "typo.toml").write_text(
        'base = "../baseline.toml"\nname = "typo"\n[deal]\nequty_fraction = 0.2\n')
    (folder / "runs" / "scenarios" / "sprint.toml").write_text(  # two months of talks: 4 rounds
        'base = "../baseline.toml"\nname = "sprint"\n[deal]\nhorizon_years = 0.17\n')
    with served_app(folder / "server.log", cwd=folder) as (url, proc, log_path):
        yield url, proc, log_path, folder


@pytest.fixture(scope="module")
def browser():
    with start_browser() as b:
        yield b


@pytest.fixture
def page(browser, server, request):
    url, _, log_path, _ = server
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    bad: list[str] = []
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or r.url.split(":", 1)[0]))
    page.on("response", lambda r: r.status >= 400 and bad.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: bad.append(f"failed {r.url} {r.failure}"))
    page.on("pageerror", lambda e: bad.append(f"pageerror: {e}"))
    log_start = log_path.stat().st_size
    page.goto(url)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=60_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert not bad, bad
    assert hosts <= {"127.0.0.1", "blob", "data"}, hosts  # nothing leaves the machine
    log = log_path.read_text(errors="replace")[log_start:]
    errors = [line for line in log.splitlines() if re.search(r"Traceback|ERROR|Error:|Could not load URL", line)]
    assert not errors, errors


def outcome(page):
    return page.locator(".chipdeal-outcome")


def pick(page, label, option):
    page.locator(".v-select").filter(has_text=label).first.click()
    # the open menu only: a menu closed a moment ago may still be fading out, visible, beside it
    active = ".v-menu__content.menuable__content__active"
    item = page.locator(f"{active} .v-list-item").filter(has_text=re.compile(f"^{re.escape(option)}$"))
    menu = page.locator(active)
    for _ in range(5):  # Vuetify's select renders its first 20 items, and 20 more each time its menu scrolls down
        if item.count():
            break
        menu.evaluate("e => { e.scrollTop = e.scrollHeight; e.dispatchEvent(new Event('scroll')); }")
        page.wait_for_timeout(200)
    item.click()


def page_text(page):
    return page.locator("body").inner_text()


def test_controls_in_view_at_1280x720_nothing_covers_the_table_and_step_redraws(page, server):
    for name in ("Reset", "▶", "Step"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], (name, box)
    text = page_text(page)
    for internal in ("PAGE 0", "Page 0", "Use Threads", "Play Interval", "Render Interval", "runs on Solara"):
        assert internal not in text, internal
    table = page.locator(".chipdeal-actor-table")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    for fx, fy in ((0.5, 0.5), (0.95, 0.95), (0.05, 0.95)):  # the table's own cells are on top, corners too
        inside = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('.chipdeal-actor-table')",
                               [box["x"] + fx * box["width"], box["y"] + fy * box["height"]])
        assert inside, (fx, fy)
    plots = page.locator(".chipdeal-plot img")
    expect(plots).to_have_count(2)
    src = [plots.nth(i).get_attribute("src") for i in range(2)]
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Round 1 of 90")
    for i in range(2):
        expect(plots.nth(i)).not_to_have_attribute("src", src[i])
    expect(page.locator(".chipdeal-actors")).to_contain_text("would fund")


def test_play_runs_to_an_agreement_and_the_rounds_download(page):
    page.get_by_role("button", name="▶").click()
    expect(outcome(page)).to_contain_text("Agreement in round", timeout=60_000)
    expect(outcome(page)).to_contain_text("from this deal: ")  # the equilibrium's distance on every term
    expect(outcome(page)).to_contain_text("on the all-in rate.")
    expect(page.get_by_role("button", name="Step")).to_be_disabled()  # the model stopped itself
    expect(page.locator(".chipdeal-end")).to_contain_text("equilibrium (SPE)")
    with page.expect_download() as download:
        page.get_by_role("button", name="Rounds (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    head = lines[0].split(",")
    assert head[:7] == ["round", "proposer", "responder", "us_share_before_recoup", "us_profit_share",
                        "tariff_rate_autos", "tariff_rate_other"] and len(lines) > 2
    assert lines[-1].split(",")[head.index("accepted")] == "True"  # the last round's offer was accepted


def test_a_person_plays_japan_to_an_agreement(page):
    pick(page, "Who plays", "you play Japan")
    expect(outcome(page)).to_have_text("Round 0 of 90: you (Japan) will open.")
    expect(page.get_by_role("button", name="Step")).to_be_disabled()
    expect(page.locator(".chipdeal-preview")).to_contain_text("Before you send it: US would")
    delay = re.compile("Each month of delay on these terms (costs|gains) Japan")
    expect(page.locator(".chipdeal-preview")).to_contain_text(delay)
    autos = page.get_by_role("slider", name="tariff rate on autos, %", exact=True)
    autos.focus()
    autos.press("ArrowRight")  # one step (0.1 point) up from Japan's own ideal, the floor
    expect(page.locator(".chipdeal-caption", has_text="tariff rate on autos, %: 10.1")).to_have_count(1)
    expect(page.get_by_role("slider", name="US share before recoup, %", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Send offer").click()
    expect(outcome(page)).to_contain_text(re.compile(r"Round 1 of 90: you \(Japan\) offered US \d+% of equity profits "
                                                     r"before recoup, \d+% after; tariffs autos 10\.1%"))
    expect(page.locator(".chipdeal-preview")).to_contain_text("US offers US")
    page.get_by_role("button", name="Accept").click()
    expect(outcome(page)).to_contain_text("Agreement in round 2")
    end = page.locator(".chipdeal-end")
    for row in ("your deal", "the agents' deal (same seed)", "equilibrium (SPE)"):
        expect(end).to_contain_text(row)


def test_a_person_holding_out_as_japan_reaches_a_breakdown(page):
    pick(page, "Scenario", "sprint")  # two months of talks, 4 rounds
    pick(page, "Who plays", "you play Japan")  # a new game, with the settings
    expect(outcome(page)).to_have_text("Round 0 of 4: you (Japan) will open.")
    for k in range(1, 5):
        page.get_by_role("button", name="Send offer" if k % 2 == 1 else "Reject").click()
        expect(outcome(page)).to_contain_text(f"Round {k} of 4" if k < 4 else "No agreement")
    expect(outcome(page)).to_have_text("No agreement: talks broke down after 4 rounds (the tariff stays).")
    expect(page.locator(".chipdeal-end")).to_contain_text("no deal")


def test_a_broken_scenario_in_the_menu_shows_its_error_and_the_page_still_works(page, server):
    folder = server[3]
    threat = page.get_by_role("slider", name="threat", exact=True)
    threat.focus()
    threat.press("ArrowRight")
    expect(threat).to_have_attribute("aria-valuenow", "26")
    pick(page, "Scenario", "typo")
    error = page.locator(".chipdeal-error")
    expect(error).to_contain_text("runs/scenarios/typo.toml: deal.equty_fraction: unknown key "
                                  "(did you mean deal.equity_fraction?)")
    assert str(folder) not in page_text(page) and "Traceback" not in page_text(page)
    expect(page.locator(".v-select").filter(has_text="Scenario").first).to_contain_text("baseline")  # kept
    expect(threat).to_have_attribute("aria-valuenow", "26")
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Round 1 of 90")


FORGE = """([label, value]) => {
  // what a tampered client sends: the widget's value, set through ipyvue's v-model callback (no slider clamps it)
  const el = [...document.querySelectorAll('.v-input__slider')].find(e => e.innerText.trim().startsWith(label));
  let vm = el.__vue__;
  while (vm && !('v_model' in vm)) vm = vm.$parent;
  vm.$children[0].$vnode.data.model.callback(value);
}"""


def test_forged_values_then_reset_show_no_traceback_or_path_and_the_server_logs_them(page, server):
    _, _, log_path, folder = server
    page.evaluate(FORGE, ["equity", 5])
    expect(page.locator(".chipdeal-error")).to_contain_text("deal.equity_fraction")
    page.evaluate(FORGE, ["threat date", "abc"])
    expect(page.locator(".chipdeal-error")).to_contain_text("'abc' is not a number")
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Round 1 of 90")
    text = page_text(page)
    for leak in ("Traceback", str(folder), str(ROOT), "site-packages", "/usr/", "File \""):
        assert leak not in text, leak
    log = log_path.read_text()
    assert "refused: equity (deal.equity_fraction): 5% is outside" in log
    assert "refused: threat date (deal.talks_deadline_years): 'abc' is not a number" in log


def test_a_refused_slider_value_is_not_applied_when_the_browser_clamps_it(page):
    equity = page.get_by_role("slider", name="equity", exact=True)
    caption = page.locator(".chipdeal-caption").filter(has_text="Equity fraction of the package")
    error = page.locator(".chipdeal-error")
    for value in (5.0, -3, 1e308, float("nan"), 0.05, 7):  # refused, then clamped to a bound by the browser
        page.evaluate(FORGE, ["equity", value])
        expect(error).to_contain_text("Not applied: equity (deal.equity_fraction): ")
        page.wait_for_timeout(300)  # the browser's clamped answer has arrived by now
        expect(caption).to_have_text("Equity fraction of the package (the part that earns profits): 1.5%")
        expect(equity).to_have_attribute("aria-valuenow", "1.5")
    page.get_by_role("button", name="Reset").click()
    for k in (1, 2):  # the baseline's equity: offers are made (at 0.2 nobody funds anything, nobody offers)
        page.get_by_role("button", name="Step").click()
        expect(outcome(page)).to_contain_text(re.compile(f"Round {k} of 90: (Japan|US) offered US"))
    equity.focus()
    equity.press("ArrowRight")  # a person's move is applied, and the refusal no longer shows
    expect(caption).to_have_text("Equity fraction of the package (the part that earns profits): 1.6%")
    expect(error).to_have_count(0)


FORGE_FIELD = """([label, value]) => {
  // a tampered client: a text field's value set through ipyvue's v-model callback
  const el = [...document.querySelectorAll('.v-text-field')].find(e => e.querySelector('label')?.innerText.trim()
                                                                      === label);
  let vm = el.__vue__;
  while (vm && !('v_model' in vm)) vm = vm.$parent;
  vm.$children[0].$vnode.data.model.callback(value);
}"""


def test_forged_seeds_in_the_compare_tab_are_refused_with_a_message(page):
    page.get_by_role("tab", name="Compare scenarios").click()
    expect(page.get_by_role("button", name="Compare")).to_be_visible()  # the tab is drawn when first opened
    error = page.locator(".chipdeal-compare .chipdeal-error")
    for value in ("abc", 0):
        page.evaluate(FORGE_FIELD, ["Seeds", value])
        expect(error).to_contain_text(f"Not applied: seeds: '{value}' is not a whole number from 1 to 200")
    expect(page.locator(".chipdeal-compare")).to_contain_text("Both scenarios run on the same 20 seeds (0 to 19).")


def test_the_unit_surplus_scenario_in_shares_of_a_unit(page):
    pick(page, "Scenario", "rubinstein")
    expect(page.get_by_role("slider", name="US δ")).to_have_count(1)
    expect(page.get_by_role("slider", name="threat", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Agreement in round 1: US 52.6% of the unit surplus")
    expect(page.locator(".chipdeal-actor-table")).to_contain_text("share of the surplus")


def test_the_page_listens_on_loopback_only_and_says_when_it_is_ready(server):
    import psutil

    url, proc, log_path, _ = server
    listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip in ("127.0.0.1", "::1") for addr in listening), listening
    first = log_path.read_text().splitlines()[0]
    assert first == f"chipdeal app: ready at {url} (Ctrl-C stops it)"
    assert "samesite" not in log_path.read_text().lower()
