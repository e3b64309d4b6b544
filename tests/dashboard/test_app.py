"""The dashboard in Streamlit's AppTest, on the bundled store.

Every page renders, filters change the numbers shown, URL state round-trips, and a picked mark
lists the right papers.

Chart clicks cannot be made in AppTest (charts are opaque there). A click is therefore covered in
two halves: ``drill.from_event`` turns the event Streamlit sends for a click into a Pick (tested
with the event's real shape), and the ``pick`` URL parameter that a click writes is set here and
must list the papers behind that mark. The real click runs in tests/browser/test_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.dashboard import APP, ok, run
from tests.support.paths import REPO

BUNDLED = REPO / "data"
PAGES = ("overview.py", "topics.py", "keywords.py", "upvotes.py", "papers.py")


@pytest.fixture(autouse=True)
def bundled_store(monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_STORE", str(BUNDLED))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")  # never fit a model inside these tests


@pytest.fixture(scope="module")
def papers() -> pl.DataFrame:
    """The bundled paper table, read directly (independent of the dashboard's code)."""
    return pl.read_parquet(BUNDLED / "papers.parquet")


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def n(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_bundled_store(page):
    at = run(page)
    assert at.title, "the page has a heading"
    titles = {"overview.py": "Paper trends", "topics.py": "Topics", "keywords.py": "Keywords",
              "upvotes.py": "Upvotes", "papers.py": "Papers"}
    assert at.title[0].value == titles[page]


@pytest.mark.parametrize("basis", [None, "published"])
def test_overview_counts_match_the_table(papers, basis):
    at = run(**({"basis": basis} if basis else {}))
    col = basis or "listed"  # the default basis is the listing day
    assert n(metric(at, "Papers")) == papers.filter(pl.col(col).is_not_null()).height
    assert metric(at, "First paper") == str(papers[col].min())
    assert metric(at, "Last paper") == str(papers[col].max())
    unlisted = papers["listed"].null_count()
    notes = [c.value for c in at.sidebar.caption if "without a listing day" in c.value]
    if basis is None and unlisted:
        assert notes == [f"{unlisted:,} papers without a listing day are shown only on the "
                         "published basis."]
    else:
        assert notes == []


def test_date_range_changes_the_numbers(papers):
    at = run()
    before = n(metric(at, "Papers"))
    at.date_input(key="w_dates").set_value((dt.date(2025, 1, 1), dt.date(2025, 6, 30))).run()
    ok(at)
    after = n(metric(at, "Papers"))
    expected = papers.filter(pl.col("listed").is_between(dt.date(2025, 1, 1),
                                                         dt.date(2025, 6, 30))).height
    assert after == expected < before
    assert at.query_params["from"] == "2025-01-01"
    assert at.query_params["to"] == "2025-06-30"


def test_min_upvotes_and_basis_change_the_numbers(papers):
    at = run()
    at.number_input(key="w_min_upvotes").set_value(50).run()
    ok(at)
    expected = papers.filter((pl.col("upvotes") >= 50) & pl.col("listed").is_not_null()).height
    assert n(metric(at, "Papers")) == expected
    assert at.query_params["min_upvotes"] == "50"
    at.button_group(key="w_basis").set_value("published").run()
    ok(at)
    expected = papers.filter((pl.col("upvotes") >= 50) & pl.col("published").is_not_null()).height
    assert n(metric(at, "Papers")) == expected


def test_url_state_round_trips():
    query = {"from": "2024-09-01", "to": "2025-02-28", "period": "quarter",
             "min_upvotes": "10", "basis": "published"}
    at = run(**query)
    assert at.date_input(key="w_dates").value == (dt.date(2024, 9, 1), dt.date(2025, 2, 28))
    assert at.number_input(key="w_min_upvotes").value == 10
    assert at.button_group(key="w_period").value == "quarter"
    assert {k: at.query_params[k] for k in query} == query
    shown = metric(at, "Papers")
    # a copied URL (the query string the app wrote) reopens the same view
    again = run(**dict(at.query_params))
    assert metric(again, "Papers") == shown
    assert again.button_group(key="w_basis").value == "published"


def test_page_state_round_trips_on_the_keywords_page():
    at = run("keywords.py")
    at.text_input(key="w_q").set_value("diffusion, reinforcement learning").run()
    at.toggle(key="w_regex").set_value(False).run()
    at.button_group(key="w_field").set_value("title").run()
    ok(at)
    assert at.query_params["q"] == "diffusion, reinforcement learning"
    assert at.query_params["field"] == "title"
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["diffusion", "reinforcement learning"]
    counts = [m.value for m in at.metric][:2]
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params.update(dict(at.query_params))
    again.run().switch_page("app_pages/keywords.py").run()
    # switching page in AppTest drops the query; the session keeps the values it read
    ok(again)
    assert again.text_input(key="w_q").value == "diffusion, reinforcement learning"
    assert [m.value for m in again.metric][:2] == counts


def test_keyword_counts_match_an_independent_count(papers):
    at = run("keywords.py")
    at.text_input(key="w_q").set_value("mixture of experts").run()
    ok(at)
    sep = r"[\s\-\u2010-\u2013]+"  # words may be split by spaces or hyphens
    pattern = rf"(?i)\bmixtures?{sep}of{sep}experts?\b"  # each word may take a plural -s
    expected = papers.filter(
        pl.col("listed").is_not_null()
        & (pl.col("title").str.contains(pattern) | pl.col("abstract").fill_null("")
           .str.contains(pattern))).height
    assert n(metric(at, "mixture of experts")) == expected > 0


def test_bad_regex_is_a_clear_error_not_a_traceback():
    at = run("keywords.py")
    at.toggle(key="w_regex").set_value(True).run()
    at.text_input(key="w_q").set_value("(unclosed").run()
    assert not at.exception
    assert at.error
    assert "bad regular expression" in at.error[0].value


def test_empty_filters_say_what_to_change():
    at = run(**{"from": "2020-03-01", "to": "2020-03-02", "min_upvotes": "100000"})
    assert any("widen the date range" in i.value for i in at.info)


def test_a_picked_bar_lists_the_papers_of_its_period(papers):
    at = run(pick="papers-per-period|period=2025-03-01")
    lists = [d.value for d in at.dataframe if "paper_id" in d.value.columns]
    assert lists, "a paper list appears beneath the chart"
    shown = set(lists[0]["paper_id"])
    expected = set(papers.filter((pl.col("listed") >= dt.date(2025, 3, 1))
                                 & (pl.col("listed") < dt.date(2025, 4, 1)))["paper_id"])
    assert shown == expected
    assert len(shown) > 10


def test_a_click_event_becomes_the_pick_that_lists_papers(papers):
    from analysis.filters import Filters
    from analysis.store import Store
    from analysis.trends import paper_frame
    from dashboard.components import drill

    # the shape st.altair_chart returns for a click on a bar (temporal field in epoch ms)
    ms = int(dt.datetime(2025, 3, 1, tzinfo=dt.UTC).timestamp() * 1000)
    event = {"selection": {"pick": [{"period": ms}]}}
    pick = drill.from_event("papers-per-period", event)
    assert pick == drill.Pick("papers-per-period", {"period": dt.date(2025, 3, 1)})
    assert drill.decode(pick.encode()) == pick
    lf = paper_frame(Store(BUNDLED))
    for basis in ("listed", "published"):  # Filters() is the listed basis
        shown = drill.papers_for(lf, Filters() if basis == "listed" else Filters(basis=basis),
                                 pick)
        march = papers.filter(pl.col(basis).dt.strftime("%Y-%m") == "2025-03")
        assert set(shown["paper_id"]) == set(march["paper_id"])
        assert shown["upvotes"].drop_nulls().is_sorted(descending=True)
        assert shown["date"].to_list() == [
            papers.filter(pl.col("paper_id") == p)[basis].item() for p in shown["paper_id"]]
    assert drill.from_event("x", {"selection": {"pick": []}}) is None


def test_top_paper_lists_show_the_date_of_the_basis(papers):
    """Lists made from top_papers (no ``date`` column) date each paper on the filters' basis."""
    from analysis import trends
    from analysis.filters import Filters
    from analysis.store import Store
    from dashboard.components import drill

    lf = trends.paper_frame(Store(BUNDLED))
    dates = {}
    for basis in ("listed", "published"):
        top = trends.top_papers(lf, Filters(basis=basis), n=50)
        shown = drill.as_list(top.lazy(), basis)
        expected = papers.select("paper_id", basis).rename({basis: "date"})
        joined = shown.select("paper_id", "date").join(expected, on="paper_id", suffix="_table")
        assert joined.height == shown.height == 50
        assert (joined["date"] == joined["date_table"]).all(), basis
        dates[basis] = dict(zip(shown["paper_id"], shown["date"], strict=True))
    both = set(dates["listed"]) & set(dates["published"])
    assert any(dates["listed"][p] != dates["published"][p] for p in both)


def test_a_picked_upvote_bin_lists_papers_in_that_bin(papers):
    at = run("upvotes.py", pick="upvote-distribution|bin_high=200|bin_low=100")
    lists = [d.value for d in at.dataframe if "paper_id" in d.value.columns]
    got = set(lists[0]["paper_id"])
    expected = set(papers.filter(pl.col("upvotes").is_between(100, 199)
                                 & pl.col("listed").is_not_null())["paper_id"])
    assert got == expected
    assert len(got) > 5


def test_paper_detail_opens_from_the_url(papers):
    top = papers.sort("upvotes", descending=True, nulls_last=True).row(0, named=True)
    at = run("papers.py")
    at.text_input(key="w_search").set_value(top["title"].split(":")[0]).run()
    at.session_state["w_paper"] = top["paper_id"]
    at.run()
    ok(at)
    html = " ".join(m.value for m in at.markdown)
    assert "paper-title" in html
    assert any(b.label == "Close paper" for b in at.button)
    links = [getattr(lb, "url", None) or lb.proto.url for lb in at.get("link_button")]
    assert f"https://arxiv.org/abs/{top['paper_id']}" in links
    assert at.query_params["paper"] == top["paper_id"]


def test_search_narrows_the_table(papers):
    at = run("papers.py")
    everything = len(at.dataframe[0].value)
    at.text_input(key="w_search").set_value("speculative decoding").run()
    ok(at)
    found = at.dataframe[0].value
    assert 0 < len(found) < everything
    texts = papers.filter(pl.col("paper_id").is_in(list(found["paper_id"]))).select(
        (pl.col("title") + " " + pl.col("abstract").fill_null("")).str.to_lowercase())
    assert texts.height == len(found)
    assert all("speculative decod" in t for t in texts.to_series())


def test_no_heavy_imports_on_a_warm_start():
    """The dashboard must not import torch, umap, bertopic or sentence_transformers."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=90).run()\n"
        "assert not at.exception, [e.message for e in at.exception]\n"
        "for p in ('topics.py','keywords.py','upvotes.py','papers.py'):\n"
        "    at.switch_page('app_pages/' + p).run(); assert not at.exception\n"
        "at.session_state['w_paper'] = at.dataframe[0].value['paper_id'].iloc[0]\n"
        "at.run(); assert not at.exception\n"
        "assert any(b.key and b.key.startswith('sim_') for b in at.button), 'similar papers'\n"
        "heavy = [m for m in ('torch','umap','bertopic','sentence_transformers','hdbscan')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    env = dict(os.environ, PAPERTRENDS_STORE=str(BUNDLED))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "HEAVY []" in out.stdout, out.stdout


def test_downloads_are_made_from_the_view_the_chart_shows():
    """The download buttons' files come from analysis.views.render on the very View drawn."""
    from analysis.filters import Filters
    from analysis.store import Store
    from analysis.trends import paper_frame
    from analysis.views import render as export
    from analysis.views.registry import build_view
    from dashboard.components import downloads as exports

    at = run(period="quarter", min_upvotes="5")
    labels = [b.label for b in at.download_button]
    assert {"PNG 2x", "SVG", "HTML", "CSV", "Report (HTML)", "Report files (zip)"} <= set(labels)
    lf = paper_frame(Store(BUNDLED))
    v = build_view("papers-per-period", lf, Filters(period="quarter", min_upvotes=5))
    png = exports.maker(v, "png")()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert exports.maker(v, "csv")().decode() == export.to_csv(v)
    assert exports.file_name(v, "csv").endswith(".csv")
    assert "/" not in exports.file_name(v, "csv")
    top = pl.DataFrame({"paper_id": ["x"], "title": ["<b>A title</b>"]})
    page = exports.report_maker(Store(BUNDLED), lf, v.filters, [v], "papertrends overview",
                                lambda: {"Top papers": top}, "html")().decode()
    assert "Papers per quarter" in page
    assert "upvotes &gt;= 5" in page
    assert "Top papers" in page
    assert "&lt;b&gt;A title&lt;/b&gt;" in page
    assert exports.report_maker(Store(BUNDLED), lf, v.filters, [v], "t", None,
                                "zip")()[:2] == b"PK"


@pytest.mark.parametrize("query", [
    {"from": "2025-05-01", "to": "2025-01-01"}, {"period": "bogus", "basis": "x"},
    {"min_upvotes": "-5"}, {"topic": ["abc", "99999"]}, {"pick": "garbage"},
    {"pick": "papers-per-period|period=notadate"}, {"from": "1900-01-01", "to": "2999-01-01"},
])
def test_hand_edited_urls_never_break_the_app(query, papers):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    # every bad value falls back: all papers with a listing day (the default basis) are counted
    assert n(metric(at, "Papers")) == papers.filter(pl.col("listed").is_not_null()).height


def test_a_picked_keyword_point_lists_the_matching_papers_and_highlights(papers):
    at = run("keywords.py", q="reinforcement learning",
             pick="keyword-trend|period=2025-03-01|phrase=reinforcement learning")
    lists = [d.value for d in at.dataframe if "paper_id" in d.value.columns]
    assert lists, "the papers behind the point are listed"
    sep = r"[\s\-\u2010-\u2013]+"
    pattern = rf"(?i)\breinforcement{sep}learnings?\b"
    march = papers.filter(
        (pl.col("listed").dt.strftime("%Y-%m") == "2025-03")
        & (pl.col("title").str.contains(pattern)
           | pl.col("abstract").fill_null("").str.contains(pattern)))
    assert set(lists[0]["paper_id"]) == set(march["paper_id"])
    assert march.height > 3
    first = lists[0]["paper_id"].iloc[0]
    at.session_state["w_paper"] = first
    at.run()
    html = " ".join(m.value for m in at.markdown if m.proto.allow_html)
    assert "<mark>" in html, "the phrase is highlighted"
