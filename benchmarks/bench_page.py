"""How fast the page is usable, and how fast a Step redraws it, in headless Chromium.

Prints the time from `chipdeal app` starting to a usable page (the Step button enabled: server up, websocket
connected, model built) for a few fresh servers, and the time from a Step click to both plots redrawn, as
medians. Usage: uv run python benchmarks/bench_page.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from page.browser import served_app, start_browser  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

STARTS = 3
STEPS = 8


def main() -> None:
    usable, http, redraw = [], [], []
    with tempfile.TemporaryDirectory() as tmp, start_browser() as browser:
        for k in range(STARTS):
            t0 = time.perf_counter()
            with served_app(Path(tmp) / f"server{k}.log") as (url, _, _):
                http.append(time.perf_counter() - t0)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                step = page.get_by_role("button", name="Step")
                expect(step).to_be_enabled(timeout=120_000)
                usable.append(time.perf_counter() - t0)
                plots = page.locator(".chipdeal-plot img")
                expect(plots).to_have_count(2, timeout=60_000)
                for _ in range(STEPS if k == 0 else 0):
                    before = [plots.nth(i).get_attribute("src") for i in range(2)]
                    t1 = time.perf_counter()
                    step.click()
                    for i in range(2):
                        expect(plots.nth(i)).not_to_have_attribute("src", before[i], timeout=30_000)
                    redraw.append(time.perf_counter() - t1)
                    if not step.is_enabled():
                        break
                page.close()
    print(f"server start → usable page (Step enabled): median {statistics.median(usable):.1f} s "
          f"(min {min(usable):.1f}, max {max(usable):.1f}, {len(usable)} starts); of which to the first HTTP 200: "
          f"{statistics.median(http):.1f} s")
    print(f"Step click → both plots redrawn: median {statistics.median(redraw) * 1e3:.0f} ms "
          f"(max {max(redraw) * 1e3:.0f} ms, {len(redraw)} steps)")


if __name__ == "__main__":
    main()
