"""The model load's progress bar, shown only while a model loads."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


class LoadProgress(QProgressBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(0, 100)
        self.setMaximumWidth(160)
        self.hide()

    def on_load_started(self) -> None:
        self.setValue(0)
        self.show()

    def on_load_progress(self, fraction: float) -> None:
        self.setValue(int(100 * fraction))

    def on_load_ended(self, *_result) -> None:
        """The model loaded, or did not (connected to both)."""
        self.hide()
