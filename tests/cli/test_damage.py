"""A damaged file is one clear message naming it and what mends it: never a traceback.

The damage matrix of issue 11: papers.parquet, topics/meta.json, topics/assignments.parquet or the
embedding cache cut in half in a copy of the bundled store; info, trend, topic-trend, papers,
fetch and check run on it. A command that needs the file exits 2 with at most three lines naming
it (check always does); one that does not works and says so in one line. The dashboard shows the
same message.
"""

from __future__ import annotations

import json

import polars as pl
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
    shows_the_check_line(store, path, monkeypatch)


def shows_the_check_line(store: Store, path: str, monkeypatch, name: str = "") -> None:
    """The dashboard's Overview, Topics and Papers pages show the check's line for ``path``."""
    message = next(p.line() for p in quick(store) if p.file == path)
    assert name in message
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


def _meta_field(value):
    def spoil(store: Store) -> str:
        path = store.root / "topics" / "meta.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta.update(value)
        path.write_text(json.dumps(meta), encoding="utf-8")
        return str(path)
    return spoil


def _upvotes_as_text(store: Store) -> str:
    df = pl.read_parquet(store.papers_path)
    df.with_columns(pl.col("upvotes").cast(pl.Utf8)).write_parquet(store.papers_path)
    return str(store.papers_path)


def _topic_as_text(store: Store) -> str:
    path = store.root / "topics" / "topic_table.parquet"
    pl.read_parquet(path).with_columns(pl.col("topic").cast(pl.Utf8)).write_parquet(path)
    return str(path)


#: Files that parse but hold a value of the wrong type (an edit by hand, another tool's writer).
WRONG_TYPES = {
    "settings-a-list": (_meta_field({"settings": [1, 2]}), "settings"),
    "quality-null": (_meta_field({"quality": None}), "quality"),
    "n_topics-text": (_meta_field({"n_topics": "37"}), "n_topics"),
    "upvotes-text": (_upvotes_as_text, "upvotes"),
    "topic-id-text": (_topic_as_text, "column topic"),
}
WRONG_TYPE_ARGS = [["info"], ["topics"], ["topic-trend", "--period", "year"],
                   ["papers", "--limit", "5", "--topic", "1"], ["check"],
                   ["export", "topic-trend", "--format", "csv"]]


@pytest.mark.parametrize("kind", list(WRONG_TYPES))
def test_a_field_of_the_wrong_type_is_named(kind, tmp_path, capsys, monkeypatch):
    store = bundled_copy(tmp_path / "store")
    spoil, name = WRONG_TYPES[kind]
    path = spoil(store)
    monkeypatch.chdir(tmp_path)
    for args in WRONG_TYPE_ARGS:
        code = main([*args, "--store", str(store.root)])
        text = "".join(capsys.readouterr())
        assert "Traceback" not in text, text
        if args[0] == "check" or code != 0:
            assert code == 2 or (args[0] == "check" and code == 1), (args, text)
            line = next(line for line in text.splitlines() if path in line)
            assert name in line, (args, text)
            assert "papertrends " in line or "git checkout" in line or "restore" in line, text


@pytest.mark.parametrize("kind", ["settings-a-list", "upvotes-text"])
def test_the_dashboard_names_a_field_of_the_wrong_type(kind, tmp_path, monkeypatch):
    store = bundled_copy(tmp_path / "store")
    spoil, name = WRONG_TYPES[kind]
    shows_the_check_line(store, spoil(store), monkeypatch, name)
