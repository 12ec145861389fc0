"""Files dropped anywhere on the window are attached to the message being written; a
dropped GGUF file is a model to open instead (as LM Studio and Jan take it).

An event filter on the window (which accepts drops): a drag that carries files is accepted,
anything else (dragged text, for instance) is left to the widgets as before.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal

from .chips import AttachmentTray
from .loading import files_in_mime


class FileDrops(QObject):
    """Signals:
        modelDropped(str): the path of a dropped .gguf file, to load.
    """

    modelDropped = Signal(str)

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
            models = [p for p in paths if p.suffix.lower() == ".gguf"]
            if models:
                self.tray.attach_files([p for p in paths if p not in models], blobs)
                self.modelDropped.emit(str(models[0]))
            else:
                self.tray.attach_mime(event.mimeData())
        return True
