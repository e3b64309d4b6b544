"""Topic words over time: BERTopic's ``topics_over_time`` per month, quarter and year.

Each topic's top c-TF-IDF words among its papers of one period, averaged with the topic's global
c-TF-IDF row (``global_tuning=True``) so that a period's words stay about the topic while showing
what moved. Written once at fit time as a small Parquet artifact
(:data:`analysis.topics.artifacts.WORDS_OVER_TIME`), so the dashboard only reads it.

A paper's date here is its listing day, or its arXiv date where it was never listed.

Gotchas of bertopic 0.17.4 under pandas 3: timestamps must be ``pd.Timestamp`` values (strings go
through an argument pandas 3 removed) and ``topics`` must be a list; ``evolution_tuning`` is a
no-op (it writes into a temporary copy), so it is left off.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl

from analysis.names import PERIODS
from analysis.topics.artifacts import WORD_PERIODS
from analysis.topics.artifacts import WORDS_SCHEMA as SCHEMA

N_WORDS = 5
UNDATED = dt.date(1900, 1, 1)  # stands in for a missing date, never shown
SMALL = 5  # a period with fewer of the topic's papers than this is flagged ``small``



def period_starts(listed: list[dt.date | None], published: list[dt.date | None],
                  every: str) -> list[dt.date | None]:
    """The first day of each paper's period (listing day, else arXiv date)."""
    day = pl.DataFrame({"listed": listed, "published": published},
                       schema={"listed": pl.Date(), "published": pl.Date()})
    return day.select(pl.coalesce("listed", "published").dt.truncate(PERIODS[every])
                      ).to_series().to_list()


def words_over_time(model, docs: list[str], labels: np.ndarray, listed: list, published: list,
                    to_id: dict[int, int], periods: tuple[str, ...] = WORD_PERIODS
                    ) -> pl.DataFrame:
    """One row per (period size, topic, period): papers and top words (outliers left out).

    Args:
        model: the fitted BERTopic model (its c-TF-IDF matches ``labels``).
        docs: the fitted texts.
        labels: the model's topic of each text (-1: outlier).
        listed: each paper's listing day (None where never listed).
        published: each paper's arXiv date.
        to_id: the model's topic ids -> the ids written to the artifacts.
        periods: the period sizes to compute.

    Returns:
        Columns every, topic, period, count, words (top 5), small; sorted.
    """
    # topics_over_time lines the model's c-TF-IDF rows up with the sorted topics it is given:
    # papers of a topic the model lacks (outliers placed after a sample fit whose sample had
    # none) would shift every row, and are left out (outliers are not in the result anyway)
    known = np.isin(labels, np.array(sorted(model.topic_representations_), dtype=np.int64))
    if not known.all():
        keep = np.flatnonzero(known)
        docs, labels = [docs[i] for i in keep], labels[keep]
        listed, published = [listed[i] for i in keep], [published[i] for i in keep]
    frames = []
    for every in periods:
        starts = period_starts(listed, published, every)
        # every paper goes in (undated ones at a stand-in day, dropped after): topics_over_time
        # lines its global c-TF-IDF rows up with the topics present in what it is given
        stamps = [pd.Timestamp(d if d is not None else UNDATED) for d in starts]
        table = model.topics_over_time(docs, stamps, topics=[int(t) for t in labels],
                                       global_tuning=True, evolution_tuning=False)
        table = table[(table.Topic >= 0) & (table.Timestamp != pd.Timestamp(UNDATED))]
        frames.append(pl.DataFrame({
            "every": [every] * len(table),
            "topic": [to_id[int(t)] for t in table.Topic],
            "period": [ts.date() for ts in table.Timestamp],
            "count": table.Frequency.astype(int).tolist(),
            "words": [[w for w in str(ws).split(", ") if w][:N_WORDS] for ws in table.Words],
        }, schema={k: v for k, v in SCHEMA.items() if k != "small"}))
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    return (pl.concat(frames).with_columns((pl.col("count") < SMALL).alias("small"))
            .sort("every", "topic", "period"))
