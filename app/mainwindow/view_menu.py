"""The View menu: show or hide the sidebar and the speed panel (remembered), search the
conversations (Ctrl+F), and the theme (Light, Dark, Follow system; applied at once)."""

from __future__ import annotations

from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ..conversation.sidebar import Sidebar
from ..settings.settings import AppSettings, save_settings
from .appearance import THEMES, Appearance


class ViewMenu(QMenu):
    def __init__(self, settings: AppSettings, sidebar: Sidebar, speed: QWidget,
                 appearance: Appearance, parent=None):
        super().__init__("&View", parent)
        self.settings, self.sidebar, self.appearance = settings, sidebar, appearance
        self.sidebar_action = self._toggle("Sidebar", "Ctrl+B", sidebar, "show_sidebar")
        self.speed_action = self._toggle("Speed panel", "Ctrl+Shift+B", speed,
                                         "show_speed_panel")
        self.search_action = self.addAction("Search conversations", QKeySequence.Find,
                                            self.search)
        self.addSeparator()
        themes = self.addMenu("Theme")
        self.theme_actions = {}
        group = QActionGroup(self)  # exclusive: one theme checked
        for key, label in THEMES.items():
            action = themes.addAction(label)
            action.setCheckable(True)
            action.setChecked(key == appearance.theme)
            action.triggered.connect(lambda _=False, k=key: self.set_theme(k))
            group.addAction(action)
            self.theme_actions[key] = action

    def _toggle(self, text: str, keys: str, widget: QWidget, setting: str):
        action = self.addAction(text)
        action.setShortcut(QKeySequence(keys))
        action.setCheckable(True)
        action.setChecked(getattr(self.settings, setting))
        widget.setVisible(action.isChecked())

        def on_toggled(on: bool) -> None:
            widget.setVisible(on)
            setattr(self.settings, setting, on)
            save_settings(self.settings)

        action.toggled.connect(on_toggled)
        return action

    def search(self) -> None:
        """Ctrl+F: the sidebar's search box (the sidebar is shown first if hidden)."""
        self.sidebar_action.setChecked(True)
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def set_theme(self, key: str) -> None:
        self.settings.theme = self.appearance.apply(key)
        self.theme_actions[self.settings.theme].setChecked(True)
        save_settings(self.settings)
