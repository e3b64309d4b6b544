"""Caption words on what a view's numbers cannot show: partial months and early upvote counts.

:func:`coverage_note` names the months the store holds only part of (from
:func:`analysis.coverage.partial_months`); :func:`age_note` says how many periods hold upvote
counts read soon after listing (see :mod:`analysis.trends.upvotes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from analysis.coverage import describe_partial
from analysis.filters import Filters
from analysis.trends import upvotes
from analysis.views.periods import next_start


def partial_in_range(data: pl.DataFrame, filters: Filters, partial: Sequence[str]) -> list[str]:
    """The partial months that fall in the periods of ``data`` (by listing day only)."""
    if filters.basis != "listed" or not partial or data.height == 0:
        return []
    first = data["period"].min()
    last = data["period"].max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    end = next_start(last, filters.period) - dt.timedelta(days=1)
    return [m for m in partial if first.strftime("%Y-%m") <= m <= end.strftime("%Y-%m")]


def coverage_note(data: pl.DataFrame, filters: Filters, partial: Sequence[str],
                  counts: bool) -> str:
    """Caption words on periods the store holds only part of (empty when there are none)."""
    months = partial_in_range(data, filters, partial)
    if not months:
        return ""
    if counts:
        return (f"hollow: only part of the list held ({describe_partial(months)}), so counts "
                "there show what was collected")
    return f"shares, not counts: only part of the list held in {describe_partial(months)}"


def age_note(lf: pl.LazyFrame, filters: Filters, upvote_age: int | None) -> str:
    """The caption's word on when the counts were read (how many periods hold early ones)."""
    if upvote_age is not None:
        return f"only counts read {upvote_age}+ days after listing"
    early, total = upvotes.early_periods(lf, filters, upvotes.MATURE_DAYS)
    if not early:
        return f"all counts read {upvotes.MATURE_DAYS}+ days after listing"
    return (f"{early} of {total} periods hold early counts (read < {upvotes.MATURE_DAYS} days "
            f"after listing, lower than later ones); upvote age {upvotes.MATURE_DAYS}d compares "
            "matured counts only")
