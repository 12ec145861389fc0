"""The model load's progress bar, shown only while a model loads."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


class LoadProgress(QProgressBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(0, 100)
        self.setMaximumWidth(320)
        self.setMinimumWidth(240)
        self.hide()

    def on_load_started(self) -> None:
        self.setValue(0)
        self.setFormat("%p%")
        self.show()

    def on_load_progress(self, fraction: float, phase: str = "") -> None:
        self.setValue(int(100 * fraction))
        self.setFormat(f"{phase} %p%" if phase else "%p%")

    def on_load_ended(self, *_result) -> None:
        """The model loaded, or did not (connected to both)."""
        self.hide()
