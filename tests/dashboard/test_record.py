"""The dashboard shows the record: coverage strip, partial periods, upvote age, the data note.

AppTest on the bundled store; expectations come from the store's files and the independent raw
counts (tests/fixtures/raw-counts.json), not from the dashboard's code.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tests.support.dashboard import run
from tests.support.paths import BUNDLED, FIXTURES

RAW = json.loads((FIXTURES / "raw-counts.json").read_text(encoding="utf-8"))
#: Months of the bundled span whose full list the store holds only part of (by the raw counts).
PARTIAL = sorted(m for m, c in RAW["months"].items()
                 if c["union"] < (c["month"] if c["month"] is not None else c["index"])
                 and m <= RAW["last_listed"][:7])


@pytest.fixture(autouse=True)
def bundled_store(monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_STORE", str(BUNDLED))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")


def charts(at) -> list[dict]:
    """The Vega-Lite specs the page drew, each with its rows under ``rows``."""
    out = []

    def walk(node) -> None:
        if getattr(node, "type", "") == "vega_lite_chart":
            spec = json.loads(node.proto.spec)
            spec["rows"] = [row for ds in node.proto.datasets
                            for row in pa.ipc.open_stream(ds.data.data).read_all().to_pylist()]
            out.append(spec)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def _title(spec: dict) -> str:
    title = spec.get("title") or {}
    return title if isinstance(title, str) else str(title.get("text", ""))


def _values(spec: dict) -> list[dict]:
    return spec["rows"]


def test_overview_shows_the_coverage_strip_and_hollow_partial_months():
    assert len(PARTIAL) == 10
    at = run("overview.py")
    specs = {_title(s): s for s in charts(at)}
    strip = specs["Coverage of each month's list"]
    rows = {r["month"]: r for r in _values(strip)}
    assert sorted(m for m, r in rows.items() if r["status"] == "partial") == PARTIAL
    for month, row in rows.items():
        assert row["papers"] == RAW["months"][month]["union"], month
    bars = _values(specs["Papers per month"])
    assert sorted(r["period"][:7] for r in bars if r["partial"]) == PARTIAL
    caption = next(c.value for c in at.caption if "only part of the list" in c.value)
    assert "10 month(s)" in caption
    assert "shares" in caption


def test_upvote_age_lives_in_the_url_and_filters_the_counts():
    at = run("upvotes.py")
    words = " ".join(c.value for c in at.caption)
    assert "periods hold early counts" in words
    aged = run("upvotes.py", upvote_age="30")
    assert aged.number_input(key="w_upvote_age").value == 30
    assert aged.query_params["upvote_age"] == "30"
    words = " ".join(c.value for c in aged.caption)
    assert "Only counts read at least 30 days after listing" in words
    dist = next(s for s in charts(aged) if _title(s) == "Upvote distribution")
    matured = sum(r["count"] for r in _values(dist))
    every = next(s for s in charts(at) if _title(s) == "Upvote distribution")
    assert matured < sum(r["count"] for r in _values(every))
    # on the listed basis: exactly the archive's counts (read 2026-06-26, months after listing)
    assert matured == sum(c["month"] or 0 for c in RAW["months"].values()) == 8_036


def test_the_data_note_carries_both_attributions_and_licenses():
    at = run("overview.py")
    note = " ".join(c.value for c in at.sidebar.caption)
    assert "Apache-2.0" in note
    assert "CC-BY-4.0" in note
    assert "honggi82/awesome-HuggingFace" in note
    assert "2404589803/hf-daily-paper-newsletter-chinese" in note
    assert "upvote counts were read at different times" in note
