"""Fixtures of the browser tests: one headless Chromium per test module, the screenshot folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for the tests of one module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(output_dir) -> Path:
    """The folder the screenshots of a run go to."""
    d = output_dir / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d
