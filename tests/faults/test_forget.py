"""Fault injection, deletes: whatever a conversation taught the learned table, every version
of every reply and the user's words with them, is forgotten exactly when it is deleted, and
a walk of the table from the secret's prefix no longer drafts the secret."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from aded_engine.paths import tables_dir
from aded_engine.table_store import read_table_file, table_path
from test_crash import walk

pytestmark = pytest.mark.slow
SECRET = "For the record, my locker code is tangerine-walrus-5120 and I keep it private."


@pytest.fixture(scope="module")
def engine(qapp, tmp_path_factory, demo_model_path):
    from aded_engine import paths
    from app.engine.wait import wait_until
    from app.engine.worker import EngineClient
    from app.settings.settings import AppSettings
    paths.set_data_dir(tmp_path_factory.mktemp("forget-data"))
    client = EngineClient()
    settings = AppSettings(n_threads=1, n_ctx=1024, max_tokens=24, temperature=0.0)
    client.load(str(demo_model_path), settings.session_settings())
    assert wait_until(lambda: client.info is not None, 600)
    yield client
    assert client.shutdown()
    paths.set_data_dir(None)


def test_deleting_every_conversation_leaves_nothing_learned_from_them(
        qtbot, engine, tmp_path, small_settings, monkeypatch):
    from app.mainwindow.main_window import MainWindow
    from app.storage.store import ConversationStore

    store = ConversationStore(tmp_path / "conversations.db")
    window = MainWindow(store, small_settings, engine)
    qtbot.addWidget(window)
    forgotten = []
    engine.learning.worker.forgotten.connect(forgotten.append)

    def send(text):
        assert window.send_message(text)
        qtbot.waitUntil(lambda: window.replies.reply is None, timeout=300_000)

    send("Name three colours.")
    send(SECRET)
    assert window.regenerate()  # a second version of the reply; both are learned
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=300_000)
    window.new_conversation()
    send("Write one sentence about rain.")
    session = engine.worker.session
    vocab = session.backend
    prefix = vocab.tokenize("my locker code is", parse_special=False)
    secret = vocab.tokenize(" tangerine-walrus-5120", parse_special=False)
    path = table_path(tables_dir(), session.fingerprint, "history")
    chat_sources = [s for s in read_table_file(path).sources if s.startswith("chat:")]
    assert len(chat_sources) == 4  # four replies, the regenerated one included
    assert walk(session.learned.history, prefix, len(secret)) == secret

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    for summary in store.list_conversations():
        forgotten.clear()
        assert window.delete_conversation(summary.id)
        qtbot.waitUntil(lambda: bool(forgotten), timeout=60_000)
    on_disk = read_table_file(path)
    assert not [s for s in on_disk.sources if s.startswith("chat:")]
    for layer in (session.learned.history, on_disk.layer):
        assert len(layer) == 0  # this table learned only from these conversations
        assert walk(layer, prefix, len(secret)) != secret
    window.close()
    store.close()
