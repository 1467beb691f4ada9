"""Twenty people open the page at once: how long until each can use it, and what it costs the server.

Starts `chipdeal app` on loopback, warms it with one session, then opens SESSIONS pages at the same moment in
one headless Chromium (separate browser contexts: separate cookies, so separate Solara sessions) and times
each from `goto` to a usable page (the Step button enabled: websocket up, model built, controls drawn). It
does this ROUNDS times, closing every page between rounds, and samples the server's RSS (psutil) before the
first round and after each, once the closed sessions have been let go (the server keeps a closed page's
session for serve.SESSION_KEPT in case it reconnects), and the CPU time the server and Chromium spent.
Everything is bounded: a session that is not usable within TIMEOUT_S counts as a failure (exit 1), and the
whole run stops after BUDGET_S.

The browser runs on the same cores as the server, so with separate contexts most of the CPU is Chromium's
own (a one-button Solara page costs it about as much); --tabs opens the sessions as tabs of one context,
whose cache they share, which leaves more of the machine to the server.

Usage: uv run python benchmarks/bench_page_load.py [--sessions 20] [--rounds 2] [--tabs] [--settle 75]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from page.browser import CHROMIUM, CHROMIUM_ARGS, served_app  # noqa: E402

TIMEOUT_S = 120.0  # one session
BUDGET_S = 600.0  # the whole run
SETTLE_S = 75.0  # after closing a round's pages, before the server's RSS is read: past serve.SESSION_KEPT (60 s)


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` and its children, in MiB."""
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its living children."""
    import psutil

    total = 0.0
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def browser_pid(browser) -> int | None:
    """The pid of the Chromium that Playwright started (a child of its driver, itself a child of this process)."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower() and "--type=" not in " ".join(child.cmdline()):
                return child.pid
        except psutil.Error:
            pass
    return None


async def one_session(browser, url: str, start: asyncio.Event, shared=None) -> float | None:
    """Seconds from ``goto`` to the Step button enabled (None: not within TIMEOUT_S).

    ``shared``: a browser context to open the page in as one more tab (its cache shared with the others);
    by default a context of its own, as a visitor with a browser of their own.
    """
    context = shared or await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    await start.wait()
    t0 = time.perf_counter()
    try:
        await page.goto(url, timeout=TIMEOUT_S * 1000)
        step = page.get_by_role("button", name="Step")
        await step.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        while not await step.is_enabled():
            if time.perf_counter() - t0 > TIMEOUT_S:
                return None
            await asyncio.sleep(0.05)
        return time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a timeout or a crash: a failed session
        return None
    finally:
        await (page.close() if shared else context.close())


async def run_round(browser, url: str, sessions: int, tabs: bool = False) -> list[float | None]:
    start = asyncio.Event()
    shared = await browser.new_context(viewport={"width": 1280, "height": 720}) if tabs else None
    if shared is not None:  # its cache warmed by one page first, as a browser that has seen the page before
        warm = await shared.new_page()
        await warm.goto(url)
        await warm.close()
    tasks = [asyncio.create_task(one_session(browser, url, start, shared)) for _ in range(sessions)]
    await asyncio.sleep(1.0)  # every context and page made: they start together
    start.set()
    try:
        return await asyncio.gather(*tasks)
    finally:
        if shared is not None:
            await shared.close()


async def main_async(sessions: int, rounds: int, settle: float = SETTLE_S, tabs: bool = False) -> int:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + BUDGET_S
    failures = 0
    with tempfile.TemporaryDirectory() as tmp, served_app(Path(tmp) / "server.log") as (url, proc, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                warm = await run_round(browser, url, 1)
                print(f"warm-up session usable in {warm[0] or float('nan'):.1f} s", flush=True)
                await asyncio.sleep(settle)  # its session freed too: the RSS below is the server's at rest
                before = rss_mib(proc.pid)
                print(f"server RSS before: {before:.0f} MiB", flush=True)
                for r in range(rounds):
                    if time.monotonic() > deadline:
                        print("budget spent: stopping", flush=True)
                        break
                    chromium = browser_pid(browser)
                    server0, browser0, wall0 = cpu_s(proc.pid), cpu_s(chromium) if chromium else 0.0, time.monotonic()
                    times = await run_round(browser, url, sessions, tabs)
                    wall = time.monotonic() - wall0
                    server_cpu = cpu_s(proc.pid) - server0
                    browser_cpu = (cpu_s(chromium) - browser0) if chromium else float("nan")
                    ok = sorted(t for t in times if t is not None)
                    failures += len(times) - len(ok)
                    await asyncio.sleep(settle)
                    after = rss_mib(proc.pid)
                    shown = ", ".join(f"{t:.1f}" for t in ok)
                    median, worst = (statistics.median(ok), max(ok)) if ok else (float("nan"), float("nan"))
                    print(f"round {r + 1}: {len(ok)}/{sessions} usable; time to usable (s): median {median:.1f}, max "
                          f"{worst:.1f} [{shown}]; server RSS after: {after:.0f} MiB ({after - before:+.0f}); "
                          f"CPU over the round's {wall:.0f} s: server {server_cpu:.1f} s, Chromium {browser_cpu:.1f} s",
                          flush=True)
            finally:
                await browser.close()
    gc.collect()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=SETTLE_S, help="seconds between a round and its RSS reading")
    parser.add_argument("--tabs", action="store_true", help="the sessions as tabs of one browser (one cache) instead "
                        "of separate browsers: Chromium's own work on this machine then weighs less")
    args = parser.parse_args()
    return asyncio.run(main_async(args.sessions, args.rounds, args.settle, args.tabs))


if __name__ == "__main__":
    sys.exit(main())
