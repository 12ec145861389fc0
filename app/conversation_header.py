"""Above the transcript: the open conversation's title, Greedy (temperature 0 for this
conversation) and a button for its system prompt and sampling."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


class ConversationHeader(QWidget):
    """Signals:
        greedyToggled(bool): the user switched Greedy on or off.
        settingsRequested(): open the conversation's system prompt and sampling.
    """

    greedyToggled = Signal(bool)
    settingsRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title_label = QLabel(styleSheet="font-weight:600; font-size:14px;")
        self.greedy_button = QToolButton(text="Greedy", checkable=True,
                                         toolTip="Temperature 0 for this conversation")
        self.greedy_button.toggled.connect(self.greedyToggled)
        settings = QToolButton(text="System prompt && sampling…")
        settings.clicked.connect(self.settingsRequested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title_label, 1)
        row.addWidget(self.greedy_button)
        row.addWidget(settings)

    def on_conversation_shown(self, title: str, greedy: bool) -> None:
        self.on_renamed(title)
        self.greedy_button.blockSignals(True)  # showing is not toggling
        self.greedy_button.setChecked(greedy)
        self.greedy_button.blockSignals(False)

    def on_renamed(self, title: str) -> None:
        self.title_label.setText(title)
