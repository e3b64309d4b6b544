"""A small store whose paper text is hostile: script titles, javascript: links, markup."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.store import Store

XSS_TITLE = "<script>alert(1)</script>"
XSS_ABSTRACT = ('See <a href="javascript:alert(2)">this link</a> and '
                "[that one](javascript:alert(3)) about training parameters. "
                "<img src=x onerror=alert(4)>")


def hostile_store(root) -> Store:
    """A store whose first paper has a script title and javascript: links in its abstract."""
    rows = [
        {"paper_id": "2501.00001", "title": XSS_TITLE, "abstract": XSS_ABSTRACT,
         "published": dt.date(2025, 1, 6), "listed": dt.date(2025, 1, 7), "upvotes": 42,
         "authors": ["<b>Mallory</b>", "Eve [x](javascript:alert(5))"], "organization": None,
         "keywords": [], "source": "test"},
    ] + [
        {"paper_id": f"2501.{i:05d}", "title": f"A plain paper {i} on training parameters",
         "abstract": "We tune training parameters.", "published": dt.date(2025, 1 + i % 3, 10),
         "listed": dt.date(2025, 1 + i % 3, 11), "upvotes": i, "authors": ["A. Author"],
         "organization": "Lab", "keywords": [], "source": "test"}
        for i in range(2, 12)
    ]
    store = Store(root)
    store.write_papers(pl.DataFrame(rows))
    return store
