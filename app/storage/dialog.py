"""At start: open the conversations, or say what is wrong with their file and let the user
choose between moving it aside (kept, renamed) to start a new one, and quitting; once the
window shows, say what opening found and kept (``tell_notices``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QMessageBox

from .check import DatabaseProblem, set_aside
from .store import ConversationStore, DatabaseProblemError, StoreError


def ask_about_database(problem: DatabaseProblem) -> bool:
    """The choice, in a modal dialog; True: move the file aside and start a new one."""
    box = QMessageBox(QMessageBox.Warning, "ADED Chat", "Your conversations cannot be opened.")
    box.setObjectName("databaseProblem")
    text = problem.message + "."
    if problem.can_set_aside:
        text += (f"\n\nMove it aside: the file is kept in {problem.path.parent}, renamed "
                 f"{problem.path.stem}.set-aside-<date>{problem.path.suffix}, and ADED Chat "
                 "starts with a new, empty one. Nothing is deleted.")
        move = box.addButton("Move it aside and start anew", QMessageBox.AcceptRole)
    else:
        text += "\n\nNothing was changed. Make the folder writable, or start with --data-dir."
        move = None
    box.setInformativeText(text)
    box.setDefaultButton(box.addButton("Quit", QMessageBox.RejectRole))
    box.exec()
    return move is not None and box.clickedButton() is move


def open_conversations(path: str | Path | None = None,
                       ask: Callable[[DatabaseProblem], bool] = ask_about_database
                       ) -> ConversationStore | None:
    """The store, after ``ask`` (when the file has a problem) agreed to move the file aside;
    None when the user chose to quit. Raises StoreError when even a new file fails."""
    try:
        return ConversationStore(path)
    except DatabaseProblemError as exc:
        if not ask(exc.problem):  # never True when the file cannot be moved
            return None
        try:
            set_aside(exc.problem.path)
        except OSError as move_error:
            raise StoreError(f"could not move {exc.problem.path} aside: {move_error}") from exc
    return ConversationStore(path)


def tell_notices(store: ConversationStore, window) -> QMessageBox | None:
    """Say what opening the conversations found (a damaged write-ahead log: what could not be
    read back, where the file is kept as it was; app/storage/wal_check.py), in a box that
    does not block the window."""
    if not store.notices:
        return None
    box = QMessageBox(QMessageBox.Warning, "ADED Chat",
                      "Some of your conversations could not be read back.", QMessageBox.Ok,
                      window)
    box.setObjectName("databaseNotice")
    box.setInformativeText("\n\n".join(store.notices))
    box.open()  # window-modal, not blocking: the window is usable behind it
    return box
