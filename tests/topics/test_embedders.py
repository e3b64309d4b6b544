"""Embedding backends and the per-paper cache, with the real models (no stand-ins)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analysis.schema import InputError
from analysis.store import BUNDLED_STORE, Store, text_hash
from analysis.topics import embedders as E
from analysis.topics import vectors as V


def store_with_models(tmp_path: Path, fast_models: Path, papers: pl.DataFrame) -> Store:
    store = Store(tmp_path / "store")
    shutil.copytree(fast_models, store.models_dir)
    store.write_papers(papers)
    return store


def test_doc_text_joins_title_and_abstract():
    assert V.doc_text("Attention Is All You Need.", "We propose...") == \
        "Attention Is All You Need. We propose..."
    assert V.doc_text("Only a title", None) == "Only a title"


def test_cache_embeds_only_new_papers(tmp_path, sample_store, fast_models):
    papers = Store(sample_store).read_papers()
    first, rest = papers.head(300), papers
    store = store_with_models(tmp_path, fast_models, first)
    v1 = E.embed_papers(store, first, "fast")
    cache1 = V.read_cache(store, "fast")
    assert v1.shape == (300, 256)
    assert np.allclose(np.linalg.norm(v1, axis=1), 1.0, atol=1e-2)
    assert cache1.height == len({V.doc_text(t, a) for t, a in first.select("title", "abstract")
                                 .iter_rows()})
    before = store.embeddings_path("fast").stat().st_mtime_ns
    again = E.embed_papers(store, first, "fast")
    assert np.array_equal(v1, again)
    assert store.embeddings_path("fast").stat().st_mtime_ns == before  # nothing rewritten

    v2 = E.embed_papers(store, rest, "fast")
    cache2 = V.read_cache(store, "fast")
    n_texts = len({V.doc_text(t, a) for t, a in rest.select("title", "abstract").iter_rows()})
    assert cache2.height == n_texts
    # vectors of the first papers were kept, not recomputed differently
    assert np.array_equal(v2[:300], v1)
    old = cache1.join(cache2, on="key", suffix="_new")
    assert old.height == cache1.height
    assert (old["vector"] == old["vector_new"]).all()


def test_broken_cache_is_a_clear_error(tmp_path):
    store = Store(tmp_path)
    store.embeddings_dir.mkdir(parents=True)
    store.embeddings_path("minilm").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="minilm.parquet"):
        V.read_cache(store, "minilm")
    with pytest.raises(InputError, match="unknown embedder"):
        V.check_backend("word2vec")


@pytest.mark.slow
def test_shipped_minilm_vectors_match_the_real_model():
    """Re-embed a few bundled papers with the real MiniLM; compare to the shipped float16 cache."""
    store = Store(BUNDLED_STORE)
    cache = V.read_cache(store, "minilm")
    papers = store.read_papers()
    assert cache.height >= 0.99 * papers.height, "bundled MiniLM embeddings are missing"
    sample = papers.sample(8, seed=7)
    fresh = E.Embedder("minilm", store).encode(V.doc_texts(sample))
    keys = [text_hash(t) for t in V.doc_texts(sample)]
    shipped = cache.filter(pl.col("key").is_in(keys))
    assert shipped.height == 8
    index = {k: i for i, k in enumerate(shipped["key"].to_list())}
    vecs = V.vectors_of(shipped)
    cos = np.array([fresh[j] @ vecs[index[k]] / np.linalg.norm(vecs[index[k]])
                    for j, k in enumerate(keys)])
    assert cos.min() >= 0.99, cos
    # and a different paper is clearly less similar
    assert float(fresh[0] @ vecs[index[keys[1]]]) < 0.95
