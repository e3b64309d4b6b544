"""Property tests: whatever bytes or text a source is fed, it returns rows or raises InputError.

Nothing else may escape (no KeyError, UnicodeDecodeError, PolarsError, ...).
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.schema import COLUMNS, InputError, Problems
from analysis.sources import FORMATS, detect, hf_api, page_dump, parse, tables
from tests.support.paths import DAILY, PAGE_DUMP

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
REF = dt.date(2025, 12, 31)
REAL_DAY = (DAILY / "2025-06-25.json").read_bytes()
REAL_DUMP = PAGE_DUMP.read_bytes()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
paper_fields = st.fixed_dictionaries({}, optional={
    "id": json_values, "title": json_values, "summary": json_values, "authors": json_values,
    "publishedAt": json_values, "upvotes": json_values, "ai_keywords": json_values,
    "submittedOnDailyAt": json_values, "organization": json_values,
})
api_entries = st.lists(
    st.fixed_dictionaries({"paper": paper_fields | json_values},
                          optional={"publishedAt": json_values, "title": json_values,
                                    "organization": json_values}) | json_values,
    max_size=4,
)


def _check(call) -> None:
    """Call a source: it must give canonical rows (or a format name) or a one-line InputError."""
    try:
        frame = call()
    except InputError as err:
        message = str(err)
    else:
        message = None
    if message is not None:  # raising is allowed, but only with a one-line message
        assert "\n" not in message
        return
    if isinstance(frame, str):  # detect: a format name
        assert frame in FORMATS
        return
    if isinstance(frame, tuple):
        frame = frame[1]
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == COLUMNS


def _all_sources(data: bytes) -> None:
    _check(lambda: hf_api.parse_response(data, file="f", listed=None, problems=Problems()))
    _check(lambda: page_dump.parse_page_dump(data, file="f", reference_date=REF,
                                             problems=Problems()))
    _check(lambda: tables.parse_csv(data, file="f", mapping={}, problems=Problems()))
    _check(lambda: tables.parse_parquet(data, file="f", mapping={}, problems=Problems()))
    _check(lambda: tables.parse_jsonl(data, file="f", mapping={}, problems=Problems()))
    _check(lambda: detect(data, file="f"))
    _check(lambda: parse(data, file="f", reference_date=REF, problems=Problems()))


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    _all_sources(data)


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text(text):
    _all_sources(text.encode("utf-8"))


@SETTINGS
@given(api_entries)
def test_arbitrary_api_entries(entries):
    body = json.dumps(entries).encode()
    _check(lambda: hf_api.parse_response(body, file="f", listed=None, problems=Problems()))
    _check(lambda: parse(body, file="f", problems=Problems()))


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(COLUMNS + ["x"]), json_values, max_size=6),
                max_size=4))
def test_arbitrary_records(records):
    lines = "\n".join(json.dumps(r) for r in records).encode()
    _check(lambda: tables.parse_jsonl(lines, file="f", mapping={}, problems=Problems()))
    _check(lambda: parse(json.dumps(records).encode(), file="f", problems=Problems()))


@SETTINGS
@given(st.integers(0, len(REAL_DAY)), st.integers(0, len(REAL_DUMP)), st.binary(max_size=8))
def test_damaged_real_files(cut_day, cut_dump, junk):
    _all_sources(REAL_DAY[:cut_day] + junk)
    _all_sources(REAL_DUMP[:cut_dump] + junk)
    _all_sources(junk + REAL_DUMP[cut_dump:])


@SETTINGS
@given(st.lists(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
                         min_size=1, max_size=5), min_size=1, max_size=5))
def test_arbitrary_csv_cells(rows):
    header = "paper_id,title,abstract,published,upvotes\n"
    body = "\n".join(",".join(json.dumps(c) for c in row) for row in rows)
    _check(lambda: tables.parse_csv((header + body).encode(), file="f", mapping={},
                                    problems=Problems()))
