"""Helpers for the browser tests: a `papertrends serve` on loopback, Chromium, waiting, picking.

The server is a subprocess on a free 127.0.0.1 port and ends with the ``serve`` block; Chromium
is Debian's /usr/bin/chromium driven by Playwright with the flags the project uses everywhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import OUTPUT, REPO

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART = "[data-testid='stVegaLiteChart']"
#: The size of the screenshots in docs/ (a laptop screen).
VIEWPORT = {"width": 1440, "height": 900}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(store: Path) -> Iterator[str]:
    """`papertrends serve --store STORE` on a free loopback port; yields its base URL."""
    port = free_port()
    env = dict(os.environ, PAPERTRENDS_NO_FIT="1", HF_HUB_OFFLINE="1")
    OUTPUT.mkdir(exist_ok=True)
    log = open(OUTPUT / f"serve-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis.cli", "serve", "--store", str(store), "--port",
         str(port), "--address", "127.0.0.1"], cwd=REPO, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, "the server exited; see test-output/serve-*.log"
            assert time.monotonic() < deadline, "the server did not come up in 60 s"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page, ms: int = 1200) -> None:
    """Wait until Streamlit has finished its rerun (no running indicator), then a little more."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(ms)


def plot_box(chart) -> dict:
    """The bounding box of a chart's SVG."""
    return chart.locator("svg.marks").first.bounding_box()


def drag(page, chart, start: float, end: float, height: float = 0.6) -> None:
    """Drag across a chart's SVG from ``start`` to ``end`` (fractions of its width)."""
    box = plot_box(chart)
    y = box["y"] + box["height"] * height
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * (start + (end - start) * i / 10), y)
        page.wait_for_timeout(40)
    page.mouse.up()
