"""The fault tests run the real window offscreen, with the refcount guard every Qt test
uses (app/qt_compat.py)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def guarded_qapp(qapp):
    from app.qt_compat import guard_singleton_refcounts
    guard_singleton_refcounts()
    return qapp


@pytest.fixture
def small_settings():
    """One thread (the machine may be shared), a small context, short greedy replies."""
    from app.settings.settings import AppSettings
    return AppSettings(n_threads=1, n_ctx=1024, max_tokens=32, temperature=0.0)
