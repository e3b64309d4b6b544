"""Where the test data lives."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
DAILY = FIXTURES / "hf-daily-papers"
FETCH_DAYS = FIXTURES / "fetch-days"
MONTHS = FIXTURES / "hf-monthly-papers"
MONTH_SLICES = FIXTURES / "month-slices"
PAGE_DUMP = FIXTURES / "page-dumps" / "training-parameters-search.txt"
REFERENCE_DATE = "2025-12-31"  # the day the page dump was captured
BUNDLED = REPO / "data"
OUTPUT = REPO / "test-output"
