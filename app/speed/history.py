"""The speed history: each finished reply's measured speedup, tokens/s and tokens per model
call, oldest first, for the current conversation and for the loaded model across all
conversations, with a plot of the speedup over reply number (it grows as the tri-gram table
learns from the conversations). Every version of a reply counts (regenerated ones too): each
was decoded and measured."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ..storage.store import ConversationStore, ReplySpeed
from .meter import NOT_ENOUGH, SpeedPlot

COLUMNS = ("Reply", "When", "Conversation", "Model", "Speedup", "Tokens/s", "Tokens/call",
           "Tokens")


def speed_row(number: int, reply: ReplySpeed) -> list[str]:
    """The table cells of one reply (``number`` counts from 1 in time order)."""
    stats = reply.record
    return [str(number), time.strftime("%Y-%m-%d %H:%M", time.localtime(reply.created)),
            reply.conversation_title, reply.model or "unknown",
            NOT_ENOUGH if stats.speedup is None else f"{stats.speedup:.2f}×",
            f"{stats.tokens_per_s:.1f}", f"{stats.tokens_per_call:.2f}", str(stats.tokens)]


def summary_text(replies: list[ReplySpeed]) -> str:
    measured = [s for s in (r.record.speedup for r in replies) if s is not None]
    if not replies:
        return "No finished replies yet."
    text = (f"{len(replies)} {'reply' if len(replies) == 1 else 'replies'}, "
            f"{len(measured)} with a measured speedup")
    if measured:
        text += (f" · first {measured[0]:.2f}× · latest {measured[-1]:.2f}× · "
                 f"best {max(measured):.2f}×")
    return text + "."


class SpeedHistoryPanel(QWidget):
    """One list of replies: a summary line, the plot of speedup over reply number, a table."""

    def __init__(self, replies: list[ReplySpeed], empty_note: str = "", heading: str = "",
                 parent=None):
        super().__init__(parent)
        self.replies = replies
        # plain text: a file name's "_" and "&" read as written (a tab title can lose them)
        self.heading = QLabel(heading, textFormat=Qt.PlainText, wordWrap=True,
                              visible=bool(heading), styleSheet="font-weight:600;")
        self.summary = QLabel(empty_note or summary_text(replies))
        self.summary.setWordWrap(True)
        self.plot = SpeedPlot(height=140, placeholder="no measured speedup yet", markers=True)
        self.plot.set_points((n, r.record.speedup) for n, r in enumerate(replies, 1))
        self.plot.setToolTip("Speedup over plain decoding (y) by reply number (x); the dashed "
                             "line is 1×, plain decoding")
        self.table = QTableWidget(len(replies), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        for row, reply in enumerate(replies):
            for col, text in enumerate(speed_row(row + 1, reply)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a title or a model name cut with "…" reads whole here
                self.table.setItem(row, col, item)
        # the figures fit their contents; the conversation's title and the model's file name
        # share what is left (cut with "…"): sized to their contents, a long model name
        # pushed Speedup and the columns after it out of the dialog
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        for col in (COLUMNS.index("Conversation"), COLUMNS.index("Model")):
            header.setSectionResizeMode(col, QHeaderView.Stretch)
        self.table.setTextElideMode(Qt.ElideRight)
        box = QVBoxLayout(self)
        box.addWidget(self.heading)
        box.addWidget(self.summary)
        box.addWidget(self.plot)
        box.addWidget(self.table, 1)

    def rows(self) -> list[list[str]]:
        """The table as text, row by row."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]


class SpeedHistoryDialog(QDialog):
    """Two tabs: the replies of one conversation, and those of one model (by file name) in
    every conversation. Either may be None (no conversation open, no model loaded)."""

    def __init__(self, store: ConversationStore, conversation_id: int | None,
                 model: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Speed history")
        self.resize(760, 520)
        self.store, self.conversation_id, self.model = store, conversation_id, model
        self.tabs = QTabWidget()
        self.refresh()
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.tabs)
        box.addWidget(buttons)

    def refresh(self) -> None:
        """Read the replies again (the window calls this when a reply finishes)."""
        current = self.tabs.currentIndex()
        self.tabs.clear()
        cid, model = self.conversation_id, self.model
        self.conversation_panel = SpeedHistoryPanel(
            self.store.reply_speeds(conversation_id=cid) if cid else [],
            "" if cid else "No conversation is open.")
        self.model_panel = SpeedHistoryPanel(
            self.store.reply_speeds(model=model) if model else [],
            "" if model else "No model is loaded.",
            f"Model {model}, every conversation" if model else "")
        self.tabs.addTab(self.conversation_panel, "This conversation")
        self.tabs.addTab(self.model_panel, "This model")
        self.tabs.setCurrentIndex(max(0, current))
