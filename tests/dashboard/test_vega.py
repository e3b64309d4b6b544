"""The specs the dashboard draws: a view drawn from a template has exactly the spec of its chart."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from analysis import trends
from analysis.filters import Filters
from analysis.store import Store
from analysis.views import registry
from dashboard.components import vega
from tests.support.paths import REPO

#: Filters that grey out different papers of the map (the spec differs in data and caption).
MAP_FILTERS = [
    Filters(),
    Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30)),
    Filters(min_upvotes=20),
    Filters(topics=(0, 3)),
    Filters(basis="published", min_upvotes=5),
]


def same_but_view_names(spec: dict) -> str:
    """The spec as JSON, with Altair's view names (a hash of the chart and its data) made one."""
    return re.sub(r"view_[0-9a-f]+_(\d+)", r"view_\1", json.dumps(spec, sort_keys=True,
                                                                  default=repr))


@pytest.fixture(scope="module")
def lf():
    return trends.paper_frame(Store(REPO / "data")).collect().lazy()


@pytest.mark.parametrize("search", ["", "diffusion"])
def test_a_map_from_its_template_is_the_spec_of_its_chart(lf, search):
    vega._TEMPLATES.clear()
    first = registry.build_view("topic-map", lf, MAP_FILTERS[0], search=search)
    vega.spec_of(first)
    assert first.template in vega._TEMPLATES
    for filters in MAP_FILTERS[1:]:
        view = registry.build_view("topic-map", lf, filters, search=search)
        drawn = vega.spec_of(view)
        assert "chart" not in view.__dict__  # drawn without building the Altair chart
        assert same_but_view_names(drawn) == same_but_view_names(vega.to_spec(view.chart))
    assert len(drawn["datasets"]) == 1


