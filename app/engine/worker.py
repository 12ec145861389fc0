"""The engine on its own thread: one worker QObject inside a QThread, and the client the
window talks to.

Everything that touches the model (loading, fitting, generating, learning, forgetting) runs
in the worker's thread; the window only sends requests (queued signals) and receives
results (signals). Stop is a ``threading.Event`` set directly from the GUI thread because the
worker's event loop is busy while it generates; the decode loop polls it before every
verification step, so Stop takes effect within one step.

The local API server (app/settings/server_panel.py) answers from the same session on its own
threads: the worker and the server take turns through ``self.host`` (a SessionHost, see
aded_engine/server/host.py, which says why), so a reply and a request never run at once.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from aded_engine.backend import ModelLoadError
from aded_engine.catalog import DEFAULT_MODEL
from aded_engine.chat_template import TemplateError
from aded_engine.learned_tables import forget_in_saved_table
from aded_engine.models import fetch_model
from aded_engine.reply_record import ReplyRecord
from aded_engine.server.host import Cancelled, NoModel, SessionHost
from aded_engine.sampling import SamplingSettings
from aded_engine.session import (ChatSession, ContextOverflowError, FitResult, SessionSettings,
                                 StreamEvent)

from ..attachments.document_prompt import DocumentPrompts, count_budget
from .learning import LearningClient


@dataclass
class GenerateRequest:
    request_id: int
    messages: list[dict]
    sampling: SamplingSettings
    aded: bool = True
    learn_user_text: str = ""  # learned together with the reply when it completes
    # Continue: the reply so far (the last of ``messages``), which the new text extends,
    # and what the loaded model's table learned of the exchange before (forgotten when the
    # whole is learned, or when the continuation is not learned: a table holds only what
    # the stored message says it does)
    continue_from: str | None = None
    learned_before: tuple[str, ...] = ()
    # documents: the last user message's attachments (its text, ``learn_user_text``, is the
    # question they go with: the prompt is made of both), and every attachment of the
    # conversation (the drafter learns them whole)
    attachments: tuple = ()
    documents: tuple = ()
    # the source the exchange is learned as (app/storage/learned_sources.py): forgotten exactly when
    # its message is deleted; learning it again (Continue) replaces what it taught
    learn_source: str = ""


@dataclass
class CountRequest:
    """Count the message being written (``question`` with ``attachments``) after the
    conversation's ``messages``; the answer is ``counted``."""
    request_id: int
    messages: list[dict]
    question: str
    attachments: list
    max_tokens: int


