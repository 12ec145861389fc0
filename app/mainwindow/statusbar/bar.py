"""The status bar: passing messages on the left; the load progress, the context used and the
loaded model on the right."""

from __future__ import annotations

from PySide6.QtWidgets import QStatusBar

from .context import ContextLabel
from .model import ModelLabel, loaded_message
from .progress import LoadProgress


class StatusBar(QStatusBar):
    """Its items are ``progress``, ``context`` and ``model``; its own slots show messages."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.progress = LoadProgress()
        self.context = ContextLabel()
        self.model = ModelLabel()
        for widget in (self.progress, self.context, self.model):
            self.addPermanentWidget(widget)

    def on_status(self, text: str) -> None:
        """A message from the engine thread."""
        self.showMessage(text, 8000)

    def on_loaded(self, info: dict) -> None:
        self.showMessage(*loaded_message(info))

    def on_load_failed(self, _message: str) -> None:
        self.showMessage("The model could not be loaded", 8000)  # the dialog says why

    def on_tables_reset(self, ok: bool, message: str) -> None:
        if ok:
            self.showMessage("Learned tables reset: drafting starts from scratch.", 8000)
        else:
            self.showMessage("The learned tables could not be reset: " + message, 15000)
