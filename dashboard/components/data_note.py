"""The data note in the sidebar's Data panel: where the papers come from, licenses, caveats.

The attributions are those of the bundled snapshot's two sources (see data/README.md); a store
shows them when it carries their license files (the bundled data/ and copies of it).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis.coverage import PARTIAL
from analysis.store import Store
from dashboard.loader import Loaded

#: License file in a store -> (source name, attribution in Markdown).
ATTRIBUTIONS = {
    "LICENSE-hf-daily-papers.txt": (
        "hf-daily-api",
        "Daily lists: [2404589803/hf-daily-paper-newsletter-chinese]"
        "(https://github.com/2404589803/hf-daily-paper-newsletter-chinese), "
        "`Paper_metadata_download/`, Apache-2.0."),
    "LICENSE-hf-monthly-papers.txt": (
        "hf-month-api",
        "Month lists: [honggi82/awesome-HuggingFace](https://github.com/honggi82/awesome-HuggingFace)"
        ", `data/monthly/`, CC-BY-4.0 for the curation (paper metadata belongs to its sources)."),
}


def lines(store: Store, loaded: Loaded) -> list[str]:
    """The note as Markdown lines: sources with counts, attributions, caveats."""
    frame = loaded.frame
    counts = (frame.select(pl.col("sources").explode()).drop_nulls().group_by("sources").len()
              .sort("sources").iter_rows()) if "sources" in frame.columns else []
    out = ["**Sources**: " + ", ".join(f"{name} {n:,}" for name, n in counts) + " papers "
           "(a paper seen by both API sources counts under each)."]
    out += [text for file, (_name, text) in ATTRIBUTIONS.items() if (store.root / file).is_file()]
    out.append("Titles and abstracts are the authors' own, as shown on Hugging Face / arXiv.")
    table = loaded.coverage
    partial = table.filter(pl.col("status") == PARTIAL)["month"].to_list() if table.height else []
    if partial:
        out.append(f"**Caveat**: the store holds only part of the list in {len(partial)} "
                   "month(s) (the coverage strip on the Overview); counts there show what was "
                   "collected, not what was listed, so trends use shares.")
    out.append("**Caveat**: upvote counts were read at different times (`upvotes_at`): early on "
               "the listing day by the daily crawler, months later by the archive. The Upvotes "
               "page's age filter compares like with like.")
    return out


def note(store: Store, loaded: Loaded) -> None:
    """Draw the note (small print)."""
    st.markdown("**About this data**")
    for line in lines(store, loaded):
        st.caption(line)
