"""Independent counts over the raw files of the bundled store (plain json, no project code).

    python -m tests.support.count_raw ../shared/data > tests/fixtures/raw-counts.json

Listing day per source: a daily file's date (its name; the crawler asked for ``?date=``), and a
month file's ``paper.submittedOnDailyAt`` (UTC day). A paper counts in the month of its earliest
listing day over both sources (the union). ``index.json``, LICENSE and README files hold no
papers. The output also keeps the archive's upvote count of every paper of its 2025-08 list.

The bundled data/ cannot ship these raw folders (tens of MB), so tests compare the store with this
output; tests/test_bundled_data.py checks the output against the raw folders where they exist.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import re
import sys

UPVOTES_MONTH = "2025-08"


def count(root: str) -> dict:
    """The counts of the raw folders ``hf-daily-papers/`` and ``hf-monthly-papers/`` of root."""
    daily_dir = os.path.join(root, "hf-daily-papers")
    month_dir = os.path.join(root, "hf-monthly-papers")
    first: dict[str, str] = {}
    daily = collections.defaultdict(set)
    month = collections.defaultdict(set)
    entries = {}
    upvotes = {}

    def note(pid: str, day: str) -> None:
        if pid not in first or day < first[pid]:
            first[pid] = day

    for path in sorted(glob.glob(os.path.join(daily_dir, "*.json"))):
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.json", os.path.basename(path))
        if not m:
            continue
        with open(path, encoding="utf-8") as fh:
            for e in json.load(fh):
                daily[m.group(1)[:7]].add(e["paper"]["id"])
                note(e["paper"]["id"], m.group(1))
    for path in sorted(glob.glob(os.path.join(month_dir, "daily_papers_*.json"))):
        mon = re.fullmatch(r"daily_papers_(\d{4}-\d{2})\.json", os.path.basename(path)).group(1)
        with open(path, encoding="utf-8") as fh:
            listed = json.load(fh)
        entries[mon] = len(listed)
        for e in listed:
            day = e["paper"]["submittedOnDailyAt"][:10]
            month[day[:7]].add(e["paper"]["id"])
            note(e["paper"]["id"], day)
            if mon == UPVOTES_MONTH:
                upvotes[e["paper"]["id"]] = e["paper"]["upvotes"]
    with open(os.path.join(month_dir, "index.json"), encoding="utf-8") as fh:
        index = json.load(fh)
    union = collections.Counter(day[:7] for day in first.values())
    months = sorted(set(union) | {m["month"] for m in index["monthly_files"]})
    return {
        "papers": len(first),
        "first_listed": min(first.values()),
        "last_listed": max(first.values()),
        "fetched_at": index["fetched_at"],
        "months": {m: {"daily": len(daily.get(m, ())),
                       "month": len(month[m]) if m in entries else None,
                       "union": union.get(m, 0),
                       "entries": entries.get(m),
                       "index": next((x["count"] for x in index["monthly_files"]
                                      if x["month"] == m), None)}
                   for m in months},
        f"upvotes_{UPVOTES_MONTH}": dict(sorted(upvotes.items())),
    }


if __name__ == "__main__":
    json.dump(count(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"), sys.stdout,
              indent=1, sort_keys=True)
    sys.stdout.write("\n")
