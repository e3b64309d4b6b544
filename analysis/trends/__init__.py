"""Trend analytics: pure Polars functions, a paper frame and Filters in, a tidy frame out.

No Streamlit, no file I/O beyond reading the store in :func:`paper_frame`. The dashboard, the
exports and the CLI all draw on these. The work is split into small modules re-exported here:

* :mod:`analysis.trends.frame` - ``paper_frame``, ``papers_per_period``, the period axis
* :mod:`analysis.trends.shares` - ``topic_frequency``, ``emerging_topics``
* :mod:`analysis.trends.keywords` - ``keyword_trend``, ``match_papers``, ``phrase_pattern``
* :mod:`analysis.trends.upvotes` - ``upvote_distribution``, ``upvote_stats``, ``top_papers``
* :mod:`analysis.trends.phrases` - ``rising_phrases``
* :mod:`analysis.trends.stats` - Wilson interval, binomial trend test, G²
"""

from __future__ import annotations

from analysis.trends.frame import (
    LEVELS,
    OUTLIER_LABEL,
    paper_frame,
    papers_per_period,
    period_axis,
)
from analysis.trends.keywords import (
    FIELDS,
    MAX_PHRASES,
    SMALL_PERIOD,
    check_phrases,
    keyword_trend,
    match_expr,
    match_papers,
    phrase_hits,
    phrase_list,
    phrase_pattern,
)
from analysis.trends.phrases import RISING_METHOD, rising_phrases
from analysis.trends.shares import (
    EMERGING_FIRTH,
    EMERGING_METHOD,
    emerging_topics,
    topic_frequency,
    topic_sizes,
)
from analysis.trends.stats import wilson
from analysis.trends.upvotes import (
    log_bins,
    top_papers,
    upvote_distribution,
    upvote_null_count,
    upvote_stats,
)

__all__ = [
    "EMERGING_FIRTH", "EMERGING_METHOD", "FIELDS", "LEVELS", "MAX_PHRASES", "OUTLIER_LABEL",
    "RISING_METHOD", "SMALL_PERIOD", "check_phrases", "emerging_topics", "keyword_trend",
    "log_bins", "match_expr", "match_papers", "paper_frame", "papers_per_period", "period_axis",
    "phrase_hits", "phrase_list", "phrase_pattern", "rising_phrases", "top_papers",
    "topic_frequency", "topic_sizes", "upvote_distribution", "upvote_null_count", "upvote_stats",
    "wilson",
]
