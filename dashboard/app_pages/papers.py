"""Papers page: the filtered papers, searched and sorted (all of them), and one paper's detail."""

from __future__ import annotations

import streamlit as st

from analysis import trends
from analysis.filters import apply
from analysis.schema import InputError
from dashboard import context, state
from dashboard.components import basics, drill, listing

PAGE = "papers"
SEARCH = state.text_param("search", "", PAGE)
SORT = state.text_param("sort", drill.DEFAULT_SORT, PAGE, values=tuple(drill.SORTS))
PARAMS: tuple[state.Param, ...] = (SEARCH, SORT)


def matching(ctx: context.Context, text: str):
    """The filtered papers whose title or abstract holds the search words (all, if none).

    A query not yet run: the page reads its count and its first rows (a top-k).
    """
    lf = ctx.lf
    if text.strip():
        lf = trends.match_papers(lf, text.strip(), field="both")
    return drill.list_frame(apply(lf, ctx.filters), ctx.filters.basis)


def render() -> None:
    """Draw the page: the search box, the matching papers and the open paper's detail."""
    ctx = context.get()
    st.title("Papers")
    basics.data_note(ctx)
    st.text_input("Search titles and abstracts", key=SEARCH.key,
                  placeholder="e.g. mixture of experts", icon=":material/search:")
    text = state.get(SEARCH) or ""
    try:
        papers = matching(ctx, text)
        pattern = trends.phrase_pattern(text) if text.strip() else None
        total = listing.count(papers)
    except InputError as err:
        st.error(str(err))
        return
    if total == 0:
        if text.strip():
            basics.empty("No paper matches this search under the current filters: try fewer words "
                     "or widen the filters in the sidebar.")
        else:
            basics.no_papers()
    else:
        st.caption(f"{total:,} papers · click a row to open the paper")
        listing.paper_list(ctx, papers, key="pp_table", sort_key=SORT.key)
    listing.open_paper(ctx, pattern=pattern)


if __name__ == "__main__":
    basics.guarded(render)
