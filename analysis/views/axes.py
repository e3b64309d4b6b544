"""Time on the charts: the period axis, period tooltips, the date brush, incomplete periods.

Periods travel to Vega as ISO day strings read as UTC days. Axis labels and tooltips format them
in UTC for the period size ("Mar 2025", "Q1 2025", "week of 03 Mar 2025"), so no tooltip ever
shows an epoch number. A period the data covers only in part (the current one, or one cut by the
date range) has ``incomplete`` set and is drawn hollow or dashed.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl

from analysis.names import BRUSH

#: Tick steps for a period axis, finest first: (Vega time unit, step, label format).
_TICKS = (
    ("week", 1, "%d %b"), ("week", 2, "%d %b"), ("month", 1, "%b %Y"), ("month", 2, "%b %Y"),
    ("month", 3, "%b %Y"), ("month", 6, "%b %Y"), ("year", 1, "%Y"), ("year", 2, "%Y"),
    ("year", 5, "%Y"), ("year", 10, "%Y"),
)
#: Days in one step of each unit (roughly), to count ticks; and the finest tick per period.
_UNIT_DAYS = {"week": 7, "month": 30.44, "year": 365.25}
_FINEST = {"week": 0, "month": 2, "quarter": 4, "year": 6}
MAX_TICKS = 12
#: How a period is named in tooltips and captions (d3 time format, read in UTC).
PERIOD_FORMAT = {"week": "week of %d %b %Y", "month": "%b %Y", "quarter": "Q%q %Y",
                 "year": "%Y"}
#: Period name -> (Vega time unit, step) for the end of a period's bar.
STEPS = {"week": ("week", 1), "month": ("month", 1), "quarter": ("month", 3), "year": ("year", 1)}


def period_ticks(df: pl.DataFrame, period: str = "month") -> tuple[str, int, str]:
    """(time unit, step, label format) for a period axis: one label per tick, at most ~12.

    Ticks are never finer than the period itself (a monthly chart never gets weekly ticks, so
    no label repeats), and the step grows until the frame's span holds at most ``MAX_TICKS``.
    Quarterly ticks are labelled by quarter ("Q1 2025").
    """
    first = _FINEST[period]
    dates = df.get_column("period") if "period" in df.columns else pl.Series([], dtype=pl.Date)
    dates = dates.cast(pl.Date, strict=False).drop_nulls()
    unit, step, fmt = _TICKS[first]
    if dates.len():
        start, end = date_span(dates)
        span = (end - start).days
        for unit, step, fmt in _TICKS[first:]:  # noqa: B007 - the first that fits is kept
            if span / (_UNIT_DAYS[unit] * step) + 1 <= MAX_TICKS:
                break
    if period == "quarter" and unit == "month":
        fmt = "Q%q %Y"
    return unit, step, fmt


def date_span(dates: pl.Series) -> tuple[dt.date, dt.date]:
    """The first and last day of a Date series that holds at least one day."""
    first, last = dates.min(), dates.max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    return first, last


def period_x(df: pl.DataFrame, period: str = "month", title: str | None = None) -> alt.X:
    """The x channel of a period axis: UTC days, one formatted label per tick."""
    spec = period_x_dict(df, period, title)
    return alt.X("period:T", title=spec["title"], scale=alt.Scale(type="utc"),
                 axis=alt.Axis(**spec["axis"]))


def period_x_dict(df: pl.DataFrame, period: str = "month", title: str | None = None) -> dict:
    """:func:`period_x` as its Vega-Lite JSON, with no Altair object (the template slots' axis)."""
    unit, step, fmt = period_ticks(df, period)
    ticks: dict = {"tickCount": {"interval": unit, "step": step}}
    if unit == "week" and "period" in df.columns and df.height:
        # Vega's weeks start on Sunday, the periods on Monday: tick the period starts themselves
        first, last = date_span(df.get_column("period"))
        days = pl.date_range(first, last, f"{7 * step}d", eager=True)
        ticks = {"values": [{"year": d.year, "month": d.month, "date": d.day, "utc": True}
                            for d in days]}
    return {"axis": {"format": fmt, "labelAngle": 0, "labelOverlap": True, **ticks},
            "field": "period", "scale": {"type": "utc"},
            "title": title if title is not None else period, "type": "temporal"}


def period_tip(period: str = "month", title: str = "period") -> alt.Tooltip:
    """A tooltip line naming the period ("Mar 2025"), formatted in UTC, never epoch ms."""
    return alt.Tooltip("utcyearmonthdate(period):T", title=title, format=PERIOD_FORMAT[period])


def period_name(day: dt.date, period: str = "month") -> str:
    """The name of the period starting on ``day``, as tooltips show it ("Mar 2025")."""
    if period == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return day.strftime(PERIOD_FORMAT[period].replace("%q", ""))


def brush() -> alt.Parameter:
    """The date brush: drag across the time axis to choose a date range (x only)."""
    return alt.selection_interval(name=BRUSH, encodings=["x"], empty=False)


def period_end(period: str) -> str:
    """A Vega expression for the first day after a period (a numeric field, no text)."""
    unit, step = STEPS[period]
    return f"utcOffset('{unit}', toDate(datum.period), {step})"


#: Columns that mark a period as incomplete: the data covers only part of its days
#: (``incomplete``, :mod:`analysis.views.periods`), or the store holds only part of its month's
#: full list (``partial``, :mod:`analysis.coverage`).
FLAGS = ("incomplete", "partial")


def _flagged(df: pl.DataFrame) -> str:
    """A Vega expression true for a row of an incomplete period ("" when no flag column)."""
    return " || ".join(f"datum.{c}" for c in FLAGS if c in df.columns)


def hollow_when_incomplete(df: pl.DataFrame, outline: str | None = None) -> dict:
    """Encodings that draw a bar of an incomplete period hollow, with a dashed outline.

    Args:
        df: the frame the chart plots (nothing changes without an ``incomplete`` or
            ``partial`` column).
        outline: the colour of that outline (other bars keep a thin white edge); None keeps
            the mark's own stroke.
    """
    test = _flagged(df)
    if not test:
        return {}
    def when(then, otherwise) -> dict:
        return dict(alt.when(test).then(alt.value(then)).otherwise(alt.value(otherwise)))

    # typed channels: Altair would otherwise infer each one's class from a dict (slowly)
    out: dict = {"fillOpacity": alt.FillOpacityValue(**when(0.25, 1.0)),
                 "strokeDash": alt.StrokeDashValue(**when([4, 2], [1, 0]))}
    if outline:
        out["stroke"] = alt.StrokeValue(**when(outline, "white"))
    return out


def incomplete_tip(df: pl.DataFrame) -> list[alt.Tooltip]:
    """A tooltip line that says whether a period is incomplete, in words."""
    if not _flagged(df):
        return []
    return [alt.Tooltip("coverage:N", title="incomplete period")]


def with_coverage(chart: alt.Chart, df: pl.DataFrame) -> alt.Chart:
    """Add the ``coverage`` words of :func:`incomplete_tip` (from the flag fields)."""
    words = []
    if "incomplete" in df.columns:
        words.append("datum.incomplete ? 'yes, the data covers part of it'")
    if "partial" in df.columns:
        words.append("datum.partial ? 'yes, the store holds only part of its list'")
    if not words:
        return chart
    return chart.transform_calculate(coverage=" : ".join([*words, "'no'"]))
