"""The real page in a real browser: `chipdeal app` served on loopback, driven by Playwright in Debian's Chromium.

Skipped on a machine without Chromium or Playwright, except under CI (CI=true), where that is a failure.
Screenshots go to $CHIPDEAL_ARTIFACTS (default runs/out/artifacts/).
"""

import os
import re
from pathlib import Path

import pytest
from page.browser import CHROMIUM, served_app, start_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CHIPDEAL_ARTIFACTS", ROOT / "runs" / "out" / "artifacts"))


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
    with served_app(tmp_path_factory.mktemp("app") / "server.log") as (url, proc, log_path):
        yield url, proc, log_path


@pytest.fixture(scope="module")
def browser():
    with start_browser() as b:
        yield b


@pytest.fixture
def page(browser, server, request):
    url, _, log_path = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    bad: list[str] = []
    page.on("response", lambda r: r.status >= 400 and bad.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: bad.append(f"failed {r.url} {r.failure}"))
    page.on("pageerror", lambda e: bad.append(f"pageerror: {e}"))
    log_start = log_path.stat().st_size
    page.goto(url)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=60_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not bad, bad
    log = log_path.read_text(errors="replace")[log_start:]
    errors = [line for line in log.splitlines() if re.search(r"Traceback|ERROR|Error:|Could not load URL", line)]
    assert not errors, errors


def outcome(page):
    return page.locator(".chipdeal-outcome")


def test_page_loads_and_step_advances_and_redraws(page):
    expect(outcome(page)).to_contain_text("Round 0 of 90")
    plots = page.locator(".vue-grid-item img")
    expect(plots).to_have_count(2)
    src = [plots.nth(i).get_attribute("src") for i in range(2)]
    expect(page.locator(".chipdeal-actors")).to_contain_text("TSMC")
    expect(page.locator(".v-select").filter(has_text="Final offer before the deadline")).to_contain_text("us")
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Round 1 of 90")
    for i in range(2):
        expect(plots.nth(i)).not_to_have_attribute("src", src[i])
    expect(page.locator(".chipdeal-actors")).to_contain_text("would fund")


def test_play_runs_to_an_agreement(page):
    page.get_by_role("button", name="▶").click()
    expect(outcome(page)).to_contain_text("Agreement in round", timeout=60_000)
    expect(page.get_by_role("button", name="Step")).to_be_disabled()  # the model stopped itself


def test_slider_and_reset_change_the_outcome(page):
    page.get_by_role("button", name="▶").click()
    expect(outcome(page)).to_contain_text("Agreement in round", timeout=60_000)
    first = outcome(page).inner_text()
    slider = page.get_by_role("slider", name="threat", exact=True)
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")  # 25% → 35%: a bigger threat, a higher tariff
    expect(slider).to_have_attribute("aria-valuenow", "0.35")
    expect(page.get_by_text("Threatened tariff on Japan's other goods: 0.35")).to_be_visible()
    page.get_by_role("button", name="Reset").click()
    expect(outcome(page)).to_contain_text("Round 0 of 90")
    page.get_by_role("button", name="▶").click()
    expect(outcome(page)).to_contain_text("Agreement in round", timeout=60_000)
    assert outcome(page).inner_text() != first


def test_scenario_picker_and_reset(page):
    page.locator(".v-select").filter(has_text="Scenario").click()
    page.locator(".v-menu__content .v-list-item").filter(has_text=re.compile(r"^rubinstein$")).click()
    expect(page.get_by_role("slider", name="US δ")).to_have_count(1)
    expect(page.get_by_role("slider", name="threat", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("button", name="Step").click()
    expect(outcome(page)).to_contain_text("Agreement in round 1")


def test_the_page_listens_on_loopback_only(server):
    import psutil

    _, proc, _ = server
    listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip in ("127.0.0.1", "::1") for addr in listening), listening
