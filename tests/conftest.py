"""Shared test fixtures. Tests use copies of the real data under tests/fixtures/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.paths import DAILY, OUTPUT, PAGE_DUMP, REFERENCE_DATE

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")



@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave files worth looking at (screenshots, exports)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A store built by the real ingest from the 27 fixture daily files and the page dump.

    Session-scoped and shared: treat it as read-only (copy it to change it).
    """
    import datetime as dt

    from analysis.ingest import ingest
    from analysis.store import Store

    root = tmp_path_factory.mktemp("sample-store")
    ingest(Store(root), [DAILY, PAGE_DUMP], reference_date=dt.date.fromisoformat(REFERENCE_DATE))
    return root


@pytest.fixture(scope="session")
def record_store(tmp_path_factory) -> Path:
    """A store of both real sources (daily files, archive months and its index); read-only.

    See tests/support/record_store.py.
    """
    from tests.support.record_store import build_record_store

    root = tmp_path_factory.mktemp("record-store")
    build_record_store(root)
    return root


@pytest.fixture(scope="session")
def fast_models(tmp_path_factory) -> Path:
    """A models folder holding the static embedder distilled once from the local MiniLM."""
    from analysis.store import Store
    from analysis.topics.embedders import load_fast

    root = tmp_path_factory.mktemp("fast-models")
    load_fast(Store(root))
    return root / "models"


@pytest.fixture
def hf_api(monkeypatch):
    """A real local HTTP server playing the Daily Papers API on 127.0.0.1 (support/hf_server).

    fetch speaks through huggingface_hub, which HF_HUB_OFFLINE (set for the whole test run, so
    no model is ever downloaded) would stop: while the server runs, the in-process Hub is online
    (its requests can only reach this server) and reads no token saved on this machine.
    """
    from huggingface_hub import constants

    from tests.support.hf_server import HFServer

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", "/nonexistent/papertrends-test-token")
    with HFServer() as srv:
        assert srv.endpoint.startswith("http://127.0.0.1:")  # loopback only
        yield srv


@pytest.fixture
def no_hf_endpoint(monkeypatch) -> None:
    """HF_ENDPOINT at a closed loopback port and no HF_TOKEN, for the fetch test modules.

    tests/fetch/conftest.py uses it for every fetch test.
    """
    from tests.support.hf_server import no_real_endpoint

    no_real_endpoint(monkeypatch)
