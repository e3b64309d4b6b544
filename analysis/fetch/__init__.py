"""Keep a store current from the Hugging Face Daily Papers API.

* :mod:`analysis.fetch.plan` - what a run should fetch, and what earlier runs did (the state)
* :mod:`analysis.fetch.run` - the download-and-write loop, one day or month (all pages) at a time
* :mod:`analysis.fetch.client` - huggingface_hub's session and back-off, timeouts, clear errors
* :mod:`analysis.fetch.update` - ``fetch(store, ...)``: plan, lock, run, then topics for new papers
"""

from __future__ import annotations

from analysis.fetch.run import (
    CONCURRENCY,
    PAGE_SIZE,
    FetchSummary,
    day_url,
    fetch_day,
    fetch_pages,
    month_url,
    raw_name,
)
from analysis.fetch.update import (
    DEFAULT_ENDPOINT,
    assign_topics,
    fetch,
    gap_months,
    last_run,
    newest_listed,
    resolve_endpoint,
)

__all__ = [
    "CONCURRENCY", "DEFAULT_ENDPOINT", "PAGE_SIZE", "FetchSummary", "assign_topics", "day_url",
    "fetch", "fetch_day", "fetch_pages", "gap_months", "last_run", "month_url", "newest_listed",
    "raw_name", "resolve_endpoint",
]
