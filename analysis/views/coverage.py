"""The coverage strip: one cell per listing month, how much of its full list the store holds.

Drawn under the papers-per-period chart, on the same time axis: a month whose list the store
holds in full is dark, a partial one pale in proportion to its share (the share is printed in
it), a month whose full list is unknown grey. The data is
:func:`analysis.coverage.coverage_table`.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import numpy as np
import polars as pl

from analysis.trends import memo
from analysis.views.charts import plot_data, sized

#: Colours: the share of the list held (0 -> 1), and months whose list size is unknown.
SHARE_SCHEME = ("#fde2c4", "#2f6f9f")
UNKNOWN_COLOUR = "#d9d9d9"


def strip_data(table: pl.DataFrame, first: dt.date | None = None,
               last: dt.date | None = None) -> pl.DataFrame:
    """The coverage table's months between two days, with ``start`` and ``end`` dates.

    The months with their dates are made once per table (kept while it lives); a span is then
    a mask over a few dozen rows (the Overview asks on every change of the date range).
    """
    data = memo.whole(table, "strip-months", lambda: table.with_columns(
        start=pl.col("month").str.to_date("%Y-%m"),
    ).with_columns(end=pl.col("start").dt.offset_by("1mo")).select(
        "month", "start", "end", "papers", "listing", "share", "status"))
    if first is None and last is None:
        return data
    keep = np.ones(data.height, dtype=bool)
    if first is not None:
        keep &= data["end"].to_numpy() > np.datetime64(first, "D")
    if last is not None:
        keep &= data["start"].to_numpy() <= np.datetime64(last, "D")
    return data.filter(pl.Series(keep))


def coverage_strip(data: pl.DataFrame, title: str = "Coverage of each month's list") -> alt.Chart:
    """A one-row strip of months coloured by the share of the list held (grey: unknown)."""
    base = alt.Chart(plot_data(data)).encode(
        x=alt.X("start:T", title=None, scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True)),
        x2="end:T",
        tooltip=[alt.Tooltip("month:N"), alt.Tooltip("papers:Q", title="papers held"),
                 alt.Tooltip("listing:Q", title="papers listed"),
                 alt.Tooltip("share:Q", format=".0%"), alt.Tooltip("status:N")],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.when(alt.datum.status == "unknown").then(alt.value(UNKNOWN_COLOUR)).otherwise(
            alt.Color("share:Q", title="share of the list held",
                      scale=alt.Scale(domain=[0, 1], range=list(SHARE_SCHEME),
                                      interpolate="rgb"),
                      legend=alt.Legend(format=".0%", orient="right", gradientLength=60))),
    )
    labels = base.transform_filter("datum.status == 'partial'").mark_text(
        fontSize=9, color="#333", baseline="middle", dx=0).encode(
        text=alt.Text("share:Q", format=".0%"),
        x=alt.X("mid:T"),
    ).transform_calculate(mid="(toDate(datum.start) + toDate(datum.end)) / 2")
    # sized: the same padding and autosize as every chart, so the title is never clipped
    return sized(alt.layer(cells, labels), title,
                 "dark: the full list held; pale: only part (share printed); grey: full list "
                 "unknown", height=34)
