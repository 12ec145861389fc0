"""Where the user writes: Enter sends, Shift+Enter makes a new line (Esc, which stops the
reply wherever the focus is, is the main window's Chat > Stop). Documents are attached with
Attach…, by pasting files or by dropping them (app/attachments/chips.py holds them); the line
under the box counts the tokens (app/reply/token_budget.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from ..attachments.chips import AttachmentTray
from ..attachments.loading import files_in_mime
from ..mainwindow.theme import theme_for
from ..settings.settings import AppSettings, save_settings
from .limits import MAX_MESSAGE_CHARS, too_long_notice
from .token_budget import BudgetLine


# the keys the message box handles itself (Help > Keyboard shortcuts lists them)
KEYS = (("Enter", "send the message"), ("Shift+Enter", "new line in the message"),
        ("Tab, Shift+Tab", "next, previous control (the box does not type tabs)"))


class MessageEdit(QPlainTextEdit):
    """Signals:
        submitted(): Enter was pressed.
        filesPasted(object): a paste or drop that carries files (its QMimeData).
        refused(str): a paste or drop of text was not taken, and why (too long).
    """

    submitted = Signal()
    filesPasted = Signal(object)
    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTabChangesFocus(True)  # keyboard users leave the box with Tab, as elsewhere

    def canInsertFromMimeData(self, source) -> bool:  # noqa: N802 (Qt's name)
        return any(files_in_mime(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source) -> None:  # noqa: N802 (Qt's name)
        if any(files_in_mime(source)):
            self.filesPasted.emit(source)  # attached, not typed in as a file:// line
            return
        chars = len(source.text()) + self.document().characterCount()
        if chars > MAX_MESSAGE_CHARS:  # refused before the document copies and lays it out
            self.refused.emit(too_long_notice(chars))
        else:
            super().insertFromMimeData(source)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and \
                not event.modifiers() & Qt.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The message box with its Send/Stop and Attach buttons, the pending attachments
    (``tray``) and the token count (``budget``).

    Signals:
        send(str): non-empty text to send (already stripped of surrounding blank lines).
        stop(): stop the reply being written.
    """

    send = Signal(str)
    stop = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings: AppSettings | None = None  # the window's (Attach… remembers its folder)
        self.edit = MessageEdit()
        self.edit.setPlaceholderText("Message (Enter sends, Shift+Enter new line, Esc stops)")
        self.edit.setFixedHeight(84)
        self.edit.submitted.connect(self.on_submit)
        self.button = QPushButton("Send")
        self.button.setMinimumWidth(80)
        self.button.clicked.connect(self.on_button)
        self.attach_button = QPushButton("Attach…", toolTip="Attach documents: text, Markdown, "
                                         "code, CSV, JSON, HTML or PDF (or drop or paste files)")
        self.attach_button.clicked.connect(self.on_attach)
        self.tray = AttachmentTray()
        self.notice = QLabel(wordWrap=True)  # why a file was not attached (not a dialog)
        self.notice.hide()
        self.tray.problem.connect(self.show_notice)
        self.tray.changed.connect(self.notice.hide)
        self.edit.filesPasted.connect(self.tray.attach_mime)
        self.edit.refused.connect(self.show_notice)
        self.budget = BudgetLine()
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.attach_button)
        side.addWidget(self.button)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addLayout(side)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addWidget(self.tray)
        column.addWidget(self.notice)
        column.addLayout(row)
        column.addWidget(self.budget)
        self.busy = False

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.button.setText("Stop" if busy else "Send")

    def on_button(self) -> None:
        if self.busy:
            self.stop.emit()
        else:
            self.on_submit()

    def on_submit(self) -> None:
        if self.busy:
            return
        if self.too_long():
            return
        text = self.edit.toPlainText().strip("\n ")
        if not text.strip():
            if self.tray.attachments:
                self.show_notice("Write what to do with the attachment (for example "
                                 "“Summarize it”).")
            return  # empty messages are ignored
        if self.tray.reading:
            self.show_notice("Still reading the attachments: send when they show.")
            return
        if self.budget.blocks_send():
            return  # too long: the line under the box says so and offers what can be done
        self.send.emit(text)

    def too_long(self) -> bool:
        """The box holds more than a message may (typed past the limit): says so, without
        copying the text out of the box."""
        chars = self.edit.document().characterCount()
        if chars > MAX_MESSAGE_CHARS:
            self.show_notice(too_long_notice(chars))
            return True
        return False

    def attach_folder(self) -> str:
        """Where Attach… starts: the folder the last attachment came from (kept in the
        settings), else the home folder."""
        folder = self.settings.attach_folder if self.settings is not None else ""
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def on_attach(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach documents", self.attach_folder())
        if paths:
            self.remember_folder(paths[-1])
        self.tray.attach_paths(paths)

    def remember_folder(self, path: str) -> None:
        """An attachment came from ``path``: the next Attach… starts in its folder."""
        if self.settings is not None:
            self.settings.attach_folder = str(Path(path).parent)
            save_settings(self.settings)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(f"color: {theme_for(self.palette()).error};")
        self.notice.show()

    def take_text(self) -> None:
        """The message was sent (or an edit given up): empty the box and the attachments."""
        self.edit.clear()
        self.tray.clear()
        self.notice.hide()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.setFocus()


class EditBanner(QWidget):
    """Shown above the composer while an earlier message is being edited.

    Signals:
        cancelled(): the user gave up the edit.
    """

    cancelled = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        note = QLabel("Editing an earlier message: sending makes a new version of it with its "
                      "own reply; the earlier one stays (‹ 1/2 › on the message).")
        note.setWordWrap(True)
        row.addWidget(note, 1)
        cancel = QPushButton("Cancel edit")
        cancel.clicked.connect(self.cancelled)
        row.addWidget(cancel)
        self.hide()
