"""Attachments on screen: the composer's tray of pending chips (removable before sending),
the transcript's chips (links in its rich text), and the dialog that shows what the model
was given for one of them."""

from __future__ import annotations

import html
import threading
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QLayout,
                               QPlainTextEdit, QToolButton, QVBoxLayout, QWidget, QWidgetItem)

from aded_engine.text_check import repaired_note

from ..mainwindow.theme import Theme
from .attachments import Attachment
from .loading import AttachmentError, attachment_from_bytes, files_in_mime, load_attachment

CHIP_STYLE = ("QFrame#chip { border: 1px solid palette(mid); border-radius: 9px; "
              "background: palette(alternate-base); } "
              "QFrame#chip QToolButton { border: none; padding: 1px 3px; }")
CHIP_LABEL_PX = 260  # a longer file name is cut with "…" (the whole name in the tooltip)


class FlowLayout(QLayout):
    """Its widgets left to right, wrapping onto the next line where the width ends: the
    tray's chips never make the composer (and the window) wider; four files in one row
    squeezed the sidebar until the message was sent."""

    def __init__(self, parent=None, spacing: int = 4):
        super().__init__(parent)
        self.items = []
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def addItem(self, item) -> None:  # noqa: N802 (Qt's name)
        self.items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:  # noqa: N802 (as QBoxLayout)
        self.addChildWidget(widget)
        self.items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self.items)

    def itemAt(self, index: int):  # noqa: N802 (Qt's name)
        return self.items[index] if 0 <= index < len(self.items) else None

    def takeAt(self, index: int):  # noqa: N802 (Qt's name)
        return self.items.pop(index) if 0 <= index < len(self.items) else None

    def expandingDirections(self):  # noqa: N802 (Qt's name)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        """As wide as the widest chip only: the rest wraps."""
        size = QSize()
        for item in self.items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self.items:
            if item.isEmpty():  # a hidden widget
                continue
            hint = item.sizeHint()
            if rect.width() > 0 and hint.width() > rect.width():  # the reading line wraps
                hint.setWidth(max(item.minimumSize().width(), rect.width()))
                if item.hasHeightForWidth():
                    hint.setHeight(item.heightForWidth(hint.width()))
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line = rect.x(), y + line + self.spacing(), 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self.spacing()
            line = max(line, hint.height())
        return y + line - rect.y()


class Chip(QFrame):
    """One pending attachment: its label opens it, × removes it.

    Signals:
        opened(): show what the model will be given.
        removed(): take it off the message.
    """

    opened = Signal()
    removed = Signal()

    def __init__(self, attachment: Attachment, parent=None):
        super().__init__(parent)
        self.setObjectName("chip")
        self.setStyleSheet(CHIP_STYLE)
        self.button = QToolButton(autoRaise=True)
        self.button.clicked.connect(self.opened)
        self.set_label(attachment.label())
        close = QToolButton(text="×", autoRaise=True, toolTip=f"Remove {attachment.name}")
        close.clicked.connect(self.removed)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 2, 0)
        row.setSpacing(0)
        row.addWidget(self.button)
        row.addWidget(close)

    def set_label(self, label: str) -> None:
        """``label``, cut with "…" where it is longer than ``CHIP_LABEL_PX`` (whole in the
        tooltip)."""
        self.button.setText(self.button.fontMetrics().elidedText(label, Qt.ElideMiddle,
                                                                 CHIP_LABEL_PX))
        self.button.setToolTip(f"{label}: show the text the model is given")