#: (view, options) as the pages draw them.
DRAWN = [
    ("papers-per-period", {}),
    ("topic-trend", {"measure": "share", "stacked": True}),
    ("topic-trend", {"measure": "count", "stacked": True}),
    ("topic-trend", {"measure": "share", "stacked": False}),
    ("topic-trend", {"measure": "count", "stacked": False, "top": 0, "bands": False}),
    ("keyword-trend", {"phrases": ["diffusion", "agent"], "measure": "share"}),
    ("keyword-trend", {"phrases": ["diffusion"], "measure": "count"}),
    ("upvote-distribution", {}),
    ("upvotes-by-topic", {}),
    ("upvotes-by-period", {}),
    ("emerging", {}),
    ("rising", {}),
]
#: Filter changes like the sidebar's (the bench's): dates, period, minimum upvotes, basis.
CHANGES = [
    Filters(start=dt.date(2024, 6, 1) + dt.timedelta(days=17 * i),
            end=dt.date(2024, 6, 1) + dt.timedelta(days=17 * i + 300),
            period=("week", "month", "quarter", "year")[i % 4], min_upvotes=(i * 3) % 40,
            basis=("listed", "published")[(i // 4) % 2])
    for i in range(0, 40, 3)
] + [Filters(), Filters(period="quarter"), Filters(period="quarter", min_upvotes=2),
     Filters(topics=(1,), period="week"), Filters(topics=(1,), period="week", min_upvotes=1)]


@pytest.mark.parametrize(("name", "options"), DRAWN,
                         ids=[f"{n}-{'-'.join(map(str, o.values()))}" for n, o in DRAWN])
def test_every_view_from_a_template_is_the_spec_of_its_chart(lf, name, options):
    vega._TEMPLATES.clear()
    reused = 0
    for filters in CHANGES:
        view = registry.build_view(name, lf, filters, **options)
        reused += view.template in vega._TEMPLATES
        drawn = vega.spec_of(view)
        assert same_but_view_names(drawn) == same_but_view_names(vega.to_spec(view.chart)), \
            filters
    assert reused  # some filter changes kept the shape of the chart


@pytest.mark.parametrize(("name", "options"), DRAWN[:2] + DRAWN[5:6],
                         ids=["papers-per-period", "topic-trend", "keyword-trend"])
def test_a_new_date_range_or_period_is_drawn_from_a_template(lf, name, options):
    # the first view of the time charts makes its template at every period size; later date
    # ranges and periods put their own axis ticks and topic colours in (the test above checks
    # the specs): only a view whose shape differs (some incomplete period or none) misses
    vega._TEMPLATES.clear()
    shapes: set[bool] = set()
    for filters in CHANGES:
        view = registry.build_view(name, lf, filters, **options)
        shape = bool(view.data.get_column("incomplete").any())
        assert (view.template in vega._TEMPLATES) == (shape in shapes), filters
        shapes.add(shape)
        vega.spec_of(view)
    assert shapes == {True, False}


@pytest.mark.parametrize("every", ["month", "quarter"])
def test_a_topic_words_grid_from_its_template_is_the_spec_of_its_chart(every):
    from analysis.topics.artifacts import read_topic_words
    from analysis.views.topic_words import topic_words_view

    words = read_topic_words(Store(REPO / "data"), every)
    topic = int(words.get_column("topic").min())
    vega._TEMPLATES.clear()
    reused = 0
    for filters in [*CHANGES, Filters(min_upvotes=3), Filters(basis="published")]:
        view = topic_words_view(words, topic=topic, label="t", every=every, filters=filters)
        reused += view.template in vega._TEMPLATES
        drawn = vega.spec_of(view)
        assert same_but_view_names(drawn) == same_but_view_names(vega.to_spec(view.chart)), \
            filters
    assert reused  # filters that keep the same periods share the spec


def test_a_template_whose_dataset_is_not_the_plotted_frame_is_not_kept(lf):
    vega._TEMPLATES.clear()
    view = registry.build_view("topic-map", lf, Filters(min_upvotes=7))
    other = registry.build_view("topic-map", lf, Filters(min_upvotes=8))
    vega._keep_template(view, vega.to_spec(other.chart))  # another frame than view's
    assert view.template not in vega._TEMPLATES


def test_the_page_listens_to_the_selections_of_the_spec(lf):
    spec = vega.to_spec(registry.build_view("topic-map", lf, Filters()).chart)
    assert vega.selections(spec) == {"pick"}  # the zoom is bound to the scales
    spec = vega.to_spec(registry.build_view("papers-per-period", lf, Filters()).chart)
    assert vega.selections(spec) == {"pick", "span"}


def test_the_topic_counts_of_a_filter_change_are_computed_once(lf):
    from analysis.trends.shares import topic_counts

    filters = Filters(min_upvotes=4, period="quarter")
    first = topic_counts(lf, filters)
    assert topic_counts(lf, filters) is first  # the topic trend, then the headline counts
    assert int(first.counts.sum()) == trends.topic_frequency(lf, filters)["count"].sum()
    other = topic_counts(lf, Filters(min_upvotes=5))
    assert other is not None
    assert int(other.counts.sum()) < int(first.counts.sum())


def test_the_coverage_strip_of_any_span_is_its_template_with_that_spans_months():
    from analysis import coverage
    from analysis.views.charts import plot_data
    from analysis.views.coverage import coverage_strip, strip_data

    store = Store(REPO / "data")
    table = coverage.coverage_table(trends.paper_frame(store).collect(),
                                    coverage.read_listings(store))
    template = vega.to_spec(coverage_strip(strip_data(table)))
    spans = [(None, None), (dt.date(2024, 6, 1), dt.date(2024, 12, 31)),
             (dt.date(2025, 3, 15), dt.date(2025, 3, 20)), (dt.date(2026, 1, 1), None)]
    for first, last in spans:
        data = strip_data(table, first, last)
        drawn = vega.with_dataset(template, plot_data(data))
        assert same_but_view_names(drawn) == \
            same_but_view_names(vega.to_spec(coverage_strip(data))), (first, last)
        (rows,) = drawn["datasets"].values()
        assert len(rows) > 0
    with pytest.raises(ValueError, match="exactly one dataset"):
        vega.with_dataset({"datasets": {}}, table)
