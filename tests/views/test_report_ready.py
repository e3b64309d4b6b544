"""Charts fit for a report, read from their Vega-Lite and Vega specs (issue 13).

Dates in words in every tooltip and axis, stacks that hold every paper of a period, empty
periods as gaps and incomplete ones marked, a topic map with a fixed layout and a legend entry
and colour for every topic, captions that name topics by label. Built on the bundled store.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import polars as pl
import pytest
import vl_convert

from analysis.filters import Filters
from analysis.names import (
    OTHER_TOPICS,
    OTHER_TOPICS_LABEL,
    OUTLIER,
    OUTLIER_LABEL,
    PERIODS,
    UNASSIGNED,
    UNASSIGNED_LABEL,
)
from analysis.store import Store
from analysis.trends import paper_frame
from analysis.trends.shares import TopicCounts
from analysis.views import colours, topic_bands
from analysis.views.registry import VIEWS, build_view
from analysis.views.render import to_html, to_svg
from tests.support.paths import REPO

BUNDLED = REPO / "data"
TIME_VIEWS = ("papers-per-period", "topic-trend", "keyword-trend", "upvotes-by-period")
EPOCH = re.compile(r"\b1[5-9]\d{11}\b")  # epoch milliseconds of 2017 .. 2033


@pytest.fixture(scope="module")
def lf() -> pl.LazyFrame:
    return paper_frame(Store(BUNDLED)).collect().lazy()


@pytest.fixture(scope="module")
def papers() -> pl.DataFrame:
    """The bundled table with its topics, read from the files (not through the views)."""
    table = pl.read_parquet(BUNDLED / "papers.parquet")
    topics = pl.read_parquet(BUNDLED / "topics" / "assignments.parquet")
    return table.join(topics.select("paper_id", "topic"), on="paper_id", how="left")


def found(node, key: str):
    """Every value stored under ``key`` anywhere in a spec."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            if k != "datasets":
                yield from found(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from found(v, key)


def tooltips(spec: dict) -> list[dict]:
    out = []
    for tip in found(spec, "tooltip"):
        out += tip if isinstance(tip, list) else [tip] if isinstance(tip, dict) else []
    return out


def svg_words(svg: str) -> str:
    """The words a rendered chart shows or reads out: its text elements and aria labels."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    labels = re.findall(r'aria-label="([^"]*)"', svg)
    return "\n".join(texts + labels)


def spec_in_html(page: str) -> dict:
    """The Vega-Lite spec an exported HTML page hands to vegaEmbed."""
    text = page.split("const spec = ", 1)[1].split(";\n", 1)[0]
    return json.loads(text)


def check_dates_in_words(spec: dict, where: str) -> None:
    for tip in tooltips(spec):
        assert "title" in tip, (where, tip)  # a word for every field, never its column name
        if tip.get("type") == "temporal" or "period" in tip.get("field", ""):
            assert tip["type"] == "temporal", (where, tip)
            assert tip.get("timeUnit", "").startswith("utc"), (where, tip)
            assert tip.get("format"), (where, tip)
    for x in found(spec, "x"):
        if isinstance(x, dict) and x.get("type") == "temporal":
            assert x["axis"]["format"], where
    vega = vl_convert.vegalite_to_vega(spec)
    for signal in found(vega, "signal"):
        if isinstance(signal, str) and signal.startswith("{") and "period" in signal:
            for m in re.finditer(r'datum\["[a-z_]*period"\]', signal):
                assert signal[:m.start()].endswith("utcFormat("), (where, signal)


@pytest.mark.parametrize("period", list(PERIODS))
def test_no_tooltip_or_axis_shows_an_epoch_number(lf, period):
    for name in TIME_VIEWS:
        view = build_view(name, lf, Filters(period=period), phrases=["diffusion"])
        check_dates_in_words(view.chart.to_dict(), f"{name} {period}")
        assert not EPOCH.search(svg_words(to_svg(view.chart))), name


def test_exported_html_and_svg_show_no_epoch_number(lf):
    for name in VIEWS:
        view = build_view(name, lf, Filters(period="quarter"), phrases=["diffusion"])
        page = to_html(view.chart)
        check_dates_in_words(spec_in_html(page), name)
        assert not EPOCH.search(svg_words(to_svg(view.chart))), name


def test_tooltips_name_periods_in_words():
    vega = vl_convert.vegalite_to_vega(build_view(
        "papers-per-period", paper_frame(Store(BUNDLED)), Filters(period="quarter"))
        .chart.to_dict())
    tips = [s for s in found(vega, "signal") if isinstance(s, str) and '"papers"' in s]
    assert any('utcFormat(datum["utcyearmonthdate_period"], "Q%q %Y")' in s for s in tips)


@pytest.mark.parametrize("filters", [
    Filters(), Filters(period="week"), Filters(basis="published"), Filters(topics=(15, 18)),
    Filters(min_upvotes=10, period="quarter"),
])
def test_stacked_shares_hold_every_paper_of_a_period(lf, papers, filters):
    view = build_view("topic-trend", lf, filters)
    data = view.data
    sums = data.group_by("period").agg(pl.col("share").sum(), pl.col("count").sum(),
                                       pl.col("total").first())
    full = sums.filter(pl.col("total") > 0)
    assert full.height > 0
    assert (full["share"] - 1).abs().max() < 1e-9
    assert (full["count"] == full["total"]).all()
    # the period totals are the papers of the period, counted here from the table
    col = filters.basis
    kept = papers.filter(pl.col(col).is_not_null())
    if filters.min_upvotes:
        kept = kept.filter(pl.col("upvotes") >= filters.min_upvotes)
    assert full["count"].sum() == kept.height
    # more topics than drawn one by one: the rest is one grey band, on top of the stack
    assert OTHER_TOPICS in data["topic"].to_list()
    scale = view.chart.to_dict()["encoding"]["color"]["scale"]
    bands = [d for d in scale["domain"] if d in (OTHER_TOPICS_LABEL, OUTLIER_LABEL)]
    assert bands[0] == OTHER_TOPICS_LABEL
    assert scale["domain"][-len(bands):] == bands  # the grey bands come last, other topics first
    at = scale["domain"].index(OTHER_TOPICS_LABEL)
    assert scale["range"][at] == colours.NEUTRAL[OTHER_TOPICS]


@pytest.mark.parametrize("picked", [(), (0,), "topics"])
def test_group_level_stacks_hold_every_paper_too(lf, picked):
    groups = sorted(g for g in lf.select("group").unique().collect()["group"].to_list() if g >= 0)
    assert 8 <= len(groups) <= 15
    filters = (Filters(topics=(15,)) if picked == "topics"
               else Filters(groups=tuple(groups[i] for i in picked)))
    view = build_view("topic-trend", lf, filters, level="group")
    data = view.data
    assert "group" in data.columns
    assert "topic" not in data.columns
    sums = data.group_by("period").agg(pl.col("share").sum(), pl.col("count").sum(),
                                       pl.col("total").first()).filter(pl.col("total") > 0)
    assert (sums["share"] - 1).abs().max() < 1e-9
    assert (sums["count"] == sums["total"]).all()
    drawn = {g for g in data["group"].unique().to_list() if g >= 0}
    if picked == "topics":  # the group of the picked topic, the rest in the grey band
        of_15 = lf.filter(pl.col("topic") == 15).select("group").unique().collect()["group"]
        assert drawn == set(of_15.to_list())
    else:
        assert drawn == ({groups[i] for i in picked} or set(groups))
    assert (OTHER_TOPICS in data["group"].to_list()) == bool(picked)
    pick = [p for p in view.chart.to_dict()["params"] if p["name"] == "pick"]
    assert pick[0]["select"]["fields"] == ["group", "period"]


def test_papers_without_a_topic_are_their_own_band(lf):
    unseen = lf.with_columns(pl.when(pl.col("paper_id").str.ends_with("1")).then(None)
                             .otherwise(pl.col("topic")).alias("topic"))
    data = build_view("topic-trend", unseen, Filters(period="quarter")).data
    band = data.filter(pl.col("topic") == UNASSIGNED)
    assert band.height > 0
    assert set(band["label"]) == {UNASSIGNED_LABEL}
    sums = data.group_by("period").agg(pl.col("share").sum()).filter(pl.col("share") > 0)
    assert (sums["share"] - 1).abs().max() < 1e-9


def test_a_given_unassigned_band_is_not_counted_twice():
    """When the topic counts themselves hold the not-yet-assigned papers (the store's band)."""
    day = dt.date(2025, 1, 1)
    got = TopicCounts(axis=pl.DataFrame({"period": [day]}),
                      ids=np.array([UNASSIGNED, OUTLIER, 0, 1]),
                      counts=np.array([[1, 1, 5, 3]]), totals=np.array([10]))
    labels = {UNASSIGNED: UNASSIGNED_LABEL, OUTLIER: "out", 0: "a", 1: "b"}
    out = topic_bands.with_bands(got, labels, [0])
    assert dict(zip(out["topic"], out["count"], strict=True)) == {
        0: 5, OUTLIER: 1, UNASSIGNED: 1, OTHER_TOPICS: 3}
    assert out["share"].sum() == pytest.approx(1.0)
    assert out["topic"].to_list() == [OTHER_TOPICS, UNASSIGNED, OUTLIER, 0]


def test_topic_colours_never_repeat_up_to_sixty_topics():
    assert len(set(colours.PALETTE)) == len(colours.PALETTE) == 60
    got = colours.topic_colours(pl.DataFrame({"topic": list(range(0, 120, 2))}))
    assert len({got[t] for t in range(0, 120, 2)}) == 60
    assert not set(got[t] for t in range(0, 120, 2)) & set(colours.NEUTRAL.values())


def test_past_sixty_topics_are_coloured_by_their_group():
    table = pl.DataFrame({"topic": list(range(90)), "group": [t % 9 for t in range(90)]})
    got = colours.topic_colours(table)
    assert len({got[t] for t in range(90)}) == 90  # still no two alike
    hue = {t: round(colours_hue(got[t]), 2) for t in range(90)}
    assert len({hue[t] for t in range(0, 90, 9)}) == 1  # one group, one hue
    assert len({hue[g] for g in range(9)}) == 9  # nine groups, nine hues


def colours_hue(hex_colour: str) -> float:
    import colorsys

    r, g, b = (int(hex_colour[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0]


def test_the_map_keeps_its_layout_lists_every_topic_and_greys_the_rest(lf):
    whole = build_view("topic-map", lf, Filters())
    one = build_view("topic-map", lf, Filters(topics=(15,), start=dt.date(2025, 1, 1)))

    def scales(view) -> list:
        return [x["scale"]["domain"] for x in found(view.chart.to_dict(), "x")
                if isinstance(x, dict) and "scale" in x]

    assert scales(whole) == scales(one)  # a filter never rescales the map
    assert one.data.height == whole.data.height  # every paper stays on it ...
    assert 0 < one.data["shown"].sum() < whole.data["shown"].sum()  # ... greyed when filtered
    spec = whole.chart.to_dict()
    legend = next(c["legend"] for c in found(spec, "color") if "legend" in c)
    assert legend["symbolLimit"] == 0
    assert legend["labelLimit"] == 0
    domain = next(c["scale"]["domain"] for c in found(spec, "color") if "scale" in c)
    labels = set(whole.data["label"].unique())
    assert set(domain) == labels
    meta = json.loads((BUNDLED / "topics" / "meta.json").read_text())
    assert len(labels) == meta["n_topics"] + int((whole.data["topic"] == OUTLIER).any())
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert any(t["encoding"]["text"]["field"] == "label" for t in texts)  # names at centres
    params = [p for ps in found(spec, "params") for p in ps]
    assert any(p["name"] == "zoom" and p.get("bind") == "scales" for p in params)


def test_the_map_search_marks_papers_without_an_expression(lf):
    view = build_view("topic-map", lf, Filters(), search="Diffusion")
    marked = view.data.filter(pl.col("match") > 0)
    assert 0 < marked.height <= topic_bands.MAX_MARKED
    assert all("diffusion" in t.lower() for t in marked["title"])
    assert "title search “Diffusion”" in view.caption
    exprs = [e for key in ("filter", "calculate", "test", "expr")
             for e in found(view.chart.to_dict(), key) if isinstance(e, str)]
    assert exprs
    assert not any("iffusion" in e for e in exprs)


def test_captions_name_topics_by_label_and_cut_no_label(lf, papers):
    table = pl.read_parquet(BUNDLED / "topics" / "topic_table.parquet")
    names = dict(table.select("topic", "label").iter_rows())
    view = build_view("topic-trend", lf, Filters(topics=(15, 18)))
    assert names[15] in view.caption
    assert names[18] in view.caption
    assert "topics 15, 18" not in view.caption
    detail = build_view("topic-trend", lf, Filters(topics=(13,)), measure="count",
                        stacked=False, top=0, bands=False)
    assert "all topics" not in detail.caption
    assert set(detail.data["topic"]) == {13}
    for name in VIEWS:
        spec = build_view(name, lf, Filters(), phrases=["diffusion"]).chart.to_dict()
        assert spec["title"]["limit"] == 0
        for legend in found(spec, "legend"):
            if isinstance(legend, dict):
                assert legend.get("labelLimit") == 0, name
        for y in found(spec, "y"):
            if isinstance(y, dict) and y.get("type") == "nominal":
                assert y["axis"]["labelLimit"] == 0, name


def test_empty_periods_are_gaps_not_zeros(lf):
    f = Filters(basis="published")
    shares = build_view("topic-trend", lf, f).data
    empty = shares.filter(pl.col("total") == 0)
    assert empty.height > 0
    assert empty["share"].null_count() == empty.height
    words = build_view("keyword-trend", lf, f, phrases=["diffusion"]).data
    assert words.filter(pl.col("total") == 0)["share"].null_count() > 0
    assert words.filter(pl.col("total") > 0)["share"].null_count() == 0
    counts = build_view("papers-per-period", lf, f).data
    assert counts.filter(pl.col("count") == 0).height == empty["period"].n_unique()


def test_incomplete_periods_are_drawn_hollow_and_named(lf):
    month = build_view("papers-per-period", lf, Filters())
    marked = month.data.filter(pl.col("incomplete"))["period"].to_list()
    assert marked == [dt.date(2023, 5, 1)]  # the data starts on 2023-05-04 (a Thursday) ...
    assert "May 2023 (data from 2023-05-04)" in month.caption  # ... and ends on a Friday
    # (the few Sunday listings of 2023-05..2024-11 do not make May 2026 incomplete)
    quarter = build_view("upvotes-by-period", lf, Filters(period="quarter"))
    assert quarter.data.filter(pl.col("incomplete"))["period"].to_list() == [
        dt.date(2023, 4, 1), dt.date(2026, 4, 1)]
    assert "Q2 2026 (data to 2026-05-29)" in quarter.caption
    cut = build_view("papers-per-period", lf, Filters(end=dt.date(2025, 6, 18)))
    assert cut.data["incomplete"].to_list()[-1]
    assert "Jun 2025 (data to 2025-06-18)" in cut.caption
    spec = month.chart.to_dict()
    for channel in ("fillOpacity", "strokeDash"):  # hollow, with a dashed outline
        # incomplete days, or only part of the month's list held (analysis.coverage)
        test = spec["encoding"][channel]["condition"][0]["test"]
        assert test == "datum.incomplete || datum.partial"
    lines = build_view("upvotes-by-period", lf, Filters(period="quarter")).chart.to_dict()
    dashed = [la for la in lines["layer"] if la["mark"].get("strokeDash")]
    assert dashed


def test_keyword_trend_draws_counts_or_shares(lf, papers):
    count = build_view("keyword-trend", lf, Filters(), phrases=["diffusion"], measure="count")
    layers = count.chart.to_dict()["layer"]
    assert {la["encoding"]["y"]["field"] for la in layers} == {"count"}
    assert "ci_low" not in json.dumps(layers[0]["encoding"]["y"])
    share = build_view("keyword-trend", lf, Filters(), phrases=["diffusion"])
    fields = {la["encoding"]["y"]["field"] for la in share.chart.to_dict()["layer"]}
    assert fields == {"ci_low", "share"}
    assert count.data["count"].sum() == share.data["count"].sum() > 0


def test_views_without_periods_ignore_the_period(lf):
    for name in ("topic-map", "upvote-distribution", "upvotes-by-topic", "rising"):
        weekly = build_view(name, lf, Filters(period="week"))
        monthly = build_view(name, lf, Filters())
        assert weekly.caption == monthly.caption, name
        assert "per " not in weekly.caption.split("\n")[0], name
        assert weekly.data.equals(monthly.data), name
