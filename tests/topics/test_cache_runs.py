"""Embedding runs: checkpoints as part files, resuming, the same bytes whatever the batching."""

from __future__ import annotations

import shutil
import sys

import pytest

from analysis.cli import main
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics import embedders as E
from analysis.topics import vectors as V
from analysis.topics.engine import Engine


class Stop(Exception):
    """Raised by a progress callback to break off a run, as a kill would."""


def make_store(root, fast_models, papers) -> Store:
    store = Store(root)
    shutil.copytree(fast_models, store.models_dir)
    store.write_papers(papers)
    return store


def snapshot(store: Store) -> dict[str, bytes]:
    """The store's files and their bytes (the lock file and the manifest journal left out)."""
    return {str(p.relative_to(store.root)): p.read_bytes() for p in sorted(store.root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_checkpoints_do_not_change_the_bytes(tmp_path, sample_store, fast_models):
    papers = Store(sample_store).read_papers()
    one = make_store(tmp_path / "one", fast_models, papers)
    many = make_store(tmp_path / "many", fast_models, papers)
    assert E.embed_missing(one, papers, "fast") == V.read_cache(one, "fast").height
    seen = []
    E.embed_missing(many, papers, "fast", checkpoint=37,
                    progress=lambda d, n, m: seen.append(len(V.cache_parts(many, "fast"))))
    assert max(seen) > 3  # the run did write several parts ...
    assert not V.cache_parts(many, "fast")  # ... and folded them in at the end
    assert many.embeddings_path("fast").read_bytes() == one.embeddings_path("fast").read_bytes()


def test_a_broken_off_run_resumes_where_it_stopped(tmp_path, sample_store, fast_models):
    papers = Store(sample_store).read_papers()
    whole = make_store(tmp_path / "whole", fast_models, papers)
    E.embed_missing(whole, papers, "fast")
    store = make_store(tmp_path / "broken", fast_models, papers)

    def stop_after_two(done, total, message):
        if len(V.cache_parts(store, "fast")) >= 2:
            raise Stop

    with pytest.raises(Stop):
        E.embed_missing(store, papers, "fast", checkpoint=50, progress=stop_after_two)
    kept = V.read_cache(store, "fast").height
    assert kept >= 100  # two parts of 50
    assert not store.embeddings_path("fast").exists()  # nothing folded in yet
    again = E.embed_missing(store, papers, "fast", checkpoint=50)
    assert again == V.read_cache(whole, "fast").height - kept  # only the missing ones
    assert store.embeddings_path("fast").read_bytes() == whole.embeddings_path("fast").read_bytes()


def test_engine_settings_are_checked():
    with pytest.raises(InputError, match="engine"):
        Engine("spark")
    with pytest.raises(InputError, match="--engine ray"):
        Engine("local", address="auto")
    with pytest.raises(InputError, match="batch size"):
        Engine("ray", batch_size=0)


def test_embed_command(tmp_path, sample_store, fast_models, capsys):
    papers = Store(sample_store).read_papers()
    store = make_store(tmp_path / "s", fast_models, papers.head(120))
    assert main(["embed", "--store", str(store.root), "--backend", "fast", "--json"]) == 0
    first = capsys.readouterr().out
    assert '"embedded": 120' in first
    assert main(["embed", "--store", str(store.root), "--backend", "fast", "--json"]) == 0
    assert '"embedded": 0' in capsys.readouterr().out


@pytest.mark.parametrize(("args", "words"), [
    (["--address", "auto"], "--address needs --engine ray"),
    (["--engine", "ray", "--batch-size", "0"], "batch size"),
])
def test_embed_command_bad_options(tmp_path, sample_store, capsys, args, words):
    store = Store(tmp_path / "s")
    store.write_papers(Store(sample_store).read_papers().head(5))
    assert main(["embed", "--store", str(store.root), "--backend", "fast", *args]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("module", "args", "words"), [
    ("ray", ["--engine", "ray"], "papertrends[scale]"),
    ("openvino", ["--backend", "minilm-openvino"], "papertrends[scale]"),
])
def test_missing_extra_is_a_clear_error(tmp_path, sample_store, fast_models, capsys, monkeypatch,
                                        module, args, words):
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    store = make_store(tmp_path / "s", fast_models, Store(sample_store).read_papers().head(5))
    with store.lock():  # fold the journal of the setup's writes into the manifest
        pass
    before = snapshot(store)
    argv = ["embed", "--store", str(store.root), "--backend", "fast", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err
    assert snapshot(store) == before
