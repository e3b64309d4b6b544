"""Helpers for the browser tests: a `papertrends serve` on loopback, Chromium, waiting, dragging.

The server comes from tests/support/server.py (a subprocess on a free 127.0.0.1 port, stopped and
checked when the ``serve`` block ends); Chromium is Debian's /usr/bin/chromium driven by
Playwright with the flags the project uses everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.server import serve as serve_store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART = "[data-testid='stVegaLiteChart']"
#: The size of the screenshots in docs/ (a laptop screen).
VIEWPORT = {"width": 1440, "height": 900}


@contextmanager
def serve(store: Path) -> Iterator[str]:
    """`papertrends serve --store STORE` on a free loopback port; yields its base URL.

    tests/support/server.py starts it, stops it with SIGTERM and asserts nothing is left.
    """
    with serve_store(store) as server:
        yield server.url


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
