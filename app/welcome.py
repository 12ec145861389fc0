"""What the window shows while no model is loaded: what ADED Chat is, and two ways to start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


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
        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (title, text, self.demo_button, self.open_button, self.message):
            box.addWidget(w, 0, Qt.AlignHCenter)
            w.setMaximumWidth(520)
        box.addStretch(2)

    def on_load_started(self, what: str) -> None:
        self.message.setText(f"Loading {what}…")

    def on_load_ended(self, *_result) -> None:
        """The model loaded, or did not (connected to both)."""
        self.message.setText("")
