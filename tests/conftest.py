"""Shared test fixtures. Tests use copies of the real data under tests/fixtures/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"
DAILY = FIXTURES / "hf-daily-papers"
PAGE_DUMP = FIXTURES / "page-dumps" / "training-parameters-search.txt"
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave files worth looking at (screenshots, exports)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