class EngineWorker(QObject):
    """Owns the ChatSession; lives in the engine thread.

    Signals:
        loadProgress(float, str): model loading, 0..1, and the phase running ("Checking
            batch cost…"; aded_engine/load_phases.py); emitted by the client's poll timer.
        loaded(dict): the session's info; loadFailed(str): why the model did not load.
        fitted(int, int, int): request id, turns dropped to fit the context, prompt tokens.
        prompted(int, str): request id, the user message as the model was given it (made
            from the question and its documents; only for a message with attachments).
        reading(int, object): request id, PrefillProgress of reading the prompt (before the
            first token; Stop works there too).
        token(int, str, list): request id, new text of one verification step, and that text
            token by token as (text, came from an accepted draft) pairs.
        step(int, object): request id, ReplyRecord of the reply so far.
        finished(int, str, object): request id, reply text, final ReplyRecord.
        failed(int, str, str): request id, kind ("overflow" | "template" | "error"), message.
            Every generate request ends in exactly one finished or failed.
        contextUsage(int, int): prompt tokens of a conversation, context size.
        counted(object): BudgetCount of the newest count request (older ones are skipped).
        status(str): a one-line message for the status bar.
        tablesReset(bool, str): the learned tables were deleted (True), or why not (False).
        machineMeasured(object, str): the batch-cost curve measured again (a CostCurve;
            cached and used only when ``steady``), or None and why not.
    """

    loadProgress = Signal(float, str)
    loaded = Signal(dict)
    loadFailed = Signal(str)
    fitted = Signal(int, int, int)
    prompted = Signal(int, str)
    reading = Signal(int, object)
    token = Signal(int, str, list)
    step = Signal(int, object)
    finished = Signal(int, str, object)
    failed = Signal(int, str, str)
    contextUsage = Signal(int, int)
    counted = Signal(object)
    status = Signal(str)
    tablesReset = Signal(bool, str)
    machineMeasured = Signal(object, str)

    def __init__(self, stop_event: threading.Event):
        super().__init__()
        self.host = SessionHost()  # the loaded session, shared with the API server
        self._stop = stop_event
        self.load_fraction = 0.0  # read by the client's timer while a load runs
        self.load_phase = ""
        self.documents = DocumentPrompts()
        self.latest_count = 0  # set by the client: earlier count requests are out of date
        # files set aside while no model was loaded (the tables' forget at start): said
        # with the next load's message, which would otherwise replace their notice
        self.set_aside_before_load: list[str] = []

    @property
    def session(self) -> ChatSession | None:
        return self.host.session

    def _note_progress(self, fraction: float, phase: str) -> None:
        # Called by llama.cpp through a ctypes callback. Emitting a Qt signal from inside
        # that callback corrupts the refcount of True (PySide6 6.x; the interpreter aborts
        # at exit), so only a float and a str are stored here and the GUI thread polls them.
        self.load_fraction, self.load_phase = fraction, phase

    @Slot(str, object)
    def load(self, path: str, settings) -> None:
        """Load a GGUF (``path``), or fetch the default model first when ``path`` is empty."""
        try:
            if not path:
                path = str(fetch_model(DEFAULT_MODEL, log=self.status.emit))
            # the old model stays loaded until the new one works: a bad file loses nothing
            session = ChatSession(path, settings, progress=self._note_progress)
        except ModelLoadError as exc:
            self.loadFailed.emit(str(exc))
            return
        except Exception as exc:  # fetch errors, out of memory, anything: report, keep running
            self.loadFailed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.host.replace(session)  # once the API server's request, if any, is answered
        info = dict(session.info)
        problems = [*self.set_aside_before_load, *session.table_problems]
        self.set_aside_before_load.clear()
        if problems:
            info["table_problems"] = problems
        self.loaded.emit(info)

    @Slot(object)
    def generate(self, req: GenerateRequest) -> None:
        """Reply, in turn with the API server's requests (Stop works while waiting, too)."""
        try:
            with self.host.use(self._stop.is_set):
                self._generate(req)
        except NoModel:
            self.failed.emit(req.request_id, "error", "No model is loaded.")
        except Cancelled:  # stopped before the API server let go of the model
            self.finished.emit(req.request_id, "",
                               ReplyRecord(finish_reason="cancelled", measured=False))

    def _generate(self, req: GenerateRequest) -> None:
        rid = req.request_id

        def on_fit(fit: FitResult) -> None:
            self.fitted.emit(rid, fit.dropped, len(fit.prompt_tokens))

        def on_event(ev: StreamEvent) -> None:
            if ev.text:
                self.token.emit(rid, ev.text, ev.pieces)
            self.step.emit(rid, ReplyRecord.of(ev.step.reply))

        try:
            messages, footer = req.messages, ""
            built = self.documents.build(self.session, messages[:-1], req.learn_user_text,
                                         list(req.attachments), list(req.documents),
                                         req.sampling.max_tokens)
            if built is not None:
                messages = built.messages
                footer = " · ".join(filter(None, (built.footer(), self.documents.note)))
                self.prompted.emit(rid, built.content)
            # ADED off: the session's plain proposer (one token per call, same loop)
            proposer = None if req.aded else self.session.plain
            reply = self.session.generate(
                messages, req.sampling, on_event, self._stop.is_set, proposer, on_fit=on_fit,
                on_prefill=lambda progress: self.reading.emit(rid, progress),
                continue_reply=req.continue_from is not None)
        except ContextOverflowError as exc:  # raised by fitting: nothing was generated
            self.failed.emit(rid, "overflow", str(exc))
            return
        except TemplateError as exc:  # the model's template refused the conversation
            self.failed.emit(rid, "template",
                             f"This model's chat template stopped the reply: {exc}")
            return
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(rid, "error", f"{type(exc).__name__}: {exc}")
            return
        learned_by = None
        whole = (req.continue_from or "") + reply.text
        learn = reply.stats.finish_reason in ("stop", "length") and whole.strip()
        if learn or req.learned_before:
            try:
                self.session.learn_exchange([req.learn_user_text, whole] if learn else [],
                                            req.learned_before, req.learn_source or None)
                learned_by = self.session.fingerprint if learn else None  # forgotten on delete
            except Exception as exc:  # a full disk must not lose the reply
                self.status.emit(f"Could not save the learned table: {exc}")
        self.finished.emit(rid, reply.text, ReplyRecord.of(
            reply.stats, dropped_turns=reply.fit.dropped, learned_by=learned_by,
            learned_source=req.learn_source or None if learned_by else None, documents=footer))

    @Slot(list)
    def measure(self, messages: list) -> None:
        """Report how many tokens these messages take as a prompt."""
        if self.session is None:
            return
        try:
            n = len(self.session.prompt_tokens(messages)) if messages else 0
        except Exception:
            return
        self.contextUsage.emit(n, self.session.backend.n_ctx)

    @Slot(object)
    def count(self, req: CountRequest) -> None:
        """Count the message being written (see ``CountRequest``), unless a newer request
        is queued behind this one."""
        if self.session is None or req.request_id != self.latest_count:
            return
        try:
            counted = count_budget(self.session, req.request_id, req.messages, req.question,
                                   req.attachments, req.max_tokens, self.documents.token_counts)
        except Exception as exc:  # e.g. a template refusing: the send will say so
            self.status.emit(f"Could not count the message: {exc}")
            return
        self.counted.emit(counted)

    @Slot(object)
    def configure(self, settings) -> None:
        """New ADED knobs (``SessionSettings``; its backend part needs a reload instead)."""
        if self.session is not None:
            try:
                with self.host.use() as session:
                    session.reconfigure(settings.aded, settings.table)
            except Exception as exc:  # an exception escaping a slot is only printed
                self.status.emit(f"Could not apply the settings: {exc}")

    @Slot(dict)
    def forget(self, by_table: dict) -> None:
        """Make each table forget what it learned from a deleted conversation: the loaded
        model's in memory and on disk, the others on disk through their tokenizer."""
        for fingerprint, texts in by_table.items():
            loaded = self.session is not None and fingerprint in (None, self.session.fingerprint)
            try:
                if loaded:
                    with self.host.use() as session:
                        session.forget_exchange(texts)
                elif fingerprint is not None:
                    forget_in_saved_table(fingerprint, texts)
            except Exception as exc:
                self.status.emit(f"Could not update a learned table: {exc}")

    @Slot()
    def reset_tables(self) -> None:
        """Forget everything the model's tri-gram tables learned (their files are deleted)."""
        if self.session is None:
            self.tablesReset.emit(False, "No model is loaded.")
            return
        try:
            with self.host.use() as session:
                session.reset_tables()
        except Exception as exc:
            self.tablesReset.emit(False, f"{type(exc).__name__}: {exc}")
            return
        self.tablesReset.emit(True, "")

    @Slot()
    def measure_machine(self) -> None:
        """Settings › Measure this machine again (ChatSession.measure_again)."""
        if self.session is None:
            self.machineMeasured.emit(None, "No model is loaded.")
            return
        try:
            with self.host.use() as session:
                curve = session.measure_again()
        except Exception as exc:
            self.machineMeasured.emit(None, f"{type(exc).__name__}: {exc}")
            return
        self.machineMeasured.emit(curve, "")

    @Slot()
    def close(self) -> None:
        self.host.replace(None)


