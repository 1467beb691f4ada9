"""How fast the page is usable, and how fast a Step redraws it, in headless Chromium.

Prints, for a few fresh `chipdeal app` servers: the time from starting it to its first HTTP 200 (the server
ready), and from then to a usable page (the Step button enabled: websocket connected, model built). Then, on
the first server, the time from a Step click to both plots redrawn, measured in the page itself: from the
click event to the moment the second plot's ``src`` changed (a MutationObserver; ``performance.now()``).
Playwright's ``expect`` polls at 100, 250, 500 and 1000 ms, so timing a redraw by waiting on it with
``expect`` rounds a 0.34 s redraw up to about 0.85 s; the wall time printed beside it waits with
``wait_for_function`` at every animation frame instead. Medians and minima.

Usage: uv run python benchmarks/bench_page.py [--starts N] [--steps N]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from page.browser import served_app, start_browser  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

WATCH = """() => {
  if (window.__observer) window.__observer.disconnect();
  const imgs = [...document.querySelectorAll('.chipdeal-plot img')];
  const before = imgs.map(i => i.getAttribute('src'));
  window.__redraw = {click: null, done: null};
  const check = () => {
    const now = [...document.querySelectorAll('.chipdeal-plot img')].map(i => i.getAttribute('src'));
    if (now.length === 2 && now.every((s, k) => s !== before[k]) && window.__redraw.done === null) {
      window.__redraw.done = performance.now();
    }
  };
  const observer = window.__observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.addEventListener('click', () => { if (window.__redraw.click === null) {
    window.__redraw.click = performance.now(); } }, {capture: true, once: true});
}"""


def ms(values: list[float]) -> str:
    """Median and minimum in milliseconds."""
    return f"median {statistics.median(values) * 1e3:.0f} ms, min {min(values) * 1e3:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    ready, usable, in_page, wall = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp, start_browser() as browser:
        for k in range(args.starts):
            t0 = time.perf_counter()
            with served_app(Path(tmp) / f"server{k}.log") as (url, _, _):
                t_ready = time.perf_counter()
                ready.append(t_ready - t0)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                step = page.get_by_role("button", name="Step")
                expect(step).to_be_enabled(timeout=120_000)
                usable.append(time.perf_counter() - t_ready)
                plots = page.locator(".chipdeal-plot img")
                expect(plots).to_have_count(2, timeout=60_000)
                for _ in range(args.steps if k == 0 else 0):
                    page.evaluate(WATCH)
                    t1 = time.perf_counter()
                    step.click()
                    page.wait_for_function("() => window.__redraw.done !== null", polling="raf", timeout=30_000)
                    wall.append(time.perf_counter() - t1)
                    marks = page.evaluate("() => window.__redraw")
                    in_page.append((marks["done"] - marks["click"]) / 1e3)
                    if not step.is_enabled():
                        break
                page.close()
    print(f"server start → ready (first HTTP 200): {ms(ready)} ({len(ready)} starts)")
    print(f"server ready → usable page (Step enabled): {ms(usable)}; start → usable: "
          f"median {statistics.median(r + u for r, u in zip(ready, usable, strict=True)):.1f} s")
    print(f"Step click → both plots redrawn, in the page: {ms(in_page)} (max {max(in_page) * 1e3:.0f} ms, "
          f"{len(in_page)} steps); wall time in Playwright: {ms(wall)}")


if __name__ == "__main__":
    main()
