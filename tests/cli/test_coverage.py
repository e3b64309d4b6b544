"""Coverage you can see: `papertrends coverage`, `info --json`, and partial periods in exports.

Every expectation is counted here with plain json over the raw fixture files (no project code):
a paper counts in the month of its earliest listing day over both sources; a month's full list
size is the archive index's count (the month file's distinct papers where the file is here).
"""

from __future__ import annotations

import collections
import csv
import io
import json

from analysis.cli import main
from tests.support.paths import DAILY, MONTH_SLICES, MONTHS


def _independent() -> tuple[dict, dict, dict]:
    """(month -> union count, month -> {source: count}, month -> full list size)."""
    first: dict[str, str] = {}
    seen: dict[str, set[str]] = collections.defaultdict(set)

    def note(pid: str, day: str, source: str) -> None:
        first[pid] = min(first.get(pid, day), day)
        seen[pid].add(source)

    for path in DAILY.glob("*.json"):
        for e in json.loads(path.read_bytes()):
            note(e["paper"]["id"], path.stem, "hf-daily-api")
    for path in [*MONTH_SLICES.glob("*.slice-*.json"), MONTHS / "daily_papers_2023-07.json"]:
        for e in json.loads(path.read_bytes()):
            note(e["paper"]["id"], e["paper"]["submittedOnDailyAt"][:10], "hf-month-api")
    union = collections.Counter(day[:7] for day in first.values())
    per_source: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for pid, day in first.items():
        for source in seen[pid]:
            per_source[day[:7]][source] += 1
    index = json.loads((MONTHS / "index.json").read_bytes())
    sizes = {m["month"]: m["count"] for m in index["monthly_files"]}
    july = json.loads((MONTHS / "daily_papers_2023-07.json").read_bytes())
    sizes["2023-07"] = len({e["paper"]["id"] for e in july})
    return dict(union), {m: dict(c) for m, c in per_source.items()}, sizes


UNION, PER_SOURCE, SIZES = _independent()


def test_coverage_json_matches_an_independent_count(record_store, capsys):
    assert main(["coverage", "--store", str(record_store), "--json"]) == 0
    months = {m["month"]: m for m in json.loads(capsys.readouterr().out)["months"]}
    assert set(months) == set(SIZES) | set(UNION)
    for month, row in months.items():
        assert row["papers"] == UNION.get(month, 0), month
        assert row["listing"] == SIZES.get(month), month
        sources = {k: v for k, v in row["sources"].items() if v}
        assert sources == PER_SOURCE.get(month, {}), month
        held = UNION.get(month, 0)
        status = "complete" if held >= SIZES[month] else "partial"
        assert row["status"] == status, month
    assert months["2023-07"]["status"] == "complete"
    assert months["2025-08"]["sources"]["hf-daily-api"] == 14
    assert main(["info", "--store", str(record_store), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {m["month"]: m for m in info["coverage"]} == months


def test_exported_csv_marks_the_partial_periods(record_store, tmp_path, capsys):
    out = tmp_path / "per-month.csv"
    assert main(["export", "papers-per-period", "--store", str(record_store), "--format", "csv",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows
    assert "partial" in rows[0]
    for row in rows:
        month = row["period"][:7]
        assert int(row["count"]) == UNION.get(month, 0), month
        expect = month in SIZES and UNION.get(month, 0) < SIZES[month]
        assert row["partial"] == str(expect).lower(), month
    assert {r["period"][:7] for r in rows if r["partial"] == "true"} >= {"2025-08", "2024-05"}
    assert next(r for r in rows if r["period"].startswith("2023-07"))["partial"] == "false"

    quarters = tmp_path / "per-quarter.csv"
    assert main(["export", "papers-per-period", "--store", str(record_store), "--format", "csv",
                 "--period", "quarter", "--out", str(quarters)]) == 0
    q3 = next(r for r in csv.DictReader(io.StringIO(quarters.read_text(encoding="utf-8")))
              if r["period"] == "2023-07-01")
    assert q3["partial"] == "true"  # July is held in full, August and September are not
    capsys.readouterr()


def test_the_chart_names_partial_periods_and_shares_say_why(record_store, tmp_path, capsys):
    svg = tmp_path / "per-month.svg"
    assert main(["export", "papers-per-period", "--store", str(record_store), "--from",
                 "2025-08-01", "--to", "2025-08-31", "--out", str(svg)]) == 0
    text = svg.read_text(encoding="utf-8")
    assert "hollow: only part of the list held (2025-08)" in text
    html = tmp_path / "trend.html"
    assert main(["export", "keyword-trend", "--store", str(record_store), "--phrase",
                 "diffusion", "--out", str(html)]) == 0
    assert "shares, not counts: only part of the list held in" in html.read_text(
        encoding="utf-8")
    capsys.readouterr()
