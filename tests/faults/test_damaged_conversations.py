"""Fault injection, the conversations file (issue 22 item 3): damage that passes SQLite's
``quick_check`` stopped every start with an uncaught exception (then Qt aborted: "QThread
destroyed"). Each file here is made by the store, damaged with sqlite3, and the real app is
started on it (``main``): a value that cannot be read is its default and the window shows
every conversation; a schema that cannot be read safely is offered to be moved aside, the
file kept, and the window opens on a new one."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.attachments.attachments import Attachment
from app.main import main
from app.mainwindow.main_window import MainWindow
from app.storage.store import DB_NAME, ConversationStore

# the cases of tests/app/storage/test_store_damaged_rows.py (test files are not importable)
DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads


def make_ours(path):
    """Two conversations of ours: "kept" has a user message with a PDF attached and a reply
    with statistics, "other" one message."""
    store = ConversationStore(path)
    kept = store.create_conversation("kept", sampling={"temperature": 0.3})
    store.add_message(kept, "user", "read this", attachments=[
        Attachment("paper.pdf", "pdf", 100, "page one page two", 5, page_starts=(0, 9))])
    store.add_message(kept, "assistant", "done reading", stats={"tokens": 12},
                      model="m.gguf")
    other = store.create_conversation("other")
    store.add_message(other, "user", "hello")
    store.close()
    return kept, other


def damage(path, *statements):
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


SCHEMA_DAMAGE = {
    "schema_version 'abc'": (["UPDATE schema_version SET version = 'abc'"],
                             "its schema version 'abc' is not a number"),
    "schema_version -5": (["DELETE FROM schema_version", "INSERT INTO schema_version VALUES (-5)"],
                          "its schema version -5 is not one ADED Chat writes"),
    "a missing column": (["ALTER TABLE messages DROP COLUMN model"],
                         "the table messages has no column model"),
    "a missing table": (["DROP TABLE attachments"], "the table attachments is missing"),
    "a view where a table belongs": (
        ["ALTER TABLE attachments RENAME TO kept_attachments",
         "CREATE VIEW attachments AS SELECT * FROM kept_attachments"],
        "attachments is a view where a table belongs"),
    "schema_version a view": (
        ["ALTER TABLE schema_version RENAME TO old_versions",
         "CREATE VIEW schema_version AS SELECT * FROM old_versions"],
        "schema_version is a view where a table belongs"),
    "a key that is not the integer key": (
        ["ALTER TABLE conversations RENAME TO old", "CREATE TABLE conversations (id TEXT, "
         "title, created, updated, system_prompt, sampling)",
         "INSERT INTO conversations SELECT * FROM old", "DROP TABLE old"],
        "the column conversations.id is not its INTEGER key"),
    "a column of a later version": (
        ["DELETE FROM schema_version WHERE version > 3"],  # messages still has 'prompt'
        "the table messages has a column prompt that its schema version 3 does not have"),
    "a table of a later version": (
        ["DELETE FROM schema_version WHERE version > 0"],
        "it has a table conversations that its schema version 0 does not have"),
}



VALUE_DAMAGE = {
    "deeply nested messages.stats": f"UPDATE messages SET stats = '{DEEP}'",
    "deeply nested conversations.sampling": f"UPDATE conversations SET sampling = '{DEEP}'",
    "deeply nested attachments.page_starts": f"UPDATE attachments SET page_starts = '{DEEP}'",
    "conversations.updated 'later'": "UPDATE conversations SET updated = 'later'",
}


def start(data) -> dict:
    """``main`` on ``data``: the dialog, if any, answered "Move it aside"; in the window
    every conversation opened, then the window closed."""
    seen: dict = {"dialog": None}

    def look():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "databaseProblem":
            seen["dialog"] = box.informativeText()
            [move] = [b for b in box.buttons() if b.text().startswith("Move it aside")]
            move.click()
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, look)
            return
        window = windows[0]
        seen["shown"] = {}
        for conversation_id in window.sidebar.ids():
            window.open_conversation(conversation_id)
            conv = window.current()
            seen["shown"][conv.title] = [m.content for m in conv.messages]
        window.close()

    QTimer.singleShot(0, look)
    seen["code"] = main(["--data-dir", str(data)])
    return seen


@pytest.mark.parametrize("case", VALUE_DAMAGE)
def test_the_app_starts_on_a_damaged_value_and_shows_every_conversation(qtbot, tmp_path, case):
    data = tmp_path / "data"
    data.mkdir()
    make_ours(data / DB_NAME)
    damage(data / DB_NAME, VALUE_DAMAGE[case])
    seen = start(data)
    assert seen["code"] == 0 and seen["dialog"] is None
    assert seen["shown"] == {"kept": ["read this", "done reading"], "other": ["hello"]}


@pytest.mark.parametrize("case", SCHEMA_DAMAGE)
def test_the_app_starts_on_a_damaged_schema_by_offering_to_move_it_aside(qtbot, tmp_path, case):
    data = tmp_path / "data"
    data.mkdir()
    make_ours(data / DB_NAME)
    damage(data / DB_NAME, *SCHEMA_DAMAGE[case][0])
    before = (data / DB_NAME).read_bytes()
    seen = start(data)
    assert seen["code"] == 0
    assert f"{data / DB_NAME} is damaged: {SCHEMA_DAMAGE[case][1]}" in seen["dialog"]
    assert seen["shown"] == {}  # a new, empty file
    [aside] = [p for p in data.iterdir() if ".set-aside-" in p.name and p.suffix == ".db"]
    assert aside.read_bytes() == before
