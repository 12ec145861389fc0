"""One catalog model's download (``aded_engine.models.fetch_model``) on a background thread.

The thread only stores numbers; a timer on the GUI thread reads them and emits the signals
(the engine's load progress is read the same way, app/engine/worker.py), so no Qt object is
touched off the GUI thread. The engine thread is not involved: the loaded model keeps
answering while another downloads.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

from aded_engine.catalog import CatalogModel
from aded_engine.models import FetchCancelled, fetch_model


class CatalogDownload(QObject):
    """Signals:
        progress(int, int): bytes done, bytes in all.
        finished(str): the verified file's path.
        failed(str, bool): what went wrong, and whether it was a cancel (kept for resuming).
    """

    progress = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str, bool)

    def __init__(self, model: CatalogModel, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self._cancel = threading.Event()
        self._bytes = (0, model.size)
        self._outcome: tuple[str, str] | None = None  # ("ok", path) | ("error"|"cancelled", text)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"aded-fetch-{model.name}")
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._thread.start()
        self._timer.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() or self._timer.isActive()

    def cancel(self) -> None:
        self._cancel.set()

    def stop_and_wait(self, timeout_s: float = 10.0) -> None:
        """At exit: cancel and let pip be killed (it is checked at every progress line)."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            path = fetch_model(self.model, log=lambda _: None, progress=self._note,
                               cancelled=self._cancel.is_set)
            self._outcome = ("ok", str(path))
        except FetchCancelled as exc:
            self._outcome = ("cancelled", str(exc))
        except Exception as exc:  # registry unreachable, disk full, checksum: say so
            self._outcome = ("error", str(exc))

    def _note(self, done: int, total: int) -> None:
        self._bytes = (done, total)

    def _poll(self) -> None:
        self.progress.emit(*self._bytes)
        if self._outcome is None:
            return
        self._timer.stop()
        kind, text = self._outcome
        if kind == "ok":
            self.finished.emit(text)
        else:
            self.failed.emit(text, kind == "cancelled")
