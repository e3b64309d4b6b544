"""`papertrends export` and `papertrends report` from the command line.

The CLI writes the same data the views (and so the dashboard) hold for the same filters, in every
format, and refuses bad requests cleanly.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import polars as pl
import pytest

from analysis import trends
from analysis.cli import main
from analysis.filters import Filters
from analysis.names import OTHER_TOPICS
from analysis.views import render as export
from analysis.views.registry import VIEWS, build_view
from tests.support.export_store import build_store, png_size
from tests.support.paths import REPO

ARGS = ["--from", "2024-09-01", "--to", "2026-04-30", "--period", "quarter"]
FILTERS = Filters(start=dt.date(2024, 9, 1), end=dt.date(2026, 4, 30), period="quarter")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("cli-store"))


def run(*argv: str) -> int:
    return main([str(a) for a in argv])


@pytest.mark.parametrize("name", list(VIEWS))
def test_cli_csv_equals_the_view_data_for_the_same_filters(store, tmp_path, name):
    out = tmp_path / f"{name}.csv"
    assert run("export", name, "--format", "csv", "--out", out, "--store", store.root, *ARGS,
               "--phrase", "language model", "--phrase", "agent") == 0
    view = build_view(name, trends.paper_frame(store), FILTERS,
                      phrases=["language model", "agent"])
    assert view.data.height > 0
    assert out.read_text(encoding="utf-8") == export.to_csv(view)


def test_cli_filters_and_options_reach_the_data(store, tmp_path):
    out = tmp_path / "t.csv"
    assert run("export", "topic-trend", "--out", out, "--store", store.root, "--topic", "1",
               "--topic", "4", "--min-upvotes", "3", "--measure", "count", "--lines",
               "--basis", "published", "--period", "month") == 0  # listed is the default
    f = Filters(topics=(1, 4), min_upvotes=3, basis="published", period="month")
    view = build_view("topic-trend", trends.paper_frame(store), f, measure="count",
                      stacked=False)
    assert out.read_text(encoding="utf-8") == export.to_csv(view)
    assert set(view.data["topic"].unique()) == {1, 4, OTHER_TOPICS}  # the rest in one band
    marks = {layer["mark"]["type"] for layer in view.chart.to_dict()["layer"]}
    assert marks == {"line", "point"}


def test_cli_writes_png_svg_and_html(store, tmp_path):
    png, svg, page = tmp_path / "a.png", tmp_path / "a.svg", tmp_path / "a.html"
    assert run("export", "upvotes-by-period", "--out", png, "--store", store.root,
               "--width", "600", "--height", "400") == 0
    assert png_size(png.read_bytes()) == (1200, 800)  # --scale 2 by default
    assert run("export", "upvotes-by-period", "--out", svg, "--store", store.root) == 0
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert run("export", "upvotes-by-period", "--out", page, "--store", store.root) == 0
    assert "vegaEmbed(" in page.read_text(encoding="utf-8")


def test_cli_default_file_name_and_stdout(store, tmp_path, monkeypatch, capsysbinary):
    monkeypatch.chdir(tmp_path)
    assert run("export", "papers-per-period", "--store", store.root, *ARGS) == 0
    expected = export.file_name("papers-per-period", FILTERS, "png")
    assert (tmp_path / expected).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsysbinary.readouterr()
    assert run("export", "papers-per-period", "--format", "csv", "--out", "-", "--store",
               store.root, *ARGS) == 0
    view = build_view("papers-per-period", trends.paper_frame(store), FILTERS)
    assert capsysbinary.readouterr().out.decode() == export.to_csv(view)


def test_cli_refuses_bad_requests_without_writing(store, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert run("export", "keyword-trend", "--out", out, "--store", store.root) == 2
    assert "--phrase" in capsys.readouterr().err
    assert run("export", "rising", "--out", out, "--store", store.root, "--from", "2026-01-01",
               "--to", "2025-01-01") == 2
    assert "after it ends" in capsys.readouterr().err
    assert run("export", "rising", "--out", out, "--store", tmp_path / "nowhere") == 2
    assert "no paper table" in capsys.readouterr().err
    assert run("export", "rising", "--out", tmp_path, "--store", store.root) == 2
    assert "folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        run("export", "pie-chart", "--store", store.root)
    assert stop.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_report_to_a_folder_writes_page_and_zip(store, tmp_path):
    out = tmp_path / "report"
    assert run("report", "--out", out, "--store", store.root, *ARGS,
               "--phrase", "language model") == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "report.zip") as zf:
        names = set(zf.namelist())
        assert {"report.html", "provenance.json"} <= names
        lf = trends.paper_frame(store)
        for name in VIEWS:
            view = build_view(name, lf, FILTERS, phrases=["language model"])
            stem = export.file_name(name, FILTERS, "x", view.options)[:-2]
            assert zf.read(f"{stem}.csv").decode() == export.to_csv(view)
            assert zf.read(f"{stem}.png")[:8] == b"\x89PNG\r\n\x1a\n"
            ET.fromstring(zf.read(f"{stem}.svg"))
            assert f"id='view-{name}'" in page
        prov = json.loads(zf.read("provenance.json"))
    assert prov["filters"]["start"] == "2024-09-01"
    assert prov["period"] == "quarter"
    assert len(names) == 2 + 3 * len(VIEWS)


def test_report_to_a_file_and_only_the_views_asked_for(store, tmp_path):
    out = tmp_path / "r.html"
    assert run("report", "--out", out, "--store", store.root, "--view", "rising", "--view",
               "topic-map") == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<section class='view'") == 2
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert run("report", "--out", tmp_path / "r.zip", "--store", store.root, "--view",
               "rising") == 0
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        assert len(zf.namelist()) == 2 + 3


def test_cli_lists_every_view_and_checks_its_numbers(store, capsys):
    from analysis.commands.export import VIEW_NAMES

    assert tuple(VIEWS) == VIEW_NAMES  # kept apart so `--help` needs no altair import
    for bad in (["--top", "-1"], ["--scale", "0"], ["--width", "5"], ["--height", "x"]):
        with pytest.raises(SystemExit) as stop:
            run("export", "topic-trend", "--store", store.root, *bad)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {bad[0]}" in err, err
        assert "must be" in err or "not a" in err, err


def test_the_installed_command_runs(store, tmp_path):
    """The console script itself (a fresh process), not only main()."""
    out = tmp_path / "e.csv"
    exe = REPO / ".venv" / "bin" / "papertrends"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "analysis.cli"]
    done = subprocess.run([*cmd, "export", "emerging", "--out", str(out), "--store",
                           str(store.root), *ARGS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    view = build_view("emerging", trends.paper_frame(store), FILTERS)
    assert out.read_text(encoding="utf-8") == export.to_csv(view)


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_cli_topic_trend_csv_shares_add_up_to_one_per_period(store, tmp_path, period):
    out = tmp_path / "shares.csv"
    assert run("export", "topic-trend", "--format", "csv", "--out", out, "--store", store.root,
               "--period", period) == 0
    sums = (pl.read_csv(out).group_by("period")
            .agg(pl.col("share").sum(), pl.col("total").first()).filter(pl.col("total") > 0))
    assert sums.height > 1
    assert (sums["share"] - 1).abs().max() <= 1e-9
