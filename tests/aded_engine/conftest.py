"""Fixtures of the engine's tests."""

import pytest

from aded_engine import paths
from aded_engine.backend import BackendSettings
from aded_engine.session import ChatSession, SessionSettings


@pytest.fixture(scope="module")
def session(demo_model_path, tmp_path_factory):
    """One session on the demo model for a whole test module (loading one takes seconds)."""
    paths.set_data_dir(tmp_path_factory.mktemp("session-data"))
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=2048, n_threads=2)))
    yield s
    s.close()
    paths.set_data_dir(None)
