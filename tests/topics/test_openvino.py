"""MiniLM on OpenVINO int8: exported locally, close to the PyTorch vectors, same topics.

The bounds of the issue (cosine >= 0.99 for every shipped paper, >= 98 % nearest-topic agreement
over all of them) are measured over all 8,558 papers by bench/bench_embed.py; here a sample of the
shipped papers is held to the cosine bound and to a 97 % agreement (a sample's share wobbles).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.store import BUNDLED_STORE, Store
from analysis.topics import embedders as E
from analysis.topics import openvino as OV
from analysis.topics import vectors as V

pytestmark = pytest.mark.slow
pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("ov"))
    OV.ensure_model(store)
    return store


def test_export_is_complete_and_recorded(exported):
    folder = OV.model_dir(exported)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*OV.FILES, "export.json"])
    record = json.loads((folder / "export.json").read_text())
    assert record["calibration_papers"] == len(OV.CALIBRATION_IDS)
    assert record["ffn_matmuls_kept"] == 6  # one FFN output per layer stays in float
    assert not list(exported.models_dir.glob(".*"))  # no temporary folder left


def test_vectors_are_close_to_pytorch(exported):
    bundled = Store(BUNDLED_STORE)
    papers = bundled.read_papers().gather_every(20)  # 428 papers
    new = E.Embedder("minilm-openvino", exported).encode(V.doc_texts(papers))
    shipped = V.paper_vectors(bundled, papers, "minilm")
    assert not np.isnan(shipped).any()
    cosine = np.sum(new * shipped, axis=1)
    assert cosine.min() >= 0.99
    # Where the CPU has bf16 (the machines the export was tuned on) the mean is >= 0.997; an
    # AVX2-only CPU (an AMD EPYC that OpenVINO reports as FP32/INT8 only) runs the int8 kernels
    # without VNNI and gave mean 0.9960, min 0.9933 on this sample
    assert cosine.mean() >= (0.997 if "BF16" in OV.cpu_capabilities() else 0.995)
    centroids = np.load(BUNDLED_STORE / "topics" / "topic_vectors.npy")
    agree = np.mean((new @ centroids.T).argmax(1) == (shipped @ centroids.T).argmax(1))
    assert agree >= 0.97


def test_order_and_batching_give_the_same_vectors(exported):
    texts = V.doc_texts(Store(BUNDLED_STORE).read_papers().head(40))
    emb = E.Embedder("minilm-openvino", exported)
    a = emb.encode(texts)
    b = emb.encode(texts[::-1])[::-1]
    assert np.allclose(a, b, atol=2e-3)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