SHUTDOWN_WAIT_MS = 30_000  # how long closing waits for the engine thread to end
# Clients whose thread did not end within the wait: referenced here until the process ends,
# so that their QThread is never destroyed while it runs (see EngineClient.shutdown).
_STILL_RUNNING: list = []


def engine_still_running() -> bool:
    """True when an engine thread outlived its shutdown wait: the process must end with
    ``os._exit`` (the interpreter's own teardown would destroy the running QThread)."""
    return any(client.thread.isRunning() for client in _STILL_RUNNING)


class EngineClient(QObject):
    """The window's handle on the engine thread. Methods return at once; results arrive as
    the worker's signals: connect ``client.worker.<signal>`` to slots of QObjects that live
    in the GUI thread, so that each call is queued onto that thread (a plain function would
    run in the engine thread).

    Busy guard: one generation at a time; ``generate`` returns 0 while one runs.
    """

    _load = Signal(str, object)
    _generate = Signal(object)
    _measure = Signal(list)
    _count = Signal(object)
    _forget = Signal(dict)
    _configure = Signal(object)
    _reset_tables = Signal()
    _measure_machine = Signal()
    _close = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.stop_event = threading.Event()
        self.thread = QThread()
        self.thread.setObjectName("aded-engine")
        worker = self.worker = EngineWorker(self.stop_event)
        worker.moveToThread(self.thread)
        for request, slot in ((self._load, worker.load), (self._generate, worker.generate),
                              (self._measure, worker.measure), (self._count, worker.count),
                              (self._forget, worker.forget),
                              (self._configure, worker.configure),
                              (self._reset_tables, worker.reset_tables),
                              (self._measure_machine, worker.measure_machine),
                              (self._close, worker.close)):
            request.connect(slot)  # queued: the worker lives in the engine thread
        worker.finished.connect(self._on_done)
        worker.failed.connect(self._on_done)
        worker.loaded.connect(self._on_loaded)
        worker.loadFailed.connect(self._on_load_failed)
        # what the tables were taught, and forgetting it: the same thread, after the reply
        self.learning = LearningClient(worker, self.thread, self)
        self.thread.start()
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._report_progress)
        self.busy = False  # a reply is being generated
        self.loading = False
        self.info: dict | None = None
        self._next_id = 0
        self._next_count = 0
        self.current_request = 0

    def load(self, path: str, settings: SessionSettings) -> bool:
        """Load a model file; an empty path means the demo model."""
        if self.busy or self.loading:
            return False
        self.loading = True
        self.worker.load_fraction, self.worker.load_phase = 0.0, ""
        self._poll.start()
        self._load.emit(path, settings)
        return True

    def generate(self, messages: list[dict], sampling: SamplingSettings, aded: bool = True,
                 learn_user_text: str = "", continue_from: str | None = None,
                 learned_before: tuple[str, ...] = (), attachments: tuple = (),
                 documents: tuple = (), learn_source: str = "") -> int:
        """Ask for a reply (see GenerateRequest); its id, or 0 when refused."""
        if self.busy or self.loading or self.info is None:
            return 0
        self._next_id += 1
        self.current_request = self._next_id
        self.busy = True
        self.stop_event.clear()
        self._generate.emit(GenerateRequest(self._next_id, messages, sampling, aded,
                                            learn_user_text, continue_from, learned_before,
                                            tuple(attachments), tuple(documents), learn_source))
        return self._next_id

    def count(self, messages: list[dict], question: str, attachments: list,
              max_tokens: int) -> int:
        """Count a message being written (the answer is the worker's ``counted``, with this
        id); 0 when no model is loaded. Only the newest request is answered."""
        if self.info is None:
            return 0
        self._next_count += 1
        self.worker.latest_count = self._next_count
        self._count.emit(CountRequest(self._next_count, messages, question, list(attachments),
                                      max_tokens))
        return self._next_count

    def stop(self) -> None:
        self.stop_event.set()

    def measure(self, messages: list[dict]) -> None:
        if self.info is not None:
            self._measure.emit(messages)

    def configure(self, settings: SessionSettings) -> None:
        """Apply new ADED knobs to the loaded model (queued after any running reply)."""
        self._configure.emit(settings)

    def forget(self, by_table: dict[str | None, list[str]]) -> None:
        """Forget a deleted conversation in the tables that learned it (with or without a
        model loaded; see ``store.learned_exchanges``)."""
        if by_table:
            self._forget.emit(dict(by_table))

    def reset_tables(self) -> bool:
        """Delete the loaded model's learned tables; refused (False) while a reply or a load
        runs or when no model is loaded. The answer is the worker's ``tablesReset``."""
        if self.busy or self.loading or self.info is None:
            return False
        self._reset_tables.emit()
        return True

    def measure_machine(self) -> bool:
        """Measure the loaded model's batch costs again; refused (False) while a reply or a
        load runs or when no model is loaded. The answer is the worker's ``machineMeasured``."""
        if self.busy or self.loading or self.info is None:
            return False
        self._measure_machine.emit()
        return True

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Stop any reply, free the model in its thread, end the thread; False when it did
        not end within ``timeout_ms`` (default ``SHUTDOWN_WAIT_MS``; a prefill of a long
        prompt cannot be interrupted). Such a client is kept alive for good (``_STILL_RUNNING``):
        destroying a QThread that still runs aborts the process ("QThread: Destroyed while
        thread is still running", SIGABRT, issue 22 item 7); the program then ends with
        ``os._exit`` once everything is saved (``engine_still_running``, app/main.py)."""
        self.stop_event.set()
        self._close.emit()
        self.thread.quit()
        done = self.thread.wait(SHUTDOWN_WAIT_MS if timeout_ms is None else timeout_ms)
        if not done:
            _STILL_RUNNING.append(self)  # a deliberate leak: never garbage-collected
        return done

    def _on_done(self, request_id: int, *_):
        if request_id == self.current_request:
            self.busy = False

    def _report_progress(self) -> None:
        self.worker.loadProgress.emit(self.worker.load_fraction, self.worker.load_phase)

    def _on_loaded(self, info: dict):
        self._poll.stop()
        self.loading = False
        self.info = info

    def _on_load_failed(self, _message: str):
        self._poll.stop()
        self.loading = False

