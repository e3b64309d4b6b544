"""The Daily Papers API source, on the real fixture responses."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analysis.schema import COLUMNS, InputError, Problems
from analysis.sources import detect, hf_api, parse
from tests.support.paths import DAILY


def _entries(day: str = "2025-06-25") -> list:
    return json.loads((DAILY / f"{day}.json").read_text(encoding="utf-8"))


def test_parse_response_maps_a_real_day():
    path = DAILY / "2026-05-29.json"
    problems = Problems()
    frame = hf_api.parse_response(path.read_bytes(), file=path.name,
                                  listed=hf_api.listing_date_from_name(path.name),
                                  problems=problems)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert frame.columns == COLUMNS
    assert frame.height == len(raw)
    assert not len(problems)
    first = frame.row(0, named=True)
    assert first["paper_id"] == raw[0]["paper"]["id"]
    assert first["title"] == raw[0]["paper"]["title"].strip()
    assert first["listed"] == dt.date(2026, 5, 29)
    assert first["published"] == dt.date.fromisoformat(raw[0]["paper"]["publishedAt"][:10])
    assert first["upvotes"] == raw[0]["paper"]["upvotes"]
    assert first["authors"][0] == raw[0]["paper"]["authors"][0]["name"]
    assert first["n_authors"] == len(raw[0]["paper"]["authors"])
    assert first["organization"] == "shanghai ailab"  # fullname, whitespace normalised
    assert "agent safety taxonomy" in first["keywords"]
    assert first["source"] == "hf-daily-api"


def test_listing_day_falls_back_to_submitted_then_top_level_date():
    entries = _entries("2026-05-29")[:2]
    entries[0]["paper"]["submittedOnDailyAt"] = "2026-05-20T00:00:00.000Z"
    entries[1]["paper"].pop("submittedOnDailyAt", None)
    entries[1]["publishedAt"] = "2026-05-21T20:00:00.000Z"
    problems = Problems()
    frame = hf_api.parse_response(json.dumps(entries), file="response.json", listed=None,
                                  problems=problems)
    assert frame["listed"].to_list() == [dt.date(2026, 5, 20), dt.date(2026, 5, 21)]
    # the date in a file name wins over both
    named = hf_api.parse_response(json.dumps(entries), file="2026-05-29.json",
                                  listed=hf_api.listing_date_from_name("2026-05-29.json"),
                                  problems=problems)
    assert set(named["listed"].to_list()) == {dt.date(2026, 5, 29)}


def test_wrapped_response_is_accepted():
    entries = _entries()
    wrapped = {"status": "ok", "date": "2025-06-25", "count": len(entries), "data": entries}
    frame = hf_api.parse_response(json.dumps(wrapped).encode(), file="w.json", listed=None,
                                  problems=Problems())
    assert frame.height == len(entries)


def test_old_files_without_optional_fields_load():
    path = DAILY / "2024-05-27.json"
    frame = hf_api.parse_response(path.read_bytes(), file=path.name, listed=None,
                                  problems=Problems())
    assert frame.height > 0
    assert frame["keywords"].list.len().sum() == 0  # ai_keywords came later
    assert frame["organization"].null_count() == frame.height


def test_detect_reads_content_not_the_name():
    data = (DAILY / "2025-06-25.json").read_bytes()
    assert detect(data, file="renamed.csv") == "hf-api"


def test_a_bad_entry_is_listed_and_the_rest_load():
    entries = _entries()
    entries[2]["paper"]["upvotes"] = "many"
    problems = Problems()
    frame = hf_api.parse_response(json.dumps(entries), file="d.json", listed=None,
                                  problems=problems)
    assert frame.height == len(entries) - 1
    assert len(problems) == 1
    assert str(problems.items[0]).startswith("d.json: entry 2: field 'paper.upvotes':")


@pytest.mark.parametrize("body", [b"", b"   ", b"<html><body>502</body></html>", b"[{",
                                  b'{"error": "Rate limited"}', b"42", b"\xff\xfe"])
def test_unusable_bodies_raise_input_error(body):
    with pytest.raises(InputError) as info:
        hf_api.parse_response(body, file="day.json", listed=None, problems=Problems())
    assert str(info.value).startswith("day.json")
    assert "\n" not in str(info.value)


def test_api_entries_one_per_line():
    entries = _entries()
    entries[1]["paper"]["upvotes"] = "many"
    text = "\n".join(json.dumps(e) for e in entries) + "\n"
    assert detect(text.encode(), file="x.jsonl") == "hf-api-lines"
    problems = Problems()
    fmt, frame = parse(text.encode(), file="2025-06-25.jsonl", problems=problems)
    assert fmt == "hf-api-lines"
    assert frame.height == len(entries) - 1
    assert frame["paper_id"][0] == entries[0]["paper"]["id"]
    assert set(frame["listed"]) == {dt.date(2025, 6, 25)}
    assert str(problems.items[0]).startswith("2025-06-25.jsonl: line 2: field 'paper.upvotes'")
