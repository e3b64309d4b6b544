"""A store of both real sources, as the bundled one is built, from the fixtures.

- the 27 daily fixture files (the early-day crawler: counts read on the listing day);
- the archive's month 2023-07 (185 papers) and its ``index.json`` (every month's list size,
  read 2026-06-26T11:52:01Z), ingested as files;
- four slices of other months of the archive, holding papers the daily files hold too (read
  2026-06-26), merged as month readings.

So the store has papers seen by one source or both, counts of two ages, and months whose full
list it holds (2023-07) or holds only part of.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from analysis.ingest import ingest, ingest_frame
from analysis.schema import Problems
from analysis.sources import hf_api
from analysis.store import Store
from tests.support.paths import DAILY, MONTH_SLICES, MONTHS

ARCHIVE_READ = dt.datetime(2026, 6, 26, 11, 52, 1, tzinfo=dt.UTC)


def slice_frames() -> list[pl.DataFrame]:
    """The month slices as month readings (source hf-month-api, read when the archive was)."""
    return [hf_api.parse_response(p.read_bytes(), file=p.name, listed=None, problems=Problems(),
                                  month=p.name[:7], read_at=ARCHIVE_READ)
            for p in sorted(MONTH_SLICES.glob("*.slice-*.json"))]


def build_record_store(root: Path) -> Store:
    """Ingest both sources into ``root`` (see the module docstring)."""
    store = Store(root)
    ingest(store, [str(DAILY), str(MONTHS)])
    ingest_frame(store, pl.concat(slice_frames(), how="vertical"))
    return store
