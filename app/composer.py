"""Where the user writes: Enter sends, Shift+Enter makes a new line (Esc, which stops the
reply wherever the focus is, is the main window's Chat > Stop)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)


class MessageEdit(QPlainTextEdit):
    """Signals: submitted()."""

    submitted = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and \
                not event.modifiers() & Qt.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The message box with its Send/Stop button.

    Signals:
        send(str): non-empty text to send (already stripped of surrounding blank lines).
        stop(): stop the reply being written.
    """

    send = Signal(str)
    stop = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = MessageEdit()
        self.edit.setPlaceholderText("Message (Enter sends, Shift+Enter new line, Esc stops)")
        self.edit.setFixedHeight(84)
        self.edit.submitted.connect(self.on_submit)
        self.button = QPushButton("Send")
        self.button.setMinimumWidth(80)
        self.button.clicked.connect(self.on_button)
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.button)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addLayout(side)
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
        text = self.edit.toPlainText().strip("\n ")
        if not text.strip():
            return  # empty messages are ignored
        self.send.emit(text)

    def take_text(self) -> None:
        self.edit.clear()

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
        row.addWidget(QLabel("Editing an earlier message: sending replaces it and everything "
                             "after it."), 1)
        cancel = QPushButton("Cancel edit")
        cancel.clicked.connect(self.cancelled)
        row.addWidget(cancel)
        self.hide()
