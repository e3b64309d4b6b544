"""What every page gets: the store, its loaded data, the shared filters, and cached views."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import polars as pl
import streamlit as st

from analysis.filters import Filters
from analysis.store import Store
from analysis.views import registry as views
from dashboard.loader import Loaded

KEY = "_context"

# Altair checks every object against the Vega-Lite schema as it is made (its "debug mode"), which
# is most of the time a view's chart takes to build (20 ms of the 45 ms of a topics-page filter
# change). The dashboard turns that off; the specs it draws are the views' own, whose exports are
# validated as a whole when saved, and tests/views validates every view's spec.
alt.utils.schemapi.disable_debug_mode()


@dataclass(frozen=True)
class Context:
    """The data and filters of the current run (set by streamlit_app.py, read by the pages)."""

    store: Store
    loaded: Loaded
    filters: Filters

    @property
    def lf(self) -> pl.LazyFrame:
        """The loaded paper frame, lazily (unfiltered)."""
        return self.loaded.lf

    @property
    def labels(self) -> dict[int, str]:
        """Topic id -> readable label (see Loaded.labels)."""
        return self.loaded.labels()

    @property
    def group_labels(self) -> dict[int, str]:
        """Group id -> readable label (see Loaded.group_labels)."""
        return self.loaded.group_labels()

    def view(self, name: str, *, filters: Filters | None = None, **options) -> views.View:
        """The named view under the current filters, or under ``filters`` when given.

        Views are cached per data version, the filters they use and options; the store's
        partial months (see analysis.coverage) go to every view that marks them.
        """
        options.setdefault("partial", self.loaded.partial)
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                              for k, v in options.items()))
        used = views.relevant(name, filters or self.filters)  # e.g. no period for the map
        return _view(self.loaded.root, self.loaded.stamp, name, used, frozen,
                     _loaded=self.loaded)


@st.cache_resource(show_spinner=False, max_entries=256)
def _view(root: str, stamp: tuple, name: str, filters: Filters, options: tuple, *,
          _loaded: Loaded) -> views.View:
    opts = {k: list(v) if isinstance(v, tuple) else v for k, v in options}
    return views.build_view(name, _loaded.lf, filters, index=_loaded.index, **opts)


def get() -> Context:
    """The context streamlit_app.py set for this run."""
    return st.session_state[KEY]


def put(ctx: Context) -> None:
    """Set the context of this run, for the page to read with get."""
    st.session_state[KEY] = ctx
