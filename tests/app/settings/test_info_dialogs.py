"""The speed history and data locations dialogs on a real SQLite file (no model needed)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices

from aded_engine import paths
from app.settings.data_locations import DataLocationsDialog, data_locations
from app.speed.history import COLUMNS, SpeedHistoryDialog
from app.speed.meter import NOT_ENOUGH
from app.storage.store import DB_NAME, PARTIAL, ConversationStore

SPEEDUP = COLUMNS.index("Speedup")
CONVERSATION = COLUMNS.index("Conversation")


def reply(store, conversation_id, model, speedup, tokens_per_s=50.0, tokens_per_call=1.5):
    store.add_message(conversation_id, "user", "question")
    return store.add_message(conversation_id, "assistant", "answer", model=model, stats={
        "tokens": 32, "tokens_per_s": tokens_per_s, "tokens_per_call": tokens_per_call,
        "speedup": speedup, "finish_reason": "length"})


def column(panel, index):
    return [row[index] for row in panel.rows()]


def test_speed_history_lists_replies_of_the_conversation_and_of_the_model(qtbot, store):
    one = store.create_conversation("first chat")
    two = store.create_conversation("second chat")
    reply(store, one, "small.gguf", None)  # too short to measure
    reply(store, two, "small.gguf", 1.25, tokens_per_s=61.3, tokens_per_call=1.87)
    reply(store, one, "small.gguf", 1.5)
    reply(store, one, "other.gguf", 0.9)
    store.add_message(one, "assistant", "still writing", status=PARTIAL, model="small.gguf")

    dialog = SpeedHistoryDialog(store, one, "small.gguf")
    qtbot.addWidget(dialog)
    conv = dialog.conversation_panel
    assert column(conv, SPEEDUP) == [NOT_ENOUGH, "1.50×", "0.90×"]
    assert column(conv, COLUMNS.index("Model")) == ["small.gguf"] * 2 + ["other.gguf"]
    assert column(conv, 0) == ["1", "2", "3"]
    assert conv.plot.points == [(2, 1.5), (3, 0.9)]  # reply number, speedup; unmeasured left out

    model = dialog.model_panel
    assert column(model, CONVERSATION) == ["first chat", "second chat", "first chat"]
    assert column(model, SPEEDUP) == [NOT_ENOUGH, "1.25×", "1.50×"]
    second = model.rows()[1]
    assert second[COLUMNS.index("Tokens/s")] == "61.3"
    assert second[COLUMNS.index("Tokens/call")] == "1.87"
    assert model.plot.points == [(2, 1.25), (3, 1.5)]
    assert "latest 1.50×" in model.summary.text() and "3 replies" in model.summary.text()
    assert dialog.tabs.tabText(1) == "This model"
    # a file name with "_" or "&" reads as written: in a plain-text label, not a tab title
    named = SpeedHistoryDialog(store, None, "SmolLM2-135M-Instruct.Q4_1 & co.gguf")
    qtbot.addWidget(named)
    assert named.model_panel.heading.text() == \
        "Model SmolLM2-135M-Instruct.Q4_1 & co.gguf, every conversation"
    assert named.model_panel.heading.textFormat() == Qt.PlainText


def test_speed_history_without_conversation_or_model(qtbot, store):
    reply(store, store.create_conversation("c"), "m.gguf", 1.1)
    dialog = SpeedHistoryDialog(store, None, None)
    qtbot.addWidget(dialog)
    assert dialog.conversation_panel.rows() == [] and dialog.model_panel.rows() == []
    assert dialog.model_panel.summary.text() == "No model is loaded."
    dialog.show()
    dialog.grab()  # paints the empty plots


def test_data_locations_show_the_real_paths_under_the_data_dir(qtbot, tmp_path, monkeypatch):
    paths.set_data_dir(tmp_path / "data")
    try:
        store = ConversationStore(paths.data_dir() / DB_NAME)
        dialog = DataLocationsDialog(data_locations(store.path))
        qtbot.addWidget(dialog)
        shown = {what: field.text() for what, field in dialog.paths.items()}
        root = (tmp_path / "data").resolve()
        assert shown["Conversations database"] == str(root / DB_NAME)
        assert shown["Learned tables"] == str(root / "tables") == str(paths.tables_dir())
        assert shown["Settings"] == str(root / "config") == str(paths.config_dir())
        assert shown["Cache (measured model speeds)"] == str(root / "cache")
        assert shown["Demo models"] == str(paths.models_dir())
        assert all(field.isReadOnly() for field in dialog.paths.values())

        opened = []
        monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
        dialog.open_buttons["Learned tables"].click()
        dialog.open_buttons["Conversations database"].click()  # a file: its folder opens
        assert opened == [QUrl.fromLocalFile(str(root / "tables")), QUrl.fromLocalFile(str(root))]
        assert dialog.message.text() == ""
        monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
        dialog.open_buttons["Settings"].click()
        assert "Could not open" in dialog.message.text()
        store.close()
    finally:
        paths.set_data_dir(None)
