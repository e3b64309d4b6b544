"""A hand-edited or damaged ``listings.json`` (month list sizes): one clear message, never a hang.

A month key that is not ``YYYY-MM`` (e.g. ``"May 2026"``, which sorts after every real month)
made the coverage table count months up to it forever, until the process ran out of memory; a
size that is not a number was a traceback. Each bad entry is now named (file, month, field) by
`coverage`, by `check`, and on the dashboard, which still draws; the fix it names mends it
(`rebuild` where raw month files tell the sizes, else deleting the file).
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analysis.cli import main
from analysis.store import Store
from tests.support.dashboard import APP
from tests.support.paths import MONTHS
from tests.support.stores import bundled_copy

#: (what is done to the months, the field named, a word of the message).
EDITS = {
    "not a month": (lambda m: m.__setitem__("May 2026", dict(m["2024-05"])), "month",
                    "YYYY-MM"),
    "month 13": (lambda m: m.__setitem__("2024-13", dict(m["2024-05"])), "month", "YYYY-MM"),
    "not an object": (lambda m: m.__setitem__("2024-05", 452), "months", "object"),
    "papers as text": (lambda m: m["2024-05"].__setitem__("papers", "many"), "papers",
                       "whole number"),
    "negative entries": (lambda m: m["2024-05"].__setitem__("entries", -3), "entries",
                         "whole number"),
    "read_at a number": (lambda m: m["2024-05"].__setitem__("read_at", 5), "read_at", "text"),
}


@pytest.fixture(params=list(EDITS))
def edited(request, tmp_path) -> tuple[Store, str, str, str]:
    """A copy of the bundled store with one bad entry in listings.json."""
    store = bundled_copy(tmp_path / "store")
    data = json.loads(store.listings_path.read_text())
    edit, field, word = EDITS[request.param]
    edit(data["months"])
    store.listings_path.write_text(json.dumps(data))
    month = next(m for m in ("May 2026", "2024-13", "2024-05") if m in data["months"])
    return store, month, field, word


@pytest.mark.timeout(120)
def test_coverage_names_the_file_month_and_field(edited, capsys):
    store, month, field, word = edited
    assert main(["coverage", "--store", str(store.root)]) == 2
    out, err = capsys.readouterr()
    text = (out + err).strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    assert str(store.listings_path) in text
    assert f"month {month!r}" in text, text
    assert f"field {field!r}" in text, text
    assert word in text, text
    assert "delete it" in text  # the fix for a store with no raw month files


@pytest.mark.timeout(120)
def test_check_reports_it_and_its_fix_mends_it(edited, capsys):
    store, month, field, _ = edited
    assert main(["check", "--store", str(store.root)]) == 2
    out, err = capsys.readouterr()
    damaged = [line for line in out.splitlines() if line.startswith("damaged")]
    assert len(damaged) == 1, out
    assert str(store.listings_path) in damaged[0]
    assert f"month {month!r}" in damaged[0]
    assert f"field {field!r}" in damaged[0]
    assert "delete it" in damaged[0]  # this copy keeps no raw files to rebuild the sizes from
    store.listings_path.unlink()
    assert main(["coverage", "--store", str(store.root)]) == 0
    assert main(["check", "--store", str(store.root)]) == 0
    capsys.readouterr()


@pytest.mark.timeout(300)
def test_rebuild_mends_it_where_raw_files_tell_the_sizes(tmp_path, capsys):
    root = tmp_path / "store"
    month = MONTHS / "daily_papers_2023-07.json"
    assert main(["ingest", str(month), "--store", str(root)]) == 0
    store = Store(root)
    good = json.loads(store.listings_path.read_text())["months"]
    data = {"version": 1, "months": {**good, "May 2026": good["2023-07"]}}
    store.listings_path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", "--store", str(root)]) == 2
    assert f"papertrends rebuild --store {root}" in capsys.readouterr().out
    assert main(["rebuild", "--store", str(root)]) == 0
    again = json.loads(store.listings_path.read_text())["months"]
    sizes = ("entries", "papers", "read_at")  # origin: the raw copy's name, not the ingested one
    assert {m: [r[k] for k in sizes] for m, r in again.items()} == {
        m: [r[k] for k in sizes] for m, r in good.items()}
    assert main(["check", "--store", str(root)]) == 0


@pytest.mark.timeout(300)
def test_the_dashboard_says_so_and_still_draws(tmp_path, monkeypatch):
    store = bundled_copy(tmp_path / "store")
    data = json.loads(store.listings_path.read_text())
    data["months"]["May 2026"] = dict(data["months"]["2024-05"])
    store.listings_path.write_text(json.dumps(data))
    monkeypatch.setenv("PAPERTRENDS_STORE", str(store.root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = [e.value for e in at.error] + [w.value for w in at.warning]
    named = [text for text in shown if "listings.json" in text]
    assert named, shown
    assert "'May 2026'" in named[0]
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"), "no chart drawn"


@pytest.mark.timeout(120)
def test_info_still_summarises_and_says_so_in_one_line(edited, capsys):
    store, month, field, _ = edited
    assert main(["info", "--store", str(store.root)]) == 0
    out, err = capsys.readouterr()
    assert "papers      12,570" in out
    assert "0 with a known full list" in out  # coverage unknown, not made up
    naming = [line for line in (out + err).splitlines() if "listings.json" in line]
    assert len(naming) == 1, out + err
    assert naming[0].startswith("damaged: ")
    assert f"month {month!r}" in naming[0]
    assert main(["info", "--store", str(store.root), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert f"field {field!r}" in info["listings_damaged"]
