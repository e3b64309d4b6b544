"""Command: fetch (download new days, or whole months, from the Daily Papers API into a store)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from analysis.commands.common import (
    add_engine_args,
    add_store_arg,
    engine_from,
    parse_date,
    waiting,
    write_store,
)
from analysis.fetch import PAGE_SIZE, fetch
from analysis.fetch.client import RetryPolicy
from analysis.names import Progress as ProgressCallback
from analysis.schema import InputError


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser(
        "fetch",
        help="download new days (or whole months) from the Hugging Face Daily Papers API",
        description=(
            "Download GET {endpoint}/api/daily_papers?date=YYYY-MM-DD for each day, keep the raw "
            "responses in the store, ingest the papers and give new ones topics (no refit). "
            "Without --from it continues after the newest day in the store and retries days that "
            "failed, and always finishes giving papers not yet assigned a topic one. --month asks "
            "for whole months (?month=YYYY-MM) and records each month's list size; --fill-gaps "
            "does that for every month the store holds only part of. Requests go through "
            "huggingface_hub: the endpoint follows HF_ENDPOINT, the token is HF_TOKEN or the one "
            "saved by `hf auth login` (never shown or saved), and HF_HUB_OFFLINE=1 stops it. "
            "Exit status 1 only when nothing could be fetched."
        ),
    )
    add_store_arg(p, writes=True)
    p.add_argument("--from", dest="start", type=parse_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=parse_date, help="last day (default: today, UTC)")
    p.add_argument("--since", default=None,
                   help="window ending today, e.g. 14d or 2w (instead of --from)")
    p.add_argument("--month", dest="months", default=None, metavar="YYYY-MM[..YYYY-MM]",
                   help="fetch these months whole instead of days (raw under STORE/raw/hf-month)")
    p.add_argument("--fill-gaps", action="store_true",
                   help="fetch whole every month the store holds only part of, or whose full "
                        "list it does not know (see `papertrends coverage`)")
    p.add_argument("--refresh", action="store_true",
                   help="fetch days (months) again even when done, to update upvotes "
                        "(alone: the last 14 days)")
    p.add_argument("--raw-dir", type=Path, default=None,
                   help="where raw responses go (default: STORE/raw/hf-daily, or "
                        "STORE/raw/hf-month for months)")
    p.add_argument("--endpoint", default=None,
                   help="API base URL (default: $HF_ENDPOINT or https://huggingface.co)")
    p.add_argument("--concurrency", type=int, default=3, help="requests at once (1-8, default 3)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.add_argument("--retries", type=int, default=4,
                   help="retries on 429/5xx/timeouts (default 4)")
    p.add_argument("--backoff", type=float, default=1.0,
                   help="first retry delay in seconds, doubled each retry (default 1)")
    p.add_argument("--max-delay", type=float, default=60.0,
                   help="longest back-off wait between retries (default 60; a server's "
                        "Retry-After is honoured as sent)")
    p.add_argument("--page-size", type=int, default=None,
                   help="entries per request, the API's `limit` (default 50)")
    p.add_argument("--no-assign", action="store_true",
                   help="do not give papers topics (the next fetch or `assign` does)")
    add_engine_args(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`papertrends fetch`: fetch the days into the store and print the summary.

    Returns:
        The fetch summary's exit status (1 only when nothing could be fetched), or 130 when
        interrupted (days already saved are kept).

    Raises:
        InputError: a retry option is out of range.
    """
    if args.timeout <= 0 or args.retries < 0 or args.backoff < 0 or args.max_delay < 0:
        raise InputError("--timeout must be > 0 and --retries/--backoff/--max-delay >= 0")
    policy = RetryPolicy(timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                         max_delay=args.max_delay)
    store = write_store(args)
    kwargs = dict(endpoint=args.endpoint, refresh=args.refresh, since=args.since,
                  raw_dir=args.raw_dir, concurrency=args.concurrency, policy=policy,
                  page_size=args.page_size or PAGE_SIZE, assign=not args.no_assign,
                  months=args.months, fill_gaps=args.fill_gaps, engine=engine_from(args))
    try:
        with _progress_bar(disabled=args.quiet) as progress:
            summary = fetch(store, args.start, args.end, progress=progress,
                            on_wait=waiting(args), **kwargs)
    except KeyboardInterrupt:
        print("papertrends fetch: interrupted; days already saved are kept - run the same "
              "command again to resume", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps({**summary.to_dict(), "store": str(store.root)}, indent=1))
    else:
        print("\n".join(summary.lines() + [f"store: {store.root}"]))
    if not summary.ok:
        first = summary.failures[0][1] if summary.failures else "no day finished"
        more = len(summary.failures) - 1
        print(f"papertrends fetch: error: nothing could be fetched; {first}"
              + (f" (and {more} more failed day(s), listed above)" if more > 0 else ""),
              file=sys.stderr)
    return summary.exit_code


class _progress_bar:  # noqa: N801 - used as a context manager
    """A rich progress bar on stderr, fed by fetch's progress(done, total, message)."""

    def __init__(self, *, disabled: bool) -> None:
        """Set up the bar; ``disabled`` (``--quiet``) shows none."""
        self.disabled = disabled
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> ProgressCallback | None:
        """Start the bar; returns the progress callback, or None when disabled."""
        if self.disabled:
            return None

        self.bar = Progress(TextColumn("fetch"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.description}"),
                            console=Console(stderr=True), transient=False)
        self.bar.start()
        return self.update

    def update(self, done: int, total: int, message: str) -> None:
        """Move the bar to ``done`` of ``total`` with a message (the fetch progress callback)."""
        assert self.bar is not None  # __enter__ hands out update only after starting the bar
        if self.task is None:
            self.task = self.bar.add_task(message, total=total)
        self.bar.update(self.task, completed=done, total=total, description=message)

    def __exit__(self, *exc: object) -> None:
        """Stop the bar, leaving its last line on stderr."""
        if self.bar is not None:
            self.bar.stop()
