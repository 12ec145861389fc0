"""Above the transcript: the sidebar's toggle, the open conversation's title, Greedy
(temperature 0 for this conversation), a button for its system prompt and sampling, and the
speed panel's toggle. Where the header is narrow (800 px windows) the sampling button's text
shortens, so the title keeps room for about 20 characters."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


class TitleLabel(QLabel):
    """One line, cut with "…" where the header is narrow (the whole title in its tooltip);
    ``text()`` stays the whole title."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(40, super().minimumSizeHint().height())

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        shown = self.fontMetrics().elidedText(self.text(), Qt.ElideRight, self.width())
        QPainter(self).drawText(self.rect(), Qt.AlignLeft | Qt.AlignVCenter, shown)


SETTINGS_TEXT, SETTINGS_SHORT = "Prompt && sampling…", "⚙"  # && shows one &
TITLE_CHARS = 22  # the title's room, in average characters, before the button shortens


class ConversationHeader(QWidget):
    """Signals:
        greedyToggled(bool): the user switched Greedy on or off.
        settingsRequested(): open the conversation's system prompt and sampling.
    """

    greedyToggled = Signal(bool)
    settingsRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title_label = TitleLabel(styleSheet="font-weight:600; font-size:14px;")
        self.greedy_button = QToolButton(text="Greedy", checkable=True,
                                         toolTip="Temperature 0 for this conversation")
        self.greedy_button.toggled.connect(self.greedyToggled)
        settings = self.settings_button = QToolButton(
            text=SETTINGS_TEXT, toolTip="This conversation's system prompt and sampling")
        settings.setAccessibleName("Prompt & sampling…")
        settings.clicked.connect(self.settingsRequested)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.title_label, 1)
        self.row.addWidget(self.greedy_button)
        self.row.addWidget(settings)

    def add_toggles(self, sidebar: QAction, speed_panel: QAction) -> None:
        """Buttons for View > Sidebar (first) and View > Speed panel (last), checked while
        shown. Both are icons with a tooltip and an accessible name: the second read "Speed",
        which beside Greedy looked like a mode; ◨ is a panel on the right, as ☰ is a list
        (a wider label would not fit the header at 800 px)."""
        for action, at, text in ((sidebar, 0, "☰"), (speed_panel, self.row.count(), "◨")):
            button = QToolButton(text=text, checkable=True, checked=action.isChecked())
            button.setAccessibleName(action.text())
            button.toggled.connect(action.setChecked)  # (a default action would retitle it)
            action.toggled.connect(button.setChecked)
            button.setToolTip(f"Show or hide the {action.text().lower()} "
                              f"({action.shortcut().toString(QKeySequence.NativeText)})")
            self.row.insertWidget(at, button)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Shorten the sampling button where the full text would leave the title less than
        ``TITLE_CHARS`` characters (the title read "Wh…" at 800 px); its tooltip and
        accessible name keep the whole meaning."""
        super().resizeEvent(event)
        button = self.settings_button
        metrics = button.fontMetrics()
        extra = (metrics.horizontalAdvance(SETTINGS_TEXT.replace("&&", "&"))
                 - metrics.horizontalAdvance(button.text().replace("&&", "&")))
        others = sum(self.row.itemAt(i).widget().sizeHint().width()
                     for i in range(self.row.count())
                     if self.row.itemAt(i).widget() is not self.title_label)
        spacing = self.row.spacing() * (self.row.count() - 1)
        room = self.width() - others - extra - spacing
        wanted = self.title_label.fontMetrics().averageCharWidth() * TITLE_CHARS
        text = SETTINGS_TEXT if room >= wanted else SETTINGS_SHORT
        if button.text() != text:
            button.setText(text)

    def on_conversation_shown(self, title: str, greedy: bool) -> None:
        self.on_renamed(title)
        self.greedy_button.blockSignals(True)  # showing is not toggling
        self.greedy_button.setChecked(greedy)
        self.greedy_button.blockSignals(False)

    def on_renamed(self, title: str) -> None:
        self.title_label.setText(title)
        self.title_label.setToolTip(title)
