"""The conversation list: newest first, search by title and text, new / rename / delete /
export from the context menu."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QLabel, QLineEdit, QListWidget, QListWidgetItem, QMenu,
                               QPushButton, QVBoxLayout, QWidget)

from ..storage.store import ConversationSummary


def when(timestamp: float, now: float | None = None) -> str:
    """'14:05' today, 'Mon 14:05' this week, '2024-03-01' before."""
    now = time.time() if now is None else now
    t, today = time.localtime(timestamp), time.localtime(now)
    if t.tm_year == today.tm_year and t.tm_yday == today.tm_yday:
        return time.strftime("%H:%M", t)
    if now - timestamp < 6 * 86400:
        return time.strftime("%a %H:%M", t)
    return time.strftime("%Y-%m-%d", t)


class Sidebar(QWidget):
    """Signals:
        selected(int): a conversation was chosen.
        newRequested(): make a new conversation.
        renameRequested(int), deleteRequested(int): from the context menu.
        exportRequested(int, str): conversation id, "md" or "json".
        searchChanged(str): the search text changed.
    """

    selected = Signal(int)
    newRequested = Signal()
    renameRequested = Signal(int)
    deleteRequested = Signal(int)
    exportRequested = Signal(int, str)
    searchChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.new_button = QPushButton("New chat")
        self.new_button.setToolTip("New conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.newRequested)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles and messages")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.searchChanged)
        self.list = QListWidget()
        self.list.setTextElideMode(Qt.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self.on_context_menu)
        self.list.currentItemChanged.connect(self.on_current_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.renameRequested.emit(self._id(item)))
        self.no_matches = QLabel("No matches", wordWrap=True)  # a search that found nothing
        self.no_matches.setEnabled(False)  # drawn muted
        self.no_matches.hide()
        self.setMinimumWidth(150)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addWidget(self.new_button)
        box.addWidget(self.search)
        box.addWidget(self.no_matches)
        box.addWidget(self.list, 1)
        self._filling = False

    def set_conversations(self, items: list[ConversationSummary], current: int | None) -> None:
        self._filling = True
        self.list.clear()
        for conv in items:
            item = QListWidgetItem(f"{conv.title}\n{when(conv.updated)}")
            item.setData(Qt.UserRole, conv.id)
            item.setToolTip(conv.title)
            self.list.addItem(item)
            if conv.id == current:
                self.list.setCurrentItem(item)
        self._filling = False
        searching = bool(self.search.text().strip())
        self.no_matches.setText(f"No matches for “{self.search.text().strip()}”")
        self.no_matches.setVisible(searching and not items)

    def set_current(self, conversation_id: int | None) -> None:
        """Highlight the conversation shown (none if it is not listed), without a
        ``selected`` signal."""
        self._filling = True
        self.list.clearSelection()
        self.list.setCurrentItem(None)
        for i in range(self.list.count()):
            if self._id(self.list.item(i)) == conversation_id:
                self.list.setCurrentItem(self.list.item(i))
        self._filling = False

    def current_id(self) -> int | None:
        """The highlighted conversation (None: none is)."""
        items = self.list.selectedItems()
        return self._id(items[0]) if items else None

    def ids(self) -> list[int]:
        return [self._id(self.list.item(i)) for i in range(self.list.count())]

    @staticmethod
    def _id(item: QListWidgetItem) -> int:
        return int(item.data(Qt.UserRole))

    def on_current_changed(self, item, _previous) -> None:
        if item is not None and not self._filling:
            self.selected.emit(self._id(item))

    def on_context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        cid = self._id(item)
        menu = QMenu(self)
        for text, slot in (("Rename…", lambda: self.renameRequested.emit(cid)),
                           ("Export as Markdown…", lambda: self.exportRequested.emit(cid, "md")),
                           ("Export as JSON…", lambda: self.exportRequested.emit(cid, "json")),
                           ("Delete…", lambda: self.deleteRequested.emit(cid))):
            action = QAction(text, menu)
            action.triggered.connect(slot)
            menu.addAction(action)
        menu.exec(self.list.viewport().mapToGlobal(pos))
