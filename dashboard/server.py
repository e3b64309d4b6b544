"""The dashboard's web server: Streamlit's own (``st.App``), with the page paths bootstrapped.

``papertrends serve`` runs ``streamlit run dashboard/server.py``. Opened straight on a page
(``/topics``), Streamlit's page would first look for its server under that path and log two 404s
(streamlit/streamlit#7074); the pages here get Streamlit's own index.html with the server's base
URL set (``window.__streamlit.BACKEND_BASE_URL``), so the first request goes to the right place.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import streamlit
import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from analysis.store import sessions_dir
from dashboard.session_folders import FOLDERS

HERE = Path(__file__).parent
INDEX = Path(streamlit.__file__).parent / "static" / "index.html"
PAGES = ("overview", "topics", "keywords", "upvotes", "papers")
BOOT = ("<script>window.__streamlit = {BACKEND_BASE_URL: window.location.origin + '/', "
        "MAIN_PAGE_BASE_URL: window.location.origin + '/'};</script>")


async def index(request: Request) -> HTMLResponse:
    """Streamlit's index.html with the base URL of the server set before its bundle runs."""
    html = INDEX.read_text(encoding="utf-8").replace("<head>", "<head>" + BOOT, 1)
    return HTMLResponse(html)


@contextlib.asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """When the server stops (SIGTERM, Ctrl-C), every session's private store goes with it.

    Streamlit's ``st.App`` server (uvicorn) shuts down gracefully on those signals and then lets
    the signal end the process, so exit hooks would not run; its lifespan end does. A session's
    run may still be writing its copy then (its thread outlives the server for a moment): the
    removal waits for such writes and refuses new ones (:meth:`FOLDERS.close`).
    """
    try:
        yield None
    finally:
        await asyncio.to_thread(FOLDERS.close, sessions_dir())


app = st.App(HERE / "streamlit_app.py", lifespan=lifespan,
             routes=[Route("/", index)] + [Route(f"/{page}", index) for page in PAGES])
