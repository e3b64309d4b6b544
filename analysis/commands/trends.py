"""Commands: trend, topic-trend, upvotes, emerging, rising (all on analysis.trends)."""

from __future__ import annotations

import argparse

import polars as pl

from analysis.commands.common import (
    add_filter_args,
    add_output_args,
    emit,
    filters_from,
    open_frame,
)
from analysis.names import TEXT_FIELDS
from analysis.schema import InputError
from analysis.trends import (
    emerging_topics,
    keyword_trend,
    phrase_index,
    rising_phrases,
    top_papers,
    topic_frequency,
    upvote_distribution,
    upvote_null_count,
    upvote_stats,
)
from analysis.trends.frame import LEVELS
from analysis.trends.upvotes import MATURE_DAYS, parse_age
from analysis.views.registry import MEASURES


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _age(text: str) -> int | None:
    try:
        return parse_age(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(f"{err.message} ({err.hint})") from None


def _field_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--field", choices=TEXT_FIELDS, default="both",
                   help="match in the title, the abstract or both (default)")


def _measure_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--measure", choices=MEASURES, default=None,
                   help="print only the share (with its 95%% interval) or only the count "
                   "(default: both)")


def _measured(df, measure: str | None):
    """The columns of one measure (the period total stays): share and interval, or count."""
    drop = {"share": ("count",), "count": ("share", "ci_low", "ci_high", "small")}.get(
        measure or "", ())
    return df.drop([c for c in drop if c in df.columns])


def _common(p: argparse.ArgumentParser, func) -> None:
    """The filter and output options every command here takes, and its handler."""
    add_filter_args(p)
    add_output_args(p)
    p.set_defaults(func=func)


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser("trend", help="papers per period that mention one or more phrases",
                       description="Count, per period, the papers whose title/abstract mention "
                       "each phrase (case-insensitive, whole words, hyphen = space, plural -s), "
                       "with the share of the period's papers and a 95%% Wilson interval.")
    p.add_argument("phrases", nargs="+", metavar="PHRASE")
    p.add_argument("--regex", action="store_true", help="take each PHRASE as a regular expression")
    _field_arg(p)
    _measure_arg(p)
    _common(p, cmd_trend)

    p = sub.add_parser("topic-trend", help="papers per period and topic (or group), with shares",
                       description="Per period and topic: papers, all papers of the period, "
                       "share and its 95%% Wilson interval; the outlier topic -1 included. "
                       "--level group counts the topic groups instead (outliers: group -1).")
    p.add_argument("--level", choices=LEVELS, default="topic",
                   help="fine topics (default) or the groups above them")
    _measure_arg(p)
    _common(p, cmd_topic_trend)

    p = sub.add_parser("upvotes", help="upvote distribution, or statistics per topic/period",
                       description="Without --by: papers per log-spaced upvote bin. With --by: "
                       "n, median, quartiles, 90th percentile and max per topic or period "
                       "(per period: early and matured counts apart). Papers without an upvote "
                       "count are left out and counted (n_null). Counts read on the listing day "
                       "are far lower than later ones: --upvote-age 30d keeps only counts read "
                       "at least 30 days after listing.")
    p.add_argument("--by", choices=("topic", "period"), default=None)
    p.add_argument("--upvote-age", type=_age, default=None, metavar="AGE",
                   help="only counts read at least AGE after listing: 30d, 4w or all (default)")
    p.add_argument("--top", type=_positive, default=None, metavar="N",
                   help="list the N most upvoted papers (of each topic/period with --by)")
    _common(p, cmd_upvotes)

    p = sub.add_parser("emerging", help="topics whose share grew over the last K periods",
                       description="Rank topics by the slope of their share over the last K "
                       "periods (binomial GLM, logit link) with a likelihood-ratio p-value.")
    p.add_argument("-k", "--periods", dest="k", type=_positive, default=6,
                   help="number of recent periods (default 6)")
    p.add_argument("--min-size", type=_positive, default=10,
                   help="leave out topics with fewer papers in the window (default 10)")
    _common(p, cmd_emerging)

    p = sub.add_parser("rising", help="1-3-word phrases whose share grew most recently",
                       description="Compare the last --recent months with the --baseline "
                       "months before: phrases ranked by log-likelihood G2, with p and q values.")
    p.add_argument("--recent", type=_positive, default=3, help="recent window in months (3)")
    p.add_argument("--baseline", type=_positive, default=12, help="baseline in months (12)")
    p.add_argument("--min-support", type=_positive, default=5,
                   help="papers a phrase needs in the recent window (default 5)")
    p.add_argument("--max-words", type=int, choices=(1, 2, 3), default=3)
    p.add_argument("--limit", type=_positive, default=30, help="phrases to show (default 30)")
    _field_arg(p)
    _common(p, cmd_rising)


