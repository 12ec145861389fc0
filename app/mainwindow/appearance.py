"""The look of the whole app: Light, Dark or Follow system (View > Theme), and one style
sheet that makes keyboard focus and toggled buttons plain to see.

Light and Dark set an explicit palette on the Fusion style (the one style that draws every
palette faithfully on every platform); on PySide6 6.8+ the colour scheme is requested from
the platform too, so native parts (title bars) follow. Follow system goes back to the
platform's palette and follows it when it changes. The transcript re-renders itself on the
palette change (app/conversation/chat_view.py), so everything switches live.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = {"system": "Follow system", "light": "Light", "dark": "Dark"}

# Keyboard focus: a 2 px highlight-coloured frame (the style's own mark is a faint dotted
# line or a slight tint); a checked tool button (Greedy, the sidebar and speed panel toggles)
# is filled with the highlight colour, so its focus frame is drawn in the text colour instead.
# Borders keep their width between states (padding makes up the difference): nothing jumps.
STYLE_SHEET = """
QPushButton, QToolButton {
    border: 1px solid palette(mid); border-radius: 4px; padding: 4px 8px;
    background: palette(button); color: palette(button-text);
}
QPushButton:hover, QToolButton:hover { border-color: palette(highlight); }
QPushButton:pressed, QToolButton:pressed { background: palette(midlight); }
QPushButton:disabled, QToolButton:disabled { color: palette(mid); }
QToolButton:checked {
    background: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight); font-weight: 600;
}
QPushButton:focus, QToolButton:focus {
    border: 2px solid palette(highlight); padding: 3px 7px;
}
QToolButton:checked:focus { border-color: palette(text); }
QLineEdit, QPlainTextEdit, QTextEdit, QListWidget {
    border: 1px solid palette(mid); border-radius: 3px; padding: 1px;
}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QListWidget:focus {
    border: 2px solid palette(highlight); padding: 0px;
}
"""


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.Window: "#202329", QPalette.WindowText: "#e5e7eb", QPalette.Base: "#16181d",
        QPalette.AlternateBase: "#23262d", QPalette.Text: "#e5e7eb", QPalette.Button: "#2b2f37",
        QPalette.ButtonText: "#e5e7eb", QPalette.BrightText: "#ffffff",
        QPalette.Highlight: "#3b82f6", QPalette.HighlightedText: "#ffffff",
        QPalette.ToolTipBase: "#2b2f37", QPalette.ToolTipText: "#e5e7eb",
        QPalette.PlaceholderText: "#8b93a1", QPalette.Link: "#7aa2f7",
        QPalette.LinkVisited: "#bb9af7", QPalette.Light: "#3d434f", QPalette.Midlight: "#353a44",
        QPalette.Mid: "#4b5261", QPalette.Dark: "#15171b", QPalette.Shadow: "#000000",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#6b7280"))
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()  # Fusion's: light on every platform
    p.setColor(QPalette.Highlight, QColor("#2563eb"))
    p.setColor(QPalette.HighlightedText, QColor("#ffffff"))
    return p


def theme_or_default(theme: str) -> str:
    return theme if theme in THEMES else "system"


class Appearance:
    """Applies a theme to the running application and, for "system", follows the platform's
    colour scheme as it changes."""

    def __init__(self, app: QApplication | None = None):
        self.app = app or QApplication.instance()
        self.theme = "system"
        self._following = False

    def apply(self, theme: str) -> str:
        """Switch to ``theme`` ("system", "light", "dark"; anything else: "system") now;
        returns the theme applied."""
        self.theme = theme_or_default(theme)
        app = self.app
        if not app.property("aded-fusion"):  # once: a new style re-polishes every widget
            app.setStyle("Fusion")
            app.setProperty("aded-fusion", True)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "setColorScheme"):  # PySide6 6.8+
            if self.theme == "system":
                hints.unsetColorScheme()
            else:
                hints.setColorScheme(Qt.ColorScheme.Dark if self.theme == "dark"
                                     else Qt.ColorScheme.Light)
        if self.theme == "system" and not self._following and hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_scheme_changed)
            self._following = True
        app.setPalette(self._palette())
        app.setStyleSheet(STYLE_SHEET)  # again: palette(...) colours are taken when it is set
        return self.theme

    def _palette(self) -> QPalette:
        if self.theme == "dark":
            return dark_palette()
        if self.theme == "light":
            return light_palette()
        return system_palette(self.app)

    def _on_scheme_changed(self, *_scheme) -> None:
        if self.theme == "system":
            self.app.setPalette(system_palette(self.app))
            self.app.setStyleSheet(STYLE_SHEET)


def system_palette(app: QApplication) -> QPalette:
    """The platform's palette (an empty palette resolves to it); the dark one where the
    platform says "dark" but offers only a light palette (no platform theme)."""
    app.setPalette(QPalette())
    palette = app.palette()
    hints = QGuiApplication.styleHints()
    dark = hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark
    if dark and palette.color(QPalette.Base).lightness() >= 128:
        return dark_palette()
    return palette
