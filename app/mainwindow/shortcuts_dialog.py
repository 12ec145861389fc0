"""Help > Keyboard shortcuts: every shortcut of the window, read from its menus' QActions and
its QShortcuts when the dialog opens (so the list cannot drift from what the keys do), then
the keys the message box and the transcript handle themselves."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView,
                               QMainWindow, QMenu, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..conversation.chat_view import KEYS as TRANSCRIPT_KEYS
from ..reply.composer import KEYS as MESSAGE_BOX_KEYS


def plain(text: str) -> str:
    """A menu text as read: no mnemonic ampersands, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def keys_of(sequences: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.NativeText) for s in sequences if not s.isEmpty())


def menu_shortcuts(menu: QMenu, path: str = "") -> list[tuple[str, str]]:
    """(keys, "Menu > Item") for every action with a shortcut, submenus included."""
    out = []
    for action in menu.actions():
        name = f"{path} > {plain(action.text())}" if path else plain(action.text())
        if action.menu():
            out += menu_shortcuts(action.menu(), name)
        elif keys_of(action.shortcuts()):
            out.append((keys_of(action.shortcuts()), name))
    return out


def window_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """The window's shortcuts: its menus, then actions and QShortcuts outside them."""
    out = []
    for top in window.menuBar().actions():
        if top.menu():
            out += menu_shortcuts(top.menu(), plain(top.text()))
    in_menus = {id(a) for m in window.findChildren(QMenu) for a in m.actions()}
    for action in window.findChildren(QAction):
        if id(action) not in in_menus and keys_of(action.shortcuts()):
            out.append((keys_of(action.shortcuts()), plain(action.toolTip() or action.text())))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.isEnabled() and keys_of(shortcut.keys()):
            out.append((keys_of(shortcut.keys()), shortcut.whatsThis() or shortcut.objectName()))
    return out


def all_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    return (window_shortcuts(window)
            + [(keys, f"Message box: {what}") for keys, what in MESSAGE_BOX_KEYS]
            + [(keys, f"Transcript: {what}") for keys, what in TRANSCRIPT_KEYS])


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 520)
        self.rows = all_shortcuts(window)
        self.table = QTableWidget(len(self.rows), 2)
        self.table.setHorizontalHeaderLabels(("Keys", "What it does"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        for row, (keys, what) in enumerate(self.rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.table)
        box.addWidget(buttons)
