"""Shared fixtures for the app tests: offscreen Qt, the real demo model loaded once per
module in a real engine thread, a fresh SQLite file per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from aded_engine import paths  # noqa: E402
from aded_engine.catalog import SMOLLM2  # noqa: E402
from aded_engine.models import fetch_model  # noqa: E402

REPLY_TOKENS = 32
N_CTX = 1024


@pytest.fixture(scope="session", autouse=True)
def guarded_qapp(qapp):
    """The PySide6 refcount guard (see app/qt_compat.py) for every test."""
    from app.qt_compat import guard_singleton_refcounts
    guard_singleton_refcounts()
    return qapp


@pytest.fixture(scope="session")
def demo_model():
    return fetch_model(SMOLLM2)


@pytest.fixture(scope="module")
def module_data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("aded-data")
    paths.set_data_dir(path)
    yield path
    paths.set_data_dir(None)


def small_settings(**overrides):
    """Settings that keep tests quick: one thread (the machine may be shared), a small
    context, short greedy replies."""
    from app.settings.settings import AppSettings
    values = dict(n_threads=1, n_ctx=N_CTX, max_tokens=REPLY_TOKENS, temperature=0.0)
    values.update(overrides)
    return AppSettings(**values)


@pytest.fixture
def settings_for():
    return small_settings


@pytest.fixture(scope="module")
def engine(qapp, module_data_dir, demo_model):
    """One EngineClient (worker + QThread) with the demo model, shared by a module."""
    from app.engine.wait import wait_until
    from app.engine.worker import EngineClient
    client = EngineClient()
    client.load(str(demo_model), small_settings().session_settings())
    assert wait_until(lambda: client.info is not None, 120), "the demo model did not load"
    yield client
    assert client.shutdown()


@pytest.fixture
def make_window(qtbot, engine, tmp_path, settings_for):
    """``make_window(settings=None, client=engine)``: the real main window on a fresh
    conversations file, shown; closed with its store after the test."""
    from app.mainwindow.main_window import MainWindow
    from app.storage.store import ConversationStore
    made = []

    def make(settings=None, client=engine):
        store = ConversationStore(tmp_path / "conversations.db")
        window = MainWindow(store, settings or settings_for(), client)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append((window, store))
        return window

    yield make
    for window, store in made:
        window.close()
        store.close()


@pytest.fixture
def window(make_window):
    """One main window with the module's engine and the small test settings."""
    return make_window()


@pytest.fixture
def store(tmp_path):
    from app.storage.store import ConversationStore
    s = ConversationStore(tmp_path / "conversations.db")
    yield s
    s.close()


def _drop(window, paths) -> None:
    """Drag files over the window and let go (Qt delivers a drop only after the drag
    entered a widget that accepted it)."""
    import warnings

    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    with warnings.catch_warnings():  # PySide marks Qt 6's only constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(20, 20), Qt.CopyAction, mime, Qt.LeftButton,
                                Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted()


@pytest.fixture
def drop_files():
    """``drop_files(window, paths)``: files dragged onto the window and dropped."""
    return _drop
