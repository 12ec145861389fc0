"""The main window's menu bar: File, Model (the Model menu, plus the local API server),
Chat, View and Help. Each action calls the window's slots or its parts'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from ..settings.server_panel import ServerPanel
from .view_menu import ViewMenu

if TYPE_CHECKING:
    from .main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    """Fill ``window``'s menu bar; sets its ``server_panel``, ``drafts_action`` and
    ``view_menu``."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction("New chat", QKeySequence("Ctrl+N"), window.new_conversation)
    for kind, name in (("md", "Markdown"), ("json", "JSON")):
        file_menu.addAction(f"Export as {name}…",
                            lambda k=kind: window.export_conversation(window.current_id, k))
    file_menu.addSeparator()
    file_menu.addAction("Quit", QKeySequence("Ctrl+Q"), window.close)
    bar.addMenu(window.models)
    window.server_panel = ServerPanel(window.client, window.settings, window)
    window.models.addSeparator()
    window.models.addAction("Local API server…", window.server_panel.show)
    chat_menu = bar.addMenu("&Chat")
    chat_menu.addAction("Regenerate last reply", QKeySequence("Ctrl+R"), window.regenerate)
    for text, keys, step in (("Previous version of the last message", "Alt+Left", -1),
                             ("Next version of the last message", "Alt+Right", 1)):
        chat_menu.addAction(text, QKeySequence(keys),
                            lambda s=step: window.switch_version(len(window.chat.messages) - 1, s))
    chat_menu.addAction("Continue the reply", window.continue_reply)
    chat_menu.addAction("Stop", QKeySequence(Qt.Key_Escape), window.replies.stop)  # any focus
    chat_menu.addAction("System prompt and sampling…", window.edit_conversation_settings)
    chat_menu.addSeparator()
    chat_menu.addAction("Speed history…", window.show_speed_history)
    window.drafts_action = chat_menu.addAction("Mark drafted tokens")
    window.drafts_action.setShortcut(QKeySequence("Ctrl+D"))
    window.drafts_action.setCheckable(True)
    window.drafts_action.setChecked(window.settings.show_drafts)
    window.drafts_action.triggered.connect(window.set_show_drafts)
    window.view_menu = ViewMenu(window.settings, window.sidebar, window.speed, window.appearance,
                                window)
    bar.addMenu(window.view_menu)
    window.pane.header.add_toggles(window.view_menu.sidebar_action, window.view_menu.speed_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction("Keyboard shortcuts…", QKeySequence.HelpContents, window.show_shortcuts)
    help_menu.addAction("Data locations…", window.info.data_locations)
