"""Fault injection, the conversations file (issue 22 item 3): damage that passes SQLite's
``quick_check`` stopped every start with an uncaught exception (then Qt aborted: "QThread
destroyed"). Each file here is made by the store, damaged with sqlite3, and the real app is
started on it (``main``): a value that cannot be read is its default and the window shows
every conversation; a schema that cannot be read safely is offered to be moved aside, the
file kept, and the window opens on a new one. Item 4: a write-ahead log a crash left, then
damaged, silently lost the commits behind the damage; the window now opens on what
replays, the file and its log are kept as they were, and a box says what was lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main import main
from app.mainwindow.main_window import MainWindow
from app.storage.store import DB_NAME
from damaged_conversations import (CRASHED, DEEP, SCHEMA_DAMAGE, crashed, damage,  # tests/
                                   damage_log, make_ours)


VALUE_DAMAGE = {
    "deeply nested messages.stats": f"UPDATE messages SET stats = '{DEEP}'",
    "deeply nested conversations.sampling": f"UPDATE conversations SET sampling = '{DEEP}'",
    "deeply nested attachments.page_starts": f"UPDATE attachments SET page_starts = '{DEEP}'",
    "conversations.updated 'later'": "UPDATE conversations SET updated = 'later'",
}


def start(data) -> dict:
    """``main`` on ``data``: the dialog, if any, answered "Move it aside"; the notice box's
    text, if any; in the window every conversation opened, then the window closed."""
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
        notice = window.findChild(QMessageBox, "databaseNotice")
        seen["notice"] = notice.informativeText() if notice else None
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


WAL_DAMAGE = {  # kind of damage, the commit whose first frame it hits, what is still shown
    "1 message lost": ("flip", "answer", {"kept": CRASHED["kept"], "later": ["question"]}),
    "2 messages lost": ("salt", "question", {"kept": CRASHED["kept"], "later": []}),
    "a whole conversation lost": ("cut", "create later", {"kept": CRASHED["kept"]}),
}


@pytest.mark.parametrize("case", WAL_DAMAGE)
def test_the_app_starts_on_a_damaged_log_keeps_it_and_says_what_was_lost(qtbot, tmp_path,
                                                                          case):
    kind, where, shown = WAL_DAMAGE[case]
    data = tmp_path / "data"
    damage_log(data / f"{DB_NAME}-wal", kind, crashed(tmp_path / "live", data)[where])
    before = {side: (data / f"{DB_NAME}{side}").read_bytes() for side in ("", "-wal")}
    seen = start(data)
    assert seen["code"] == 0 and seen["dialog"] is None
    assert seen["shown"] == shown
    assert f"{data / DB_NAME}-wal (its write-ahead log) " in seen["notice"]
    assert "cannot be read back" in seen["notice"]
    [copy] = data.glob("*.set-aside-*.db")
    assert f"kept as {copy.name} in {data}" in seen["notice"]
    for side, content in before.items():  # byte for byte, as the crash left them
        assert Path(f"{copy}{side}").read_bytes() == content
