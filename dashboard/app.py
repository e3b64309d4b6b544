"""papertrends dashboard: the entry point (``streamlit run dashboard/app.py`` or
``papertrends serve``).

It opens the store ($PAPERTRENDS_STORE, ``-- --store DIR``, or the bundled data/), fits topics once
when the store has none, draws the shared filters in the sidebar, and runs the chosen page. All
filter and page state round-trips through the URL (dashboard.state).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import streamlit as st

from dashboard import context, data, sidebar, state, ui, updates

HERE = Path(__file__).parent
PAGES = (
    ("overview.py", "Overview", ":material/dashboard:", "overview"),
    ("topics.py", "Topics", ":material/hub:", "topics"),
    ("keywords.py", "Keywords", ":material/search:", "keywords"),
    ("upvotes.py", "Upvotes", ":material/thumb_up:", "upvotes"),
    ("papers.py", "Papers", ":material/article:", "papers"),
)
CSS = """<style>
mark { background: #fde68a; padding: 0 .1em; border-radius: 2px; }
.paper-abstract { line-height: 1.55; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
</style>"""


for _file, *_ in PAGES:  # page modules declare their URL parameters when imported
    importlib.import_module(f"dashboard.{_file[:-3]}")


def main() -> None:
    st.set_page_config(page_title="papertrends", page_icon=":material/trending_up:",
                       layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    store = data.current_store()
    if data.needs_topics(store):
        data.fit_topics(store)
    loaded = data.load(store)
    pages = [st.Page(str(HERE / f), title=t, icon=i, url_path=u, default=(u == "overview"))
             for f, t, i, u in PAGES]
    page = st.navigation(pages, position="hidden")
    state.restore(page.url_path)
    nav = st.sidebar.container()
    st.sidebar.divider()
    try:
        filters = sidebar.filters(loaded)
    except ValueError as err:  # e.g. a hand-edited URL whose range starts after it ends
        st.sidebar.error(f"{err}; the date range was reset.")
        state.put(state.FROM, None)
        state.put(state.TO, None)
        filters = sidebar.build()
    with nav:
        sidebar.nav_links(pages)
    with st.sidebar.expander("Data", icon=":material/database:"):
        updates.panel(store, loaded)
    sidebar.store_note(loaded, str(store.root))
    context.put(context.Context(store=store, loaded=loaded, filters=filters))
    st.session_state[ui.SHOWN] = False
    try:
        page.run()
    finally:
        state.save(page.url_path)


main()
