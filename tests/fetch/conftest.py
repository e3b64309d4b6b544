"""Fixtures of the fetch tests: no real endpoint is ever reachable, and a fresh store each."""

from __future__ import annotations

import pytest

from analysis.store import Store


@pytest.fixture(autouse=True)
def _no_real_endpoint(no_hf_endpoint) -> None:
    """Every fetch test runs with HF_ENDPOINT at a closed loopback port and no token."""


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty store in a temporary folder."""
    return Store(tmp_path / "store")
