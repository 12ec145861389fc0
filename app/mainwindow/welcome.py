"""What the window shows while no model is loaded: what ADED Chat is, and two ways to start."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("<h2>Welcome to ADED Chat</h2>")
        text = QLabel("Chat with a local GGUF model. Replies are decoded with ADED: a table "
                      "learned from your conversations drafts tokens, the model checks them "
                      "in one batch, and the speed meter shows how much faster that is than "
                      "plain decoding on this machine.")
        text.setWordWrap(True)
        self.demo_button = QPushButton("Use the demo model (SmolLM2-135M, 98 MB)")
        self.open_button = QPushButton("Open a GGUF file…")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        # One centred column, as wide as the pane up to 520 px, whose labels take its whole
        # width: a wrapped label aligned on its own gets a guessed width and is cut off.
        column = QWidget(maximumWidth=520)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        for w in (title, text, self.demo_button, self.open_button, self.message):
            inner.addWidget(w)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 10)  # grows first, up to its maximum
        row.addStretch(1)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addLayout(row)
        box.addStretch(2)

    def on_load_started(self, what: str) -> None:
        self.message.setText(f"Loading {what}…")

    def on_load_ended(self, *_result) -> None:
        """The model loaded, or did not (connected to both)."""
        self.message.setText("")
