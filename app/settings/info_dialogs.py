"""Chat > Speed history and Help > Data locations: opened, not exec'd (the call returns at
once), one at a time."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QWidget

from ..speed.history import SpeedHistoryDialog
from ..storage.store import ConversationStore
from .data_locations import DataLocationsDialog, data_locations


class InfoDialogs(QObject):
    def __init__(self, store: ConversationStore, parent: QWidget):
        super().__init__(parent)
        self.store = store
        self.dialog: QDialog | None = None  # the one opened last

    def speed_history(self, conversation_id: int | None, model: str | None) -> SpeedHistoryDialog:
        return self._open(SpeedHistoryDialog(self.store, conversation_id, model, self.parent()))

    def data_locations(self) -> DataLocationsDialog:
        return self._open(DataLocationsDialog(data_locations(self.store.path), self.parent()))

    def on_reply_saved(self, *_reply) -> None:
        """An open speed history shows the new reply's numbers at once."""
        if isinstance(self.dialog, SpeedHistoryDialog) and self.dialog.isVisible():
            self.dialog.refresh()

    def _open(self, dialog: QDialog) -> QDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog.setAttribute(Qt.WA_DeleteOnClose, False)
        dialog.open()
        self.dialog = dialog
        return dialog