def _frame(args: argparse.Namespace, *, topics: bool = False) -> pl.LazyFrame:
    """The paper frame of the store; ``topics``: the command cannot do without the topics."""
    needs = topics or bool(args.topic) or bool(getattr(args, "group", None))
    args.store_opened, frame = open_frame(args, topics=needs)
    return frame


def _has_topics(args: argparse.Namespace, frame) -> None:

    if frame.select(pl.col("topic").is_not_null().any()).collect().item():
        return
    raise InputError(f"the store {args.store_opened.root} has no topics yet",
                     hint=f"run `papertrends fit --store {args.store_opened.root}` first")


def _has_groups(args: argparse.Namespace, frame) -> None:
    if frame.select(pl.col("group").is_not_null().any()).collect().item():
        return
    raise InputError(f"the topic model of {args.store_opened.root} has no topic groups",
                     field="level", hint=f"refit with `papertrends fit --store "
                     f"{args.store_opened.root} --force` to add them")


def cmd_trend(args: argparse.Namespace) -> int:
    """`papertrends trend`: print the keyword trend of the phrases; returns 0."""
    frame = _frame(args)
    df = keyword_trend(frame, args.phrases, filters_from(args), field=args.field,
                       regex=args.regex, index=phrase_index.load(args.store_opened))
    if args.json and "small" in df.columns:
        df = df.drop("small")
    emit(_measured(df, args.measure), args)
    return 0


def cmd_topic_trend(args: argparse.Namespace) -> int:
    """`papertrends topic-trend`: print papers and shares per period and topic; returns 0.

    Raises:
        InputError: the store has no topics yet.
    """
    frame = _frame(args, topics=True)
    _has_topics(args, frame)
    if args.level == "group":
        _has_groups(args, frame)
    df = topic_frequency(frame, filters_from(args), level=args.level)
    df = df.select(args.level, "label", "period", "count", "total", "share", "ci_low", "ci_high",
                   "small")
    df = df.drop("small") if args.json else df
    emit(_measured(df, args.measure), args)
    return 0


def cmd_upvotes(args: argparse.Namespace) -> int:
    """`papertrends upvotes`: print upvote bins, statistics ``--by`` topic/period, or top papers.

    Returns:
        0.

    Raises:
        InputError: ``--by topic`` on a store without topics.
    """
    frame, filters = _frame(args, topics=args.by == "topic"), filters_from(args)
    if args.by == "topic":
        _has_topics(args, frame)
    age = args.upvote_age
    if args.top:
        emit(top_papers(frame, filters, n=args.top, by=args.by, upvote_age=age), args)
    elif args.by:
        split = (age or MATURE_DAYS) if args.by == "period" else None
        emit(upvote_stats(frame, filters, by=args.by, upvote_age=age, split_at=split), args)
    else:
        emit(upvote_distribution(frame, filters, upvote_age=age), args)
        if not (args.json or args.csv):
            what = "an upvote count" if age is None else f"a count read {age}+ days after listing"
            print(f"papers without {what} (not in any bin): "
                  f"{upvote_null_count(frame, filters, upvote_age=age)}")
    return 0


def cmd_emerging(args: argparse.Namespace) -> int:
    """`papertrends emerging`: print topics ranked by the slope of their share; returns 0.

    Raises:
        InputError: the store has no topics yet, or ``--periods`` is below 3.
    """
    frame = _frame(args, topics=True)
    _has_topics(args, frame)
    if args.k < 3:
        raise InputError("--periods must be at least 3 to fit a trend", field="periods")
    df = emerging_topics(frame, filters_from(args), k=args.k, min_size=args.min_size)
    if args.json or args.csv or df.height == 0:
        emit(df, args)
        return 0
    w = df.row(0, named=True)
    emit(df.select("rank", "topic", "label", "slope", "p_value", "significant", "papers",
                   "first_share", "last_share"), args)
    print(f"window: {w['periods']} periods, {w['window_start']} to {w['window_end']}; "
          f"method: {w['method']}")
    return 0


def cmd_rising(args: argparse.Namespace) -> int:
    """`papertrends rising`: print the phrases that rose most in the recent window; returns 0."""
    df = rising_phrases(_frame(args), filters_from(args), recent_months=args.recent,
                        baseline_months=args.baseline, field=args.field,
                        min_support=args.min_support, max_words=args.max_words, limit=args.limit)
    if args.json or args.csv or df.height == 0:
        emit(df, args)
        return 0
    w = df.row(0, named=True)
    emit(df.select("phrase", "recent_count", "baseline_count", "recent_share", "baseline_share",
                   "g2", "p_value", "q_value"), args)
    print(f"recent {w['recent_start']} to {w['recent_end']} ({w['recent_papers']} papers) "
          f"against {w['baseline_start']} to {w['baseline_end']} ({w['baseline_papers']} papers); "
          f"{w['method']}")
    return 0
