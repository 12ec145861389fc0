"""What the window shows while no model is loaded: what ADED Chat is, the catalog's first
choices (the default model first), more models, or a GGUF file of one's own."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from aded_engine.catalog import DEFAULT_MODEL, QWEN_CODER_15B, SMOLLM2, CatalogModel
from aded_engine.models import installed_path

from ..catalog.dialog import size_text

FIRST_CHOICES = (DEFAULT_MODEL, SMOLLM2, QWEN_CODER_15B)


def choice_label(model: CatalogModel) -> str:
    """Two short lines: a button's text does not wrap, and the page must fit 380 px."""
    if installed_path(model) is not None:
        size = "downloaded"
    else:
        size = size_text(model.size) + " download, once"
    return f"{model.title.split(' (')[0]}\n{model.tagline} · {size}"


class WelcomePanel(QWidget):
    """Signals:
        modelChosen(str): the catalog name of the model to get and load.
        moreModels(): the whole catalog.
    """

    modelChosen = Signal(str)
    moreModels = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("<h2>Welcome to ADED Chat</h2>")
        text = QLabel("Chat with a local GGUF model. Replies are decoded with ADED: a table "
                      "learned from your conversations drafts tokens, the model checks them "
                      "in one batch, and the speed meter shows how much faster that is than "
                      "plain decoding on this machine.")
        text.setWordWrap(True)
        self.model_buttons: dict[str, QPushButton] = {}
        for model in FIRST_CHOICES:
            button = QPushButton(choice_label(model))
            button.clicked.connect(lambda _=False, name=model.name: self.modelChosen.emit(name))
            self.model_buttons[model.name] = button
        more_button = QPushButton("More models…")
        more_button.clicked.connect(lambda: self.moreModels.emit())
        self.open_button = QPushButton("Open a GGUF file…")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        # One centred column, as wide as the pane up to 520 px, whose labels take its whole
        # width: a wrapped label aligned on its own gets a guessed width and is cut off.
        column = QWidget(maximumWidth=520)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        for w in (title, text, *self.model_buttons.values(), more_button, self.open_button,
                  self.message):
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
