"""papertrends dashboard: the entry point of the Streamlit app.

Run it with ``streamlit run dashboard/streamlit_app.py`` or ``papertrends serve``.

It opens the store ($PAPERTRENDS_STORE, else your own store once a command wrote it, else the
bundled data/), checks it (a damaged paper table is one clear message on every page; other damaged
files and papers not yet assigned a topic are a banner), fits topics once when the store has none,
draws the shared filters in the sidebar, and runs the chosen page. All filter and page state
round-trips through the URL (:mod:`dashboard.state`); which parameters exist is collected here,
from the shared ones and each page's ``PARAMS``.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import streamlit as st

from analysis.names import UNASSIGNED_LABEL
from analysis.schema import InputError
from analysis.store import ENV_TIMING_LOG, updates_allowed
from dashboard import context, loader, state
from dashboard.app_pages import keywords, overview, papers, topics, upvotes
from dashboard.components import data_note, data_panel, listing, sidebar

HERE = Path(__file__).parent
#: The tab's icon, a file of the app (a Material icon would be fetched from Google's servers).
FAVICON = HERE / "favicon.png"
#: (page module, title, icon, url path); the module's file is what Streamlit runs.
PAGES = (
    (overview, "Overview", ":material/dashboard:", "overview"),
    (topics, "Topics", ":material/hub:", "topics"),
    (keywords, "Keywords", ":material/search:", "keywords"),
    (upvotes, "Upvotes", ":material/thumb_up:", "upvotes"),
    (papers, "Papers", ":material/article:", "papers"),
)
CSS = """<style>
mark { background: #fde68a; padding: 0 .1em; border-radius: 2px; }
.paper-abstract { line-height: 1.55; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
/* topic chips in the sidebar show their whole label, on as many lines as it needs */
[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"] [data-tag] {
  max-width: 100%; height: auto; }
[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"] [data-tag] > span {
  max-width: none; white-space: normal; overflow: visible; text-overflow: clip;
  line-height: 1.3; padding: 2px 0; }
</style>"""


def page_file(module) -> str:
    """The file of a page module, which ``st.Page`` runs."""
    return str(HERE / "app_pages" / f"{module.__name__.rsplit('.', 1)[-1]}.py")


def may_write(store) -> bool:
    """Whether this session may write ``store``: its own upload store, or --allow-updates."""
    return updates_allowed() or bool(st.session_state.get(loader.SESSION_STORE))


def banners(store, loaded: loader.Loaded) -> None:
    """Damaged files left out, and papers not yet assigned a topic, above every page."""
    for line in loaded.problems:
        st.warning(line, icon=":material/report:")
    if loaded.unassigned:
        fix = (f"`papertrends assign --store {store.root}` gives them one"
               + (" (or “Give … topics” in the sidebar's Data panel)."
                  if may_write(store) else "."))
        st.warning(f"{loaded.unassigned:,} papers are not yet assigned a topic: topic views count "
                   f"them as “{UNASSIGNED_LABEL}”. {fix}", icon=":material/pending:")


@st.cache_resource(show_spinner=False, max_entries=32)
def settle(root: str, stamp: tuple, page: str = "") -> None:
    """Once per store version (and page): move what is alive now out of the garbage collector's way.

    After the first load the process holds ~200k long-lived objects (the imported libraries, the
    loaded store). Python's full collections walk all of them, 0.1-0.5 s a time, landing on some
    filter change at random; ``gc.freeze`` puts them in a generation that is never walked. Once
    more after a page's first run: what it imported on the way (chart and table code) would
    otherwise stay in the walk (~40k objects; on the Topics page a full collection during a
    filter change took 13-28 ms before, 11 ms after, and came half as often).
    """
    gc.collect()
    gc.freeze()


def main() -> None:
    """One run of the app: store, filters, navigation, then the chosen page."""
    st.set_page_config(page_title="papertrends", page_icon=str(FAVICON), layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    state.install(state.SHARED + tuple(p for module, *_ in PAGES for p in module.PARAMS))
    pages = [st.Page(page_file(m), title=t, icon=i, url_path=u, default=(u == "overview"))
             for m, t, i, u in PAGES]
    page = st.navigation(pages, position="hidden")
    store = loader.current_store()
    try:
        health = loader.check(store)
    except InputError as err:  # a damaged paper table: the one message, on every page
        st.error(str(err), icon=":material/report:")
        st.stop()
    if loader.needs_topics(store) and health.usable("topics"):
        if may_write(store):
            loader.fit_topics(store)
        else:  # a shared store: the server was not started to write it
            st.info(f"This store has no topic model yet, so the topic views are empty: "
                    f"`papertrends fit --store {store.root}` fits one (or start the dashboard "
                    f"with `papertrends serve --allow-updates` to fit it on its first start).",
                    icon=":material/info:")
    loaded = loader.load(store, health)
    settle(loaded.root, loaded.stamp)
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
        data_panel.panel(store, loaded)
        st.divider()
        data_note.note(store, loaded)
    sidebar.store_note(loaded, str(store.root))
    context.put(context.Context(store=store, loaded=loaded, filters=filters))
    st.session_state[listing.SHOWN] = False
    banners(store, loaded)
    try:
        page.run()
    finally:
        state.save(page.url_path)
    settle(loaded.root, loaded.stamp, page.url_path)


_started = time.perf_counter()
main()
if os.environ.get(ENV_TIMING_LOG):  # bench/bench_load.py: server-side seconds of each run
    with open(os.environ[ENV_TIMING_LOG], "a", encoding="utf-8") as _log:
        _log.write(f"{time.perf_counter() - _started:.4f}\n")
