"""What the learned tables were taught, and taking it out again, on the engine thread.

``LearningWorker`` lives in the engine thread beside ``EngineWorker`` and uses its session
(in turn with the API server, through the worker's SessionHost): requests to both are
queued in the order they were made, so a forget always runs after the reply that learned
what it forgets. ``LearningClient`` is the window's handle on it.

    forget_sources(keep)   every table forgets the chat sources ``keep`` refuses (deleted
                           messages; at start, whatever a crash left): the loaded model's in
                           memory and on disk, the others on disk (no model needed)
    teach(paths)           documents join the loaded model's corpus table, one source each,
                           in pieces with progress; ``cancel()`` stops between pieces and
                           the document being read teaches nothing
    list_documents()       what the corpus table was taught
    remove_documents(ids)  take documents out again, exactly
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from aded_engine.documents.extract import DocumentError
from aded_engine.learned_tables import forget_sources_on_disk
from aded_engine.server.host import Cancelled, NoModel
from aded_engine.set_aside import take_notes
from aded_engine.teaching import remove_documents, taught_documents, teach_file


@dataclass(frozen=True)
class TaughtRow:
    """One document of the corpus table, as the dialog lists it."""
    source: str
    name: str
    tokens: int
    date: str


class LearningWorker(QObject):
    """Signals:
        forgotten(int): sources a forget request took out of the tables.
        teachProgress(str, float): the document being read, 0..1 of it.
        taught(str, int): a document was learned (name, tokens).
        teachFailed(str): a document could not be taught (the message names it).
        teachEnded(bool): a teach request ended (True: it was cancelled).
        documents(list): [TaughtRow] of the loaded model's corpus table.
        notice(str): a line for the status bar (files set aside, a failed forget).
    """

    forgotten = Signal(int)
    teachProgress = Signal(str, float)
    taught = Signal(str, int)
    teachFailed = Signal(str)
    teachEnded = Signal(bool)
    documents = Signal(list)
    notice = Signal(str)

    def __init__(self, engine, cancel: threading.Event):
        super().__init__()
        self.engine = engine  # the EngineWorker whose session this uses
        self._cancel = cancel

    @contextmanager
    def _turn(self, cancelled=lambda: False):
        """The loaded session (None when no model is loaded), held for one request in turn
        with the app's replies and the API server's (aded_engine/server/host.py)."""
        try:
            with self.engine.host.use(cancelled) as session:
                yield session
        except NoModel:
            yield None

    @Slot(object)
    def forget_sources(self, keep) -> None:
        n = 0
        try:
            with self._turn() as session:
                if session is not None:
                    n += session.forget_sources(keep)
                n += len(forget_sources_on_disk(keep, [session.fingerprint] if session else []))
        except Exception as exc:  # a full disk: the next start tries again
            self.notice.emit(f"Could not update a learned table: {exc}")
        for note in take_notes():
            self.notice.emit(note)
            if self.engine.session is None:
                # at start (MainWindow's first act) no model is loaded yet: the model's own
                # table set aside here is no longer found damaged by its load, whose message
                # in the status bar replaces this one (issue 22 item 5): the load says it
                self.engine.set_aside_before_load.append(note)
        self.forgotten.emit(n)

    @Slot(list)
    def teach(self, paths: list) -> None:
        try:
            with self._turn(self._cancel.is_set) as session:
                cancelled = self._teach(session, paths)
        except Cancelled:  # while the API server held the model
            cancelled = True
        self.teachEnded.emit(cancelled)

    def _teach(self, session, paths: list) -> bool:
        """Teach the files one by one; True when cancelled."""
        cancelled = False
        for path in map(Path, paths):
            if session is None:
                self.teachFailed.emit("No model is loaded.")
                break
            try:
                done = teach_file(session, path,
                                  lambda f, name=path.name: self.teachProgress.emit(name, f),
                                  self._cancel.is_set)
            except DocumentError as exc:
                self.teachFailed.emit(str(exc))
                continue
            except Exception as exc:  # a full disk, out of memory: the others may still go
                self.teachFailed.emit(f"{path.name}: {type(exc).__name__}: {exc}")
                continue
            if done is None:
                cancelled = True
                break
            for note in done.notes:
                self.notice.emit(note)
            self.taught.emit(done.name, done.tokens)
        self._list(session)
        return cancelled

    @Slot()
    def list_documents(self) -> None:
        with self._turn() as session:
            self._list(session)

    @Slot(list)
    def remove_documents(self, sources: list) -> None:
        with self._turn() as session:
            if session is not None:
                try:
                    remove_documents(session, set(sources))
                except Exception as exc:
                    self.notice.emit(f"Could not update the learned table: {exc}")
            self._list(session)

    def _list(self, session) -> None:
        rows = [] if session is None else [TaughtRow(s.id, s.name, s.tokens, s.date)
                                           for s in taught_documents(session)]
        self.documents.emit(rows)


class LearningClient(QObject):
    """The window's handle on the LearningWorker (made by EngineClient, in its thread).
    Methods return at once; answers are the worker's signals."""

    _forget = Signal(object)
    _teach = Signal(list)
    _list = Signal()
    _remove = Signal(list)

    def __init__(self, engine_worker, thread, parent: QObject | None = None):
        super().__init__(parent)
        self.cancel_event = threading.Event()
        worker = self.worker = LearningWorker(engine_worker, self.cancel_event)
        worker.moveToThread(thread)
        for request, slot in ((self._forget, worker.forget_sources), (self._teach, worker.teach),
                              (self._list, worker.list_documents),
                              (self._remove, worker.remove_documents)):
            request.connect(slot)  # queued: the worker lives in the engine thread

    def forget_sources(self, keep) -> None:
        """``keep(source) -> bool``: see app/storage/learned_sources.py."""
        self._forget.emit(keep)

    def teach(self, paths: list[str]) -> None:
        self.cancel_event.clear()
        self._teach.emit(list(paths))

    def cancel(self) -> None:
        self.cancel_event.set()

    def list_documents(self) -> None:
        self._list.emit()

    def remove_documents(self, sources: list[str]) -> None:
        self._remove.emit(list(sources))
