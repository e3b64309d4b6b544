"""The dashboard on small stores made here.

Untrusted paper text stays text, uploads give the same sources and clear errors as `ingest` and go
into a session copy, and empty stores explain themselves.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analysis.store import ENV_ALLOW_UPDATES, Store
from tests.support.dashboard import APP
from tests.support.dashboard import run as open_app
from tests.support.hostile import hostile_store
from tests.support.lookups import watch_lookups
from tests.support.paths import DAILY, REPO


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    s = hostile_store(tmp_path / "store")
    monkeypatch.setenv("PAPERTRENDS_STORE", str(s.root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    return s


def run(page: str = "overview.py", **query) -> AppTest:
    """The app on ``page``; error messages allowed (some tests here expect one)."""
    return open_app(page, allow_errors=True, **query)


def test_hostile_paper_text_is_escaped_in_the_detail(store):
    at = run("papers.py")
    at.session_state["w_paper"] = "2501.00001"
    at.run()
    assert not at.exception
    html = "\n".join(m.value for m in at.markdown if m.proto.allow_html)
    assert "paper-title" in html
    for raw in ("<script", "<a href", "<img", "<b>Mallory", "](javascript", "javascript:"):
        assert raw not in html, raw
    assert "&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;" in html
    # markdown-reading places (captions, labels) carry no link syntax either
    for el in [*at.caption, *at.markdown]:
        if not el.proto.allow_html:
            assert "](javascript" not in el.value


def test_highlight_wraps_matches_of_escaped_text():
    from analysis.trends import phrase_pattern
    from dashboard.text import highlight

    out = highlight("Tuning <b>training parameters</b> & Training-Parameters.",
                    phrase_pattern("training parameters"))
    assert out.count("<mark>") == 2
    assert "<b>" not in out
    assert "&#60;b&#62;" in out
    assert out.startswith("Tuning ")
    assert "<mark>Training&#45;Parameters</mark>" in out


def test_upload_goes_into_a_session_copy(store):
    at = run()
    before = at.metric[0].value
    data = (DAILY / "2024-05-27.json").read_bytes()
    at.file_uploader(key="upload").upload("2024-05-27.json", data, "application/json").run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    assert any("Added" in s.value for s in at.success)
    added = int(at.metric[0].value.replace(",", ""))
    assert added > int(before.replace(",", ""))
    assert Store(store.root).read_papers().height == 11  # the given store is untouched
    session_root = at.session_state["_session_store"]
    assert Store(session_root).read_papers().height > 11


def test_a_reconnect_after_the_session_copy_went_adds_the_uploads_again(store):
    """Streamlit ends a session's resources (its copy) at a disconnect; a browser comes back."""
    at = run()
    data = (DAILY / "2024-05-27.json").read_bytes()
    at.file_uploader(key="upload").upload("2024-05-27.json", data, "application/json").run()
    with_upload = at.metric[0].value
    first = Path(at.session_state["_session_store"])
    shutil.rmtree(first.parent)  # what the release at a disconnect does
    at.run()
    assert not at.exception, [e.value for e in at.error]
    assert any("Added" in s.value for s in at.success)
    assert at.metric[0].value == with_upload  # the uploads are in the copy again
    assert Store(at.session_state["_session_store"]).read_papers().height > 11
    assert Store(store.root).read_papers().height == 11


def test_bad_upload_is_one_clear_error(store):
    at = run()
    at.file_uploader(key="upload").upload("broken.json", b'{"title": ', "application/json").run()
    assert not at.exception
    assert at.error, "an error message is shown"
    message = at.error[0].value
    assert "broken.json" in message
    assert "Traceback" not in message
    assert "\n" not in message
    assert Store(store.root).read_papers().height == 11


def test_page_dump_upload_asks_for_the_capture_date_then_adds_its_papers(store):
    dump = (REPO / "tests" / "fixtures" / "page-dumps" / "training-parameters-search.txt")
    at = run()
    at.file_uploader(key="upload").upload(dump.name, dump.read_bytes(), "text/plain").run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    message = " ".join(w.value for w in at.warning)
    assert dump.name in message
    assert "Capture date of page dumps" in message
    assert "Traceback" not in message
    assert not any("Added" in s.value for s in at.success)
    assert Store(store.root).read_papers().height == 11
    at.date_input(key="upload_capture_date").set_value(dt.date(2025, 12, 31)).run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    assert any("Added 58 new" in s.value for s in at.success), [s.value for s in at.success]
    session = Store(at.session_state["_session_store"]).read_papers()
    assert session.height == 11 + 58
    assert Store(store.root).read_papers().height == 11  # the given store is untouched
    assert session.filter(pl.col("published") > dt.date(2025, 12, 31)).height == 0


def test_a_store_without_topics_explains_itself(store):
    at = run("topics.py")
    assert any("no topic model" in i.value for i in at.info)
    at = run("upvotes.py")
    assert not at.error


