"""A damaged file is one clear message naming it and what mends it: never a traceback.

The damage matrix of issue 11: papers.parquet, topics/meta.json, topics/assignments.parquet or the
embedding cache cut in half in a copy of the bundled store; info, trend, topic-trend, papers,
fetch and check run on it. A command that needs the file exits 2 with at most three lines naming
it (check always does); one that does not works and says so in one line. The dashboard shows the
same message.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.cli import main
from analysis.health import quick
from analysis.store import Store
from tests.support.dashboard import APP
from tests.support.stores import DAMAGEABLE, bundled_copy, cut_in_half

TOPIC_FILES = {"topics/meta.json", "topics/assignments.parquet"}
#: command -> the damaged files it cannot do without.
NEEDS = {
    "info": {"papers.parquet"},
    "trend": {"papers.parquet"},
    "topic-trend": {"papers.parquet"} | TOPIC_FILES,
    "papers": {"papers.parquet"},
    "fetch": {"papers.parquet"},
    "check": set(DAMAGEABLE),
}
ARGS = {
    "info": ["info"],
    "trend": ["trend", "diffusion", "--period", "year"],
    "topic-trend": ["topic-trend", "--period", "year"],
    "papers": ["papers", "--limit", "5"],
    "fetch": ["fetch", "--from", "2026-01-15", "--to", "2026-01-21", "--backoff", "0.02",
              "--quiet"],
    "check": ["check"],
}


@pytest.fixture
def damaged(request, tmp_path) -> tuple[Store, str]:
    """A copy of the bundled store with one file cut in half: (store, that file's path)."""
    store = bundled_copy(tmp_path / "store")
    cut_in_half(store.root / request.param)
    return store, str(store.root / request.param)


@pytest.mark.parametrize("damaged", DAMAGEABLE, indirect=True)
@pytest.mark.parametrize("command", list(NEEDS))
def test_damage_matrix(damaged, command, capsys, hf_api):
    store, path = damaged
    rel = path[len(str(store.root)) + 1:]
    extra = ["--endpoint", hf_api.endpoint] if command == "fetch" else []
    code = main([*ARGS[command], "--store", str(store.root), *extra])
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    naming = [line for line in text.splitlines() if path in line]
    if rel in NEEDS[command]:
        assert code == 2, text
        assert len(text.strip().splitlines()) <= 3, text
        assert naming, text
        assert "papertrends " in naming[0] or "git checkout" in naming[0] or "restore" in naming[0]
    else:
        assert code == 0, text
        assert len(naming) == 1, text  # it still works, and says so in one line
        assert "damaged" in naming[0]


@pytest.mark.parametrize("damaged", DAMAGEABLE, indirect=True)
def test_the_dashboard_shows_the_same_message(damaged, monkeypatch):
    store, path = damaged
    message = next(p.line() for p in quick(store) if p.file == path)
    monkeypatch.setenv("PAPERTRENDS_STORE", str(store.root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    for page in ("overview.py", "topics.py", "papers.py"):
        at = AppTest.from_file(APP, default_timeout=90).run()
        if page != "overview.py":
            at.switch_page(f"app_pages/{page}").run()
        assert not at.exception, [e.message for e in at.exception]
        shown = [e.value for e in at.error] + [w.value for w in at.warning]
        assert message in shown, (page, shown)
        if path.endswith("papers.parquet"):
            assert [e.value for e in at.error] == [message]  # nothing else is drawn
        for text in shown:
            assert "Traceback" not in text
            assert "ComputeError" not in text
