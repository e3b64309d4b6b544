"""Period axes: one label per tick, never a label twice, at most ~12 ticks (rendered SVG)."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from analysis.views import charts
from analysis.views.render import to_svg


def x_labels(svg: str) -> list[str]:
    """The visible tick labels of the rendered chart's x axis, left to right."""
    axis = svg.split('aria-label="X-axis', 1)[1]
    group = axis.split('role-axis-label', 1)[1].split("</g>", 1)[0]
    texts = re.findall(r"<text([^>]*)>([^<]*)</text>", group)
    return [text for attrs, text in texts if 'opacity="0"' not in attrs]


def months(first: dt.date, n: int) -> list[dt.date]:
    return pl.date_range(first, first + dt.timedelta(days=31 * n), "1mo", eager=True)[:n].to_list()


def frame(periods: list[dt.date]) -> pl.DataFrame:
    return pl.DataFrame({"period": periods, "count": list(range(1, len(periods) + 1))})


def test_four_months_label_each_month_once():
    df = frame(months(dt.date(2025, 1, 1), 4))
    labels = x_labels(to_svg(charts.papers_per_period(df, "t", "c", period="month")))
    assert len(labels) == len(set(labels)), labels
    assert labels[:4] == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"]


@pytest.mark.parametrize(("period", "periods"), [
    ("month", months(dt.date(2025, 1, 1), 2)),
    ("month", months(dt.date(2021, 3, 1), 45)),
    ("week", [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(6)]),
    ("week", [dt.date(2024, 1, 1) + dt.timedelta(weeks=i) for i in range(60)]),
    ("quarter", months(dt.date(2023, 1, 1), 16)[::3]),
    ("year", [dt.date(y, 1, 1) for y in range(2015, 2026)]),
])
def test_period_axes_never_repeat_a_label(period, periods):
    df = frame(periods)
    for chart in (charts.papers_per_period(df, "t", "c", period=period),
                  charts.upvotes_by_period(df.with_columns(median=1, q1=0, q3=2), "t", "c",
                                           period=period)):
        labels = x_labels(to_svg(chart))
        assert 2 <= len(labels) <= charts.MAX_TICKS + 1, labels
        assert len(labels) == len(set(labels)), labels


def test_weekly_ticks_sit_on_the_period_starts():
    df = frame([dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(4)])  # Mondays
    labels = x_labels(to_svg(charts.papers_per_period(df, "t", "c", period="week")))
    assert labels[:4] == ["06 Jan", "13 Jan", "20 Jan", "27 Jan"]
