"""Shared fixtures: the real demo model (fetched once, verified) and an isolated data folder."""

from __future__ import annotations

import pytest

from aded_engine import paths
from aded_engine.models import fetch_demo_model


@pytest.fixture(scope="session")
def demo_model_path():
    return fetch_demo_model()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Every test writes its tables, caches and settings under its own temporary folder."""
    monkeypatch.setenv("ADED_DATA_DIR", str(tmp_path / "aded-data"))
    paths.set_data_dir(None)
    yield tmp_path / "aded-data"
    paths.set_data_dir(None)
