"""Start-up with a conversations file that has a problem: the choice is asked, moving aside
keeps the old file and starts a new one, quitting changes nothing. The last test starts the
real app (main) and answers its real dialog."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main import main
from app.mainwindow.main_window import MainWindow
from app.storage.check import check_database
from app.storage.dialog import open_conversations
from app.storage.store import SCHEMA_VERSION, DB_NAME

DAMAGED = b"SQLite format 3\x00" + bytes(200)  # a header, then nothing SQLite can read


def aside_files(folder):
    return sorted(p for p in folder.iterdir() if ".set-aside-" in p.name)


def test_moving_aside_keeps_the_old_file_and_opens_a_new_one(tmp_path):
    path = tmp_path / DB_NAME
    path.write_bytes(DAMAGED)
    asked = []
    store = open_conversations(path, ask=lambda problem: asked.append(problem) or True)
    try:
        assert [p.kind for p in asked] == ["damaged"]
        assert store.schema_version() == SCHEMA_VERSION and store.list_conversations() == []
    finally:
        store.close()
    [aside] = aside_files(tmp_path)
    assert aside.read_bytes() == DAMAGED
    assert check_database(path, SCHEMA_VERSION) is None


def test_quitting_changes_nothing(tmp_path):
    path = tmp_path / DB_NAME
    path.write_bytes(DAMAGED)
    assert open_conversations(path, ask=lambda problem: False) is None
    assert path.read_bytes() == DAMAGED and aside_files(tmp_path) == []


def test_the_app_starts_on_a_damaged_file_by_asking(qtbot, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(DAMAGED)
    seen = {}

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen["text"] = box.text() + "\n" + box.informativeText()
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        [move] = [b for b in box.buttons() if b.text().startswith("Move it aside")]
        move.click()
        QTimer.singleShot(50, close_window)

    def close_window():
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, close_window)
            return
        seen["window"] = True
        windows[0].close()

    QTimer.singleShot(0, answer)
    assert main(["--data-dir", str(data)]) == 0
    assert "cannot be opened" in seen["text"] and str(data / DB_NAME) in seen["text"]
    assert "is damaged: file is not a database" in seen["text"]
    assert seen["buttons"] == ["Move it aside and start anew", "Quit"]
    assert seen["window"]  # the window opened on the new file
    [aside] = aside_files(data)
    assert aside.read_bytes() == DAMAGED
    assert check_database(data / DB_NAME, SCHEMA_VERSION) is None
