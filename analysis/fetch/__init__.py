"""Keep a store current from the Hugging Face Daily Papers API.

* :mod:`analysis.fetch.plan` - what a run should fetch, and what earlier runs did (the state)
* :mod:`analysis.fetch.run` - the download-and-write loop, one day (all its pages) at a time
* :mod:`analysis.fetch.client` - the HTTP client: timeouts, retries, clear errors
* :mod:`analysis.fetch.update` - ``fetch(store, ...)``: plan, lock, run, then topics for new papers
"""

from __future__ import annotations

from analysis.fetch.run import CONCURRENCY, PAGE_SIZE, FetchSummary, day_url, fetch_day, raw_name
from analysis.fetch.update import (
    DEFAULT_ENDPOINT,
    assign_topics,
    fetch,
    last_run,
    newest_listed,
    resolve_endpoint,
)

__all__ = [
    "CONCURRENCY", "DEFAULT_ENDPOINT", "PAGE_SIZE", "FetchSummary", "assign_topics", "day_url",
    "fetch", "fetch_day", "last_run", "newest_listed", "raw_name", "resolve_endpoint",
]
