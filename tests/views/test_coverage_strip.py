"""The coverage strip's months of a date span: a mask over the months, equal to a Polars filter."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import coverage
from analysis.store import Store
from analysis.views.coverage import strip_data
from tests.support.paths import BUNDLED


def test_a_span_keeps_the_months_it_touches():
    store = Store(BUNDLED)
    table = coverage.coverage_table(store.scan_papers(), coverage.read_listings(store))
    months = table.with_columns(start=pl.col("month").str.to_date("%Y-%m")).with_columns(
        end=pl.col("start").dt.offset_by("1mo"))
    day = dt.date
    spans = [(None, None), (day(2024, 5, 31), None), (None, day(2024, 6, 1)),
             (day(2024, 6, 1), day(2024, 6, 30)), (day(2024, 6, 30), day(2024, 7, 1)),
             (day(2020, 1, 1), day(2021, 1, 1)), (day(2025, 12, 31), day(2026, 1, 1))]
    spans += [(dt.date(2023, 4, 20) + dt.timedelta(days=37 * i),
               dt.date(2023, 4, 20) + dt.timedelta(days=37 * i + 11 * i)) for i in range(30)]
    for first, last in spans:
        want = months
        if first is not None:
            want = want.filter(pl.col("end") > first)
        if last is not None:
            want = want.filter(pl.col("start") <= last)
        got = strip_data(table, first, last)
        assert got.columns == ["month", "start", "end", "papers", "listing", "share", "status"]
        assert got.equals(want.select(got.columns)), (first, last)
    assert strip_data(table, dt.date(2024, 6, 1), dt.date(2024, 6, 30))["month"].to_list() == [
        "2024-06"]
