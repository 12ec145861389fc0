"""Files dropped anywhere on the window are attached to the message being written.

An event filter on the window (which accepts drops): a drag that carries files is accepted,
anything else (dragged text, for instance) is left to the widgets as before.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from .chips import AttachmentTray
from .loading import files_in_mime


class FileDrops(QObject):
    def __init__(self, window, tray: AttachmentTray):
        super().__init__(window)
        self.tray = tray
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop):
            return False
        paths, blobs = files_in_mime(event.mimeData())
        if not paths and not blobs:
            return False
        event.acceptProposedAction()
        if kind == QEvent.Drop:
            self.tray.attach_mime(event.mimeData())
        return True
