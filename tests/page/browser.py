"""Helpers to serve the page with `chipdeal app` and drive it with Playwright in Debian's Chromium.

Shared by the browser tests, benchmarks/bench_page.py and scripts/screenshot.py (the recipe in
../shared/recipes/browser-testing.md: never `playwright install`; launch the system Chromium).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_app(log_path: Path, host: str = "127.0.0.1", timeout_s: float = 120.0, cwd: Path = ROOT
               ) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """Run `chipdeal app` in its own session until the block ends; yields (url, process, log path).

    ``cwd``: the folder it runs in (its ``runs/`` is the page's menu of scenarios).
    """
    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "negotiation.cli", "app", "--host", host, "--port", str(port)],
                            cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chipdeal app exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"chipdeal app not serving after {timeout_s} s; see {log_path}")
            time.sleep(0.1)
        yield url, proc, log_path
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextlib.contextmanager
def start_browser():
    """Headless Chromium from the system, via Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