@pytest.mark.slow
def test_first_start_fits_topics_with_progress_then_starts_warm(sample_store, tmp_path,
                                                                monkeypatch):
    """A store without topics gets them on the first start (progress in st.status), once."""
    import shutil

    root = tmp_path / "fresh"
    shutil.copytree(sample_store, root)
    monkeypatch.setenv("PAPERTRENDS_STORE", str(root))
    monkeypatch.delenv("PAPERTRENDS_NO_FIT", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(ENV_ALLOW_UPDATES, "1")  # the server may write its store
    at = AppTest.from_file(APP, default_timeout=900).run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [s.label for s in at.status]
    assert any(lbl.startswith("Topics ready") for lbl in labels), labels
    steps = " ".join(m.value for m in at.status[0].markdown)
    assert "embedding" in steps, "the fit's progress messages are shown"
    assert (root / "topics" / "assignments.parquet").is_file()
    n_topics = int(next(m.value for m in at.metric if m.label == "Topics"))
    assert n_topics >= 2
    again = AppTest.from_file(APP, default_timeout=90).run()
    assert not again.exception
    assert not again.status, "the second start reuses the topics"
    assert next(m.value for m in again.metric if m.label == "Topics") == str(n_topics)


def test_a_shared_store_without_topics_is_not_fitted_without_allow_updates(sample_store, tmp_path,
                                                                           monkeypatch):
    """Without --allow-updates the first start only says how to fit; it writes nothing."""
    import shutil

    root = tmp_path / "shared"
    shutil.copytree(sample_store, root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    monkeypatch.setenv("PAPERTRENDS_STORE", str(root))
    monkeypatch.delenv("PAPERTRENDS_NO_FIT", raising=False)
    monkeypatch.delenv(ENV_ALLOW_UPDATES, raising=False)
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.status, "no fit was started"
    hint = " ".join(i.value for i in at.info)
    assert f"papertrends fit --store {root}" in hint
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_update_data_fetches_new_days_with_progress(tmp_path, monkeypatch):
    """"Update data" runs the real fetch against a local server playing the Daily Papers API."""
    from tests.support.hf_server import ALL_IDS, HFServer, no_real_endpoint

    no_real_endpoint(monkeypatch)
    root = tmp_path / "fetch-store"
    store = Store(root)
    store.write_papers(pl.DataFrame([{
        "paper_id": "2601.00001", "title": "An older paper", "abstract": "Text.",
        "published": dt.date(2026, 1, 13), "listed": dt.date(2026, 1, 14), "upvotes": 1,
        "authors": ["A"], "keywords": [], "source": "test"}]))
    monkeypatch.setenv("PAPERTRENDS_STORE", str(root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    with HFServer() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        at = run()
        assert not [b for b in at.button if b.key == "update_data"]  # not without the flag
        monkeypatch.setenv("PAPERTRENDS_ALLOW_UPDATES", "1")  # papertrends serve --allow-updates
        at = run()
        at.button(key="update_data").click().run(timeout=300)
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error, [e.value for e in at.error]
    ids = set(Store(root).read_papers()["paper_id"])
    assert ids == ALL_IDS | {"2601.00001"}
    assert any("papers:" in s.value and "new" in s.value for s in at.success)
    assert int(at.metric[0].value.replace(",", "")) == len(ids)


def test_serve_refuses_a_store_without_papers(tmp_path, capsys):
    from analysis.cli import main

    assert main(["serve", "--store", str(tmp_path / "nothing-here")]) == 2
    err = capsys.readouterr().err
    assert "no paper table" in err
    assert "nothing-here" in err
    assert "Traceback" not in err
    assert main(["serve", "--port", "70000"]) == 2
    assert "port 70000" in capsys.readouterr().err


@pytest.mark.slow
def test_uploaded_papers_get_topics_without_a_refit(monkeypatch):
    """A CSV upload into the session copy of the bundled store, then "Give ... topics"."""
    monkeypatch.setenv("PAPERTRENDS_STORE", str(REPO / "data"))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    csv = ("paper_id,title,abstract,published,upvotes\n"
           "2612.99001,Diffusion models for video generation,We train a video diffusion model "
           "that generates long videos from text prompts.,2026-05-20,3\n"
           "2612.99002,Reinforcement learning for LLM reasoning,We use reinforcement learning "
           "with verifiable rewards to improve reasoning of language models.,2026-05-21,4\n")
    at = run()
    at.file_uploader(key="upload").upload("new.csv", csv.encode(), "text/csv").run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    button = at.button(key="assign_topics")
    assert "2 new papers" in button.label
    button.click().run(timeout=600)
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    assert any("2 papers got a topic" in s.value for s in at.success)
    from analysis.topics.artifacts import read_assignments

    assigned = read_assignments(Store(at.session_state["_session_store"]))
    assert {"2612.99001", "2612.99002"} <= set(assigned["paper_id"])
    original = read_assignments(Store(REPO / "data"))
    assert "2612.99001" not in set(original["paper_id"])


def test_uploads_are_capped_for_the_whole_server(store, monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_UPLOAD_LIMIT_MB", "0.01")  # 10 kB for every session together
    at = run()
    data = (DAILY / "2024-05-27.json").read_bytes()
    at.file_uploader(key="upload").upload("2024-05-27.json", data, "application/json").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("No room for these files: uploads on this server hold")
    assert "papertrends ingest FILE" in errors[0]
    assert "_session_store" not in at.session_state
    assert Store(store.root).read_papers().height == 11


def test_the_keywords_page_looks_phrases_up_in_the_store_index(sample_store, tmp_path,
                                                                 monkeypatch):
    import shutil

    from analysis.trends import phrase_index

    shutil.copytree(sample_store, tmp_path / "s")
    monkeypatch.setenv("PAPERTRENDS_STORE", str(tmp_path / "s"))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    looked_up = watch_lookups(monkeypatch)
    plain = run("keywords.py", q="diffusion, agent")
    assert not looked_up  # no index yet: the phrases are scanned for
    phrase_index.build(Store(tmp_path / "s"))
    indexed = run("keywords.py", q="diffusion, agent")
    assert sorted(looked_up) == [("agent",), ("diffusion",)]
    assert [m.value for m in indexed.metric] == [m.value for m in plain.metric]
