"""Plausible dates only: a day after tomorrow (UTC) or before 1990 is a bad value of its entry.

Such an entry is skipped with a warning naming file, entry and field (fatal with --strict).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analysis.cli import main
from analysis.ingest import ingest
from analysis.schema import InputError, latest_date, plausible
from analysis.store import Store
from tests.support.paths import DAILY

DAY = DAILY / "2026-05-29.json"


def _with_a_2030_entry(tmp_path, field: str):
    """The real day 2026-05-29 plus one more real entry (another id) dated 2030 in ``field``."""
    entries = json.loads(DAY.read_bytes())
    extra = json.loads(json.dumps(entries[0]))
    extra["paper"]["id"] = "3001.00001"
    if field == "paper.publishedAt":
        extra["paper"]["publishedAt"] = "2030-01-16T00:00:00.000Z"
    else:
        extra["paper"]["submittedOnDailyAt"] = "2030-01-16T00:00:00.000Z"
    entries.append(extra)
    path = tmp_path / "bad" / DAY.name
    if field == "paper.submittedOnDailyAt":  # the listing day comes from the entry then
        path = tmp_path / "bad" / "day.json"
    path.parent.mkdir()
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path, len(entries) - 1


@pytest.mark.parametrize("field", ["paper.publishedAt", "paper.submittedOnDailyAt"])
def test_an_entry_dated_2030_is_skipped_and_the_store_ends_as_the_clean_run(tmp_path, capsys,
                                                                            field):
    bad, n = _with_a_2030_entry(tmp_path, field)
    clean = Store(tmp_path / "clean")
    ingest(clean, [DAY])
    store = tmp_path / "store"
    assert main(["ingest", str(bad), "--store", str(store)]) == 0
    err = capsys.readouterr().err
    assert str(bad) in err
    assert f"entry {n}" in err
    assert f"field '{field}'" in err
    assert "2030-01-16 is in the future" in err
    if field == "paper.publishedAt":  # same listing day as the clean run: the same bytes
        assert (store / "papers.parquet").read_bytes() == clean.papers_path.read_bytes()
    assert main(["info", "--store", str(store), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["last_date"] == "2026-05-29"
    assert info["papers"] == n


def test_strict_makes_a_2030_entry_fatal_and_writes_nothing(tmp_path, capsys):
    bad, n = _with_a_2030_entry(tmp_path, "paper.publishedAt")
    store = tmp_path / "store"
    assert main(["ingest", str(bad), "--store", str(store), "--strict"]) == 2
    err = capsys.readouterr().err
    assert f"entry {n}" in err
    assert "Traceback" not in err
    assert not (store / "papers.parquet").exists()


def test_a_file_named_after_2030_uses_each_entry_s_own_day(tmp_path):
    named = tmp_path / "2030-01-16.json"
    named.write_bytes(DAY.read_bytes())
    store = Store(tmp_path / "s")
    ingest(store, [named])
    assert store.read_papers()["listed"].max() == dt.date(2026, 5, 29)


def test_the_window_is_1990_to_tomorrow():
    tomorrow = latest_date()
    assert tomorrow == dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert plausible(tomorrow, "listed") == tomorrow
    assert plausible(dt.date(1990, 1, 1), "listed") == dt.date(1990, 1, 1)
    with pytest.raises(InputError, match="in the future"):
        plausible(tomorrow + dt.timedelta(days=1), "listed")
    with pytest.raises(InputError, match="before 1990-01-01"):
        plausible(dt.date(1989, 12, 31), "published")