class AttachmentTray(QWidget):
    """The attachments of the message being written, as chips; hidden while there are none.

    Files are read on a thread of their own (a long PDF takes seconds): ``reading`` counts
    the batches still being read, and the tray says which files.

    Signals:
        changed(): an attachment was added or removed.
        problem(str): a file could not be attached (for the user; nothing else changed).
    """

    changed = Signal()
    problem = Signal(str)
    _read = Signal(object, object, object)  # from the reading thread: names, attachments, problems

    def __init__(self, parent=None):
        super().__init__(parent)
        self.attachments: list[Attachment] = []
        self.chips: list[Chip] = []
        self.reading = 0
        self._reading_names: list[str] = []
        self.reading_label = QLabel(wordWrap=True)
        self.row = FlowLayout(self)  # chips wrap within the composer's width
        self.row.addWidget(self.reading_label)
        self.dialog: DocumentDialog | None = None
        self._read.connect(self._on_read, Qt.QueuedConnection)
        self._rebuild()

    def attach_paths(self, paths: list[str | Path]) -> None:
        """Attach these files (read in the background); the ones that cannot be read are
        reported, the others kept."""
        self._attach([Path(p).name for p in paths], [lambda p=p: load_attachment(p) for p in paths])

    def attach_mime(self, mime) -> bool:
        """A drop or paste: attach the files it carries; False when it carries none."""
        paths, blobs = files_in_mime(mime)  # copied here: the thread never sees the QMimeData
        if not paths and not blobs:
            return False
        self.attach_files(paths, blobs)
        return True

    def attach_files(self, paths, blobs=()) -> None:
        """Files by path, and file data without a path as (name, bytes)."""
        self._attach([p.name for p in paths] + [name for name, _ in blobs],
                     [lambda p=p: load_attachment(p) for p in paths]
                     + [lambda b=b: attachment_from_bytes(*b) for b in blobs])

    def _attach(self, names: list[str], loaders) -> None:
        if not loaders:
            return
        self.reading += 1
        self._reading_names += names
        self._rebuild()
        threading.Thread(target=self._read_files, args=(names, loaders), daemon=True,
                         name="aded-attach").start()

    def _read_files(self, names, loaders) -> None:
        """In the reading thread: every file read, or the sentence saying why not."""
        done, problems = [], []
        for name, load in zip(names, loaders):
            try:
                done.append(load())
            except AttachmentError as exc:
                problems.append(str(exc))
            except Exception as exc:  # noqa: BLE001 (out of memory, ...): said, never lost
                problems.append(f"{name} could not be read ({type(exc).__name__}: {exc})")
        self._read.emit(names, done, problems)

    def _on_read(self, names: list[str], done: list[Attachment], problems: list[str]) -> None:
        self.reading -= 1
        for name in names:
            self._reading_names.remove(name)
        self.attachments += done
        self._rebuild()
        if done:
            self.changed.emit()
        said = ["Not attached: " + "; ".join(problems)] if problems else []
        said += [repaired_note(a.name, a.repaired) for a in done if a.repaired]
        if said:
            self.problem.emit(". ".join(said))

    def add(self, attachment: Attachment) -> None:
        self.attachments.append(attachment)
        self._rebuild()
        self.changed.emit()
        if attachment.repaired:
            self.problem.emit(repaired_note(attachment.name, attachment.repaired))

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.attachments):
            del self.attachments[index]
            self._rebuild()
            self.changed.emit()

    def set_attachments(self, attachments: list[Attachment]) -> None:
        """Start over with these (editing an earlier message brings its attachments back)."""
        self.attachments = list(attachments)
        self._rebuild()
        self.changed.emit()

    def clear(self) -> None:
        if self.attachments:
            self.set_attachments([])

    def set_tokens(self, counts: list[int]) -> None:
        """Token counts from the loaded model, one per attachment in order."""
        if len(counts) == len(self.attachments):
            for a, n in zip(self.attachments, counts):
                a.tokens = n
            for chip, a in zip(self.chips, self.attachments):
                chip.set_label(a.label())

    def _rebuild(self) -> None:
        for chip in self.chips:
            self.row.removeWidget(chip)
            chip.setParent(None)  # gone now, not at the next turn of the event loop
            chip.deleteLater()
        self.chips = []
        for i, a in enumerate(self.attachments):
            chip = Chip(a)
            chip.opened.connect(lambda i=i: self.open(i))
            chip.removed.connect(lambda i=i: self.remove(i))
            self.row.insertWidget(i, chip)
            self.chips.append(chip)
        self.reading_label.setText("Reading " + ", ".join(self._reading_names) + "…")
        self.reading_label.setVisible(bool(self._reading_names))
        self.setVisible(bool(self.attachments or self._reading_names))

    def open(self, index: int) -> None:
        if 0 <= index < len(self.attachments):
            self.dialog = DocumentDialog(self.attachments[index], self.window())
            self.dialog.show()


class DocumentDialog(QDialog):
    """The extracted text of one attachment, as the model reads it (not modal)."""

    def __init__(self, attachment: Attachment, parent=None):
        super().__init__(parent)
        self.setWindowTitle(attachment.name)
        self.resize(640, 560)
        kind = attachment.kind.upper() if attachment.kind == "pdf" else attachment.kind
        info = QLabel(f"{attachment.label()} · {kind} · {len(attachment.text):,} characters of "
                      "text: what the model is given")
        info.setWordWrap(True)
        self.text = QPlainTextEdit(attachment.text, readOnly=True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        column = QVBoxLayout(self)
        column.addWidget(info)
        column.addWidget(self.text, 1)
        column.addWidget(buttons)


def chips_html(index: int, attachments: list[Attachment], theme: Theme) -> str:
    """A sent message's attachments in the transcript: links ``act:doc:<message>:<n>``."""
    if not attachments:
        return ""
    links = [f"<a href=\"act:doc:{index}:{n}\" style=\"text-decoration:none; "
             f"color:{theme.text};\"><span style=\"background-color:{theme.code_bg};\">"
             f"&nbsp;{html.escape(a.label())}&nbsp;</span></a>"
             for n, a in enumerate(attachments)]
    return f"<p style=\"margin:4px 0;\">{'&nbsp; '.join(links)}</p>"


def documents_footer_html(footer: str, theme: Theme) -> str:
    """Under a reply: which parts of the documents its prompt held."""
    return (f"<p style=\"color:{theme.muted}; font-size:small; margin-top:2px;\">"
            f"{html.escape(footer)}</p>")
