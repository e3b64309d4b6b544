"""The report: one self-contained HTML page, plus a zip of each chart's PNG, SVG and CSV.

The page holds the charts, escaped tables and a provenance block with every field a reader needs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import importlib.metadata
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace

import polars as pl
import pytest

from analysis import trends
from analysis.filters import Filters
from analysis.views import notes
from analysis.views import render as export
from analysis.views import report as reports
from analysis.views.registry import build_view, build_views
from tests.support.export_store import SCRIPT_TITLE, SEED, build_store, png_size
from tests.support.paths import REPO

FILTERS = Filters(start=dt.date(2024, 8, 1), end=dt.date(2026, 2, 28), period="quarter",
                  min_upvotes=1)
PROVENANCE_FIELDS = {"filters", "filters_text", "period", "papers", "date_span", "store",
                     "corpus_hash", "topic_model", "seed", "packages", "made_at", "views"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("report-store"))


@pytest.fixture(scope="module")
def report(store):
    lf = trends.paper_frame(store)
    views, notes = build_views(lf, FILTERS)
    top = trends.top_papers(lf, FILTERS, n=10)
    return reports.build_report(store, lf, FILTERS, views, tables={"Most upvoted papers": top},
                               notes=notes)


def test_provenance_has_every_field_with_the_right_values(report, store):
    prov = report.provenance
    assert set(prov) == PROVENANCE_FIELDS
    papers = store.read_papers().filter(  # FILTERS are on the default basis: listed
        pl.col("listed").is_between(FILTERS.start, FILTERS.end) & (pl.col("upvotes") >= 1))
    assert prov["papers"] == papers.height
    assert prov["date_span"] == {"basis": "listed",
                                 "first": papers["listed"].min().isoformat(),
                                 "last": papers["listed"].max().isoformat()}
    assert prov["filters"] == FILTERS.as_dict()
    assert prov["filters_text"] == FILTERS.describe()
    assert prov["period"] == "quarter"
    assert prov["store"] == str(store.root.resolve())
    assert prov["corpus_hash"] == store.corpus_hash()
    assert len(prov["corpus_hash"]) == 16
    assert prov["topic_model"]["settings"]["seed"] == SEED
    assert prov["seed"] == SEED
    assert prov["topic_model"]["corpus_hash"] == store.corpus_hash()
    assert prov["packages"]["polars"] == pl.__version__
    assert prov["packages"]["altair"] == importlib.metadata.version("altair")
    assert prov["packages"]["vl-convert-python"] == importlib.metadata.version("vl-convert-python")
    made = dt.datetime.fromisoformat(prov["made_at"])
    assert abs((dt.datetime.now(dt.UTC) - made).total_seconds()) < 600
    assert [v["name"] for v in prov["views"]] == [
        "papers-per-period", "topic-trend", "topic-map", "upvote-distribution",
        "upvotes-by-topic", "upvotes-by-period", "emerging", "rising"]


def test_provenance_on_the_published_basis(store):
    lf = trends.paper_frame(store)
    f = replace(FILTERS, basis="published")
    views = [build_view("papers-per-period", lf, f)]
    prov = reports.build_report(store, lf, f, views).provenance
    papers = store.read_papers().filter(
        pl.col("published").is_between(f.start, f.end) & (pl.col("upvotes") >= 1))
    assert prov["papers"] == papers.height
    assert prov["date_span"] == {"basis": "published",
                                 "first": papers["published"].min().isoformat(),
                                 "last": papers["published"].max().isoformat()}
    assert prov["filters"]["basis"] == "published"


def test_page_shows_the_provenance_block(report):
    block = report.html.split("<section id='provenance'>", 1)[1].split("</section>", 1)[0]
    prov = report.provenance
    for label in ("filters", "period", "papers", "date span", "store", "corpus hash",
                  "topic model", "seed", "packages", "made at"):
        assert f"<th>{label}</th>" in block
    for value in (prov["filters_text"], prov["corpus_hash"], prov["store"], prov["made_at"],
                  f"{prov['papers']:,}", prov["date_span"]["first"], prov["date_span"]["last"],
                  f"polars {pl.__version__}", str(SEED), "tfidf-kmeans (test fixture)"):
        assert html.escape(value) in block, value


def test_page_is_self_contained_and_escapes_paper_text(report):
    page = report.html
    assert "default-src 'none'" in page  # the page may run no script and fetch nothing
    assert "<script" not in page.lower().replace(html.escape("<script").lower(), "")
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page)
    assert SCRIPT_TITLE not in page
    assert html.escape(SCRIPT_TITLE) in page
    assert "keyword-trend left out" in page


def test_page_images_are_the_charts(report, store):
    uris = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", report.html)
    assert len(uris) == len(report.provenance["views"])
    for uri, view in zip(uris, report.provenance["views"], strict=True):
        root = ET.fromstring(base64.b64decode(uri))
        assert view["title"] in "".join(root.itertext())
    # a large SVG (a map of thousands of points) goes in as its PNG
    lf = trends.paper_frame(store)
    view = build_view("topic-map", lf, FILTERS)
    small = reports.build_report(store, lf, FILTERS, [view], scale=1, svg_max=100)
    (png,) = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", small.html)
    assert base64.b64decode(png) == next(v for k, v in small.files.items() if k.endswith(".png"))
    assert png_size(base64.b64decode(png))[0] > 640


def test_zip_holds_png_svg_and_csv_of_each_chart(report, store):
    lf = trends.paper_frame(store)
    with zipfile.ZipFile(io.BytesIO(report.zip_bytes())) as zf:
        assert json.loads(zf.read("provenance.json"))["corpus_hash"] == store.corpus_hash()
        assert zf.read("report.html").decode() == report.html
        for entry in report.provenance["views"]:
            view = build_view(entry["name"], lf, FILTERS)
            stem = export.file_name(view.name, FILTERS, "x", view.options)[:-2]
            assert zf.read(f"{stem}.csv").decode() == export.to_csv(view)
            assert zf.read(f"{stem}.png")[:8] == b"\x89PNG\r\n\x1a\n"
            assert view.title in "".join(ET.fromstring(zf.read(f"{stem}.svg")).itertext())


def test_report_without_a_topic_model_says_so(tmp_path):
    from analysis.ingest import ingest
    from analysis.store import Store
    from tests.support.paths import DAILY

    bare = Store(tmp_path / "bare")
    ingest(bare, [str(DAILY)])
    lf = trends.paper_frame(bare)
    views, notes = build_views(lf, Filters(), phrases=["agent"])
    rep = reports.build_report(bare, lf, Filters(), views, notes=notes)
    assert rep.provenance["topic_model"] is None
    assert rep.provenance["seed"] is None
    assert "<th>topic model</th><td>none fitted</td>" in rep.html
    assert len(notes) == 4


@pytest.mark.slow
def test_report_carries_the_settings_of_a_real_topic_fit(tmp_path):
    """Fit topics with the real engine (default MiniLM embedder) and report on them."""
    from analysis.ingest import ingest
    from analysis.store import Store
    from analysis.topics import fit as topics
    from tests.support.paths import DAILY

    store = Store(tmp_path / "real")
    ingest(store, [str(DAILY)])
    meta = topics.fit(store, seed=11)
    lf = trends.paper_frame(store)
    views, notes = build_views(lf, Filters(period="quarter"))
    assert notes == ["keyword-trend left out: no phrase given (--phrase)"]
    rep = reports.build_report(store, lf, Filters(period="quarter"), views)
    assert rep.provenance["seed"] == 11
    assert rep.provenance["topic_model"]["corpus_hash"] == store.corpus_hash()
    assert rep.provenance["topic_model"]["settings"] == meta["settings"]
    assert {v["name"] for v in rep.provenance["views"]} >= {"topic-map", "topic-trend"}


def test_the_model_is_described_from_its_settings(store):
    bundled = json.loads((REPO / "data" / "topics" / "meta.json").read_text())
    steps = notes.model_steps(bundled["settings"])
    settings = bundled["settings"]
    assert f"PCA to {settings['pca_dims']} dimensions" in steps
    assert (f"UMAP to {settings['umap_dims']} dimensions ({settings['neighbors']} neighbours, "
            f"{settings['umap_epochs']} epochs)") in steps
    assert settings["clusterer"] == "hdbscan"  # the shipped fit uses the defaults
    assert (f"HDBSCAN clustering (clusters of at least {settings['min_cluster_size']} papers, "
            "the rest outliers)") in steps
    assert f"outliers within cosine {settings['reassign_threshold']} of a topic's centre" in steps
    line = notes.model_text(bundled, bundled["corpus_hash"])
    assert line.startswith(steps)
    assert bundled["method"] not in line  # the steps come from the settings, not the method text
    ward = notes.model_steps({"clusterer": "ward", "n_topics": 55, "min_topic_size": 10})
    assert "Ward clustering into 55 topics (smaller than 10 papers merged)" in ward
    hdb = notes.model_steps({"umap_dims": 5, "clusterer": "hdbscan", "min_cluster_size": 15})
    assert "HDBSCAN clustering (clusters of at least 15 papers, the rest outliers)" in hdb
    assert "Ward" not in hdb


def test_the_data_note_reads_the_store():
    from analysis.commands.data import summarise
    from analysis.store import Store

    table = pl.read_parquet(REPO / "data" / "papers.parquet")
    listed = table.filter(pl.col("listed").is_not_null())
    note = notes.data_note(summarise(Store(REPO / "data")))
    per_day = listed.height / listed["listed"].n_unique()
    assert note.startswith(f"Data: {listed.height:,} papers from Hugging Face Daily Papers")
    assert f"listed {listed['listed'].min()} to {listed['listed'].max()}" in note
    assert f"~{per_day:.0f} a day" in note
    assert "upvotes read at different ages" in note
