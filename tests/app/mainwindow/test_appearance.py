"""Light, Dark and Follow system, applied live to the application; the focus and toggle
style sheet."""

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.conversation.chat_view import ChatView
from app.mainwindow.appearance import STYLE_SHEET, Appearance, theme_or_default
from app.mainwindow.theme import DARK, LIGHT
from app.storage.store import COMPLETE, Message


def base_lightness() -> int:
    return QApplication.instance().palette().color(QPalette.Base).lightness()


def test_dark_and_light_switch_the_palette_and_the_transcript_live(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    view.set_messages([Message(1, "user", "hi"), Message(2, "assistant", "hello", COMPLETE)])
    looks = Appearance()
    try:
        assert looks.apply("dark") == "dark"
        assert base_lightness() < 128
        qtbot.waitUntil(lambda: DARK.assistant_bg in view.toHtml())  # re-rendered by itself
        assert looks.apply("light") == "light"
        assert base_lightness() >= 128
        qtbot.waitUntil(lambda: LIGHT.assistant_bg in view.toHtml())
        assert QApplication.instance().styleSheet() == STYLE_SHEET
    finally:
        looks.apply("system")


def test_an_unknown_theme_follows_the_system():
    assert theme_or_default("solarized") == "system" and theme_or_default("dark") == "dark"


def test_the_speed_plot_follows_the_theme(qtbot):
    from app.speed.meter import SpeedPlot

    plot = SpeedPlot()
    qtbot.addWidget(plot)
    plot.resize(200, 46)
    looks = Appearance()
    try:
        for theme, dark in (("dark", True), ("light", False)):
            looks.apply(theme)
            inside = plot.grab().toImage().pixelColor(plot.width() // 2, 8)
            assert (inside.lightness() < 128) == dark, theme
    finally:
        looks.apply("system")
