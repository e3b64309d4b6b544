"""Keywords page: how often phrases appear per period (share with a 95% band, or count).

Phrases are looked for in titles, abstracts or both, as words or regular expressions; click a point
for its papers.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis import trends
from analysis.names import TEXT_FIELDS
from analysis.schema import InputError
from dashboard import context, state, text
from dashboard.components import basics, charts, listing

PAGE = "keywords"
PHRASES = state.text_param("q", "training parameters", PAGE)
FIELD = state.text_param("field", "both", PAGE, values=TEXT_FIELDS)
REGEX = state.bool_param("regex", False, PAGE)
PARAMS: tuple[state.Param, ...] = (PHRASES, FIELD, REGEX)


def phrases_of(raw: str) -> list[str]:
    """Comma-separated phrases, blanks and repeats dropped, in order."""
    out: list[str] = []
    for part in (raw or "").split(","):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def render() -> None:
    """Draw the page: phrase input, where to look, the trend chart and the papers behind a point."""
    ctx = context.get()
    st.title("Keywords")
    basics.data_note(ctx)
    st.text_input("Phrases (comma-separated)", key=PHRASES.key,
                  placeholder="e.g. training parameters, reinforcement learning",
                  help="Words match with an optional plural s, case-insensitive.")
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.segmented_control("Look in", TEXT_FIELDS, key=FIELD.key,
                         format_func=lambda f: {"both": "title + abstract"}.get(f, f))
    c2.segmented_control("Measure", ("share", "count"), key=state.MEASURE.key)
    c3.toggle("Regular expression", key=REGEX.key)
    phrases = phrases_of(state.get(PHRASES))
    field = state.get(FIELD) or "both"
    regex = bool(state.get(REGEX))
    measure = state.get(state.MEASURE) or "share"
    if not phrases:
        basics.empty("Type one or more phrases above, separated by commas.")
        return
    try:
        trends.check_phrases(phrases)
        patterns = {p: trends.phrase_pattern(p, regex) for p in phrases}
    except InputError as err:
        st.error(str(err))
        return
    v = charts.view(ctx, "keyword-trend", phrases=phrases, field=field, regex=regex,
                    measure=measure)
    if v is None:
        return
    if measure == "share" and v.data.height and v.data.get_column("small").any():
        st.warning("Some periods hold few papers (hollow points): their shares are uncertain. "
                   "A longer period (sidebar) gives steadier numbers.",
                   icon=":material/warning:")
    totals = (v.data.group_by("phrase", maintain_order=True)
              .agg(pl.col("count").sum().alias("papers")) if v.data.height else None)
    if totals is not None:
        basics.metric_row([(text.md_escape(p), f"{n:,}") for p, n in totals.iter_rows()][:6])
    pick = charts.chart(ctx, v, key="kw_trend")
    pattern = patterns.get(str(pick.values.get("phrase"))) if pick else None
    listing.drill_list(ctx, pick, key="kw_trend", field=field, regex=regex, pattern=pattern)
    charts.report(ctx, [v], "papertrends keywords")


if __name__ == "__main__":
    basics.guarded(render)
