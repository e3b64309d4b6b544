"""The tables a fit writes: per-paper assignments, the topic table, the group table, lineage.

NumPy and Polars only; :mod:`analysis.topics.fit` computes the parts and writes these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.names import OUTLIER, OUTLIER_LABEL
from analysis.topics import artifacts as art


@dataclass(frozen=True)
class Lineage:
    """How one topic of a refit relates to the topics of the fit before it.

    Attributes:
        status: ``first fit`` (no earlier fit), ``kept`` (continues the earlier topic with its
            id), ``split`` (a new id for part of an earlier topic that another topic continues),
            or ``new``.
        parents: the earlier topic this one continues or split from (empty for new ones).
        merged: earlier topics that are no longer on their own and went into this one.
    """

    status: str
    parents: tuple[int, ...] = ()
    merged: tuple[int, ...] = ()


def lineage(ids: list[int], changes: dict, first_fit: bool) -> dict[int, Lineage]:
    """Each topic's :class:`Lineage` from the change record of ``match.match_topics``."""
    merged: dict[int, list[int]] = {}
    for old, into in sorted(changes.get("merged", {}).items(), key=lambda kv: int(kv[0])):
        merged.setdefault(int(into), []).append(int(old))
    split_from = {int(new): int(old) for old, news in changes.get("split", {}).items()
                  for new in news}
    kept = set(changes.get("kept", []))
    out = {}
    for t in ids:
        into = tuple(merged.get(t, ()))
        if first_fit:
            out[t] = Lineage("first fit")
        elif t in kept:
            out[t] = Lineage("kept", (t,), into)
        elif t in split_from:
            out[t] = Lineage("split", (split_from[t],), into)
        else:
            out[t] = Lineage("new", (), into)
    return out


def assignments(pids: list[str], topic: np.ndarray, prob: np.ndarray, xy: np.ndarray,
                status: np.ndarray, sim: np.ndarray) -> pl.DataFrame:
    """The assignments frame (``art.ASSIGNMENT_SCHEMA``), sorted by paper id."""
    return pl.DataFrame({"paper_id": pids, "topic": topic, "prob": prob, "x": xy[:, 0],
                         "y": xy[:, 1], "status": status, "sim": sim},
                        schema=art.ASSIGNMENT_SCHEMA).sort("paper_id")


def topic_table(topic: np.ndarray, status: np.ndarray, pids: list[str], names: dict[int, str],
                words: dict[int, list[str]], groups: dict[int, int], reps: dict[int, list[int]],
                lines: dict[int, Lineage]) -> pl.DataFrame:
    """One row per topic and one for the outliers (``art.TOPIC_SCHEMA``), sorted by topic.

    Args:
        topic: each paper's final topic id (-1: outlier).
        status: each paper's status (member, reassigned, outlier).
        pids: each paper's id.
        names: label by topic id.
        words: top c-TF-IDF terms by topic id.
        groups: group by topic id.
        reps: rows of the representative papers by topic id.
        lines: lineage by topic id.
    """
    rows = []
    member = status == art.MEMBER
    for t in sorted(names):
        inside = topic == t
        line = lines[t]
        rows.append({"topic": t, "label": names[t], "words": words[t],
                     "size": int(inside.sum()), "representative": [pids[r] for r in reps[t]],
                     "group": groups[t], "members": int((inside & member).sum()),
                     "lineage": line.status, "lineage_from": list(line.parents),
                     "merged_from": list(line.merged)})
    out = topic == OUTLIER
    rows.append({"topic": OUTLIER, "label": OUTLIER_LABEL, "words": [], "size": int(out.sum()),
                 "representative": [], "group": OUTLIER, "members": 0, "lineage": None,
                 "lineage_from": [], "merged_from": []})
    return pl.DataFrame(rows, schema=art.TOPIC_SCHEMA).sort("topic")


def group_table(groups: dict[int, int], names: dict[int, str], topic: np.ndarray
                ) -> pl.DataFrame:
    """One row per group (``art.GROUP_SCHEMA``): label, papers, topics; sorted by group."""
    rows = []
    for g in sorted(names):
        members = sorted(t for t, h in groups.items() if h == g)
        rows.append({"group": g, "label": names[g], "size": int(np.isin(topic, members).sum()),
                     "topics": members})
    return pl.DataFrame(rows, schema=art.GROUP_SCHEMA)
