"""Make the README's screenshot of the page: the baseline played to its agreement (docs/app.png).

Usage: uv run python scripts/screenshot.py [OUT.png]
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from page.browser import served_app, start_browser  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "app.png"
with tempfile.TemporaryDirectory() as tmp, start_browser() as browser, served_app(Path(tmp) / "log") as (url, _, _):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=120_000)
    page.get_by_role("button", name="▶").click()
    expect(page.locator(".chipdeal-outcome")).to_contain_text("Agreement in round", timeout=60_000)
    page.wait_for_timeout(1000)  # let the last redraw land
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    print(f"wrote {out}")
