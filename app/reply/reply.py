"""One reply, from the user's Send to the saved row.

    send / regenerate   the user's message is committed, an empty reply row (status
                        "partial") is added, the engine thread is asked to generate
    worker.fitted       the prompt's size, and how many old turns were left out to fit it
    worker.token        the text so far and its drafted spans go to the transcript; the row
                        is saved every SAVE_EVERY_S while it streams
    worker.step         live statistics for the speed meter
    worker.finished     the row gets its final text, status and statistics (ReplyRecord)
    worker.failed       likewise with the error; a message too long for the context leaves
                        no reply row at all

The text of the reply being written lives in ``ReplyInFlight`` until it is saved; the views
are given copies (the text is a str, the drafted spans a tuple).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QCoreApplication, QObject, Signal

from aded_engine.prefill import PrefillProgress
from aded_engine.reply_record import ReplyRecord

from ..attachments.attachments import Attachment, conversation_documents
from ..conversation.drafted import extend_spans
from ..engine.wait import wait_until
from ..engine.worker import EngineClient
from ..settings.settings import AppSettings, sampling_settings
from ..storage.learned_sources import reply_source
from ..storage.store import (COMPLETE, ERROR, NEW_TITLE, PARTIAL, STOPPED, Conversation,
                             ConversationStore, Message, title_from)
from .continuation import can_continue, earlier_learning
from .limits import MAX_MESSAGE_CHARS, too_long_notice
from .reading import reading_text

SAVE_EVERY_S = 0.5
FINISH_NOTES = {"length": " (reached the reply length limit)", "context": " (the context is full)"}


def new_version(msg: Message, old: Message | None) -> Message:
    """``msg`` as the newest version of ``old``'s turn (as the store numbers it), or alone."""
    if old is not None:
        msg.parent_id, msg.version = old.parent_id, old.versions + 1
        msg.versions = msg.version
    return msg


@dataclass
class ReplyInFlight:
    request_id: int
    conversation_id: int
    message_id: int
    saved_at: float  # time.monotonic() of the last save
    text: str = ""
    drafted: list[list[int]] = field(default_factory=list)  # character spans from accepted drafts
    earlier: Message | None = None  # Continue: the reply as it was before (continuation.py)
    streaming: bool = False  # its first token arrived (the prompt has been read)
    question_id: int = 0  # the user message it answers (its prompt is saved if it has documents)

    def add(self, text: str, pieces: list[tuple[str, bool]]) -> None:
        extend_spans(self.drafted, len(self.text), pieces)
        self.text += text

    def spans(self) -> tuple[tuple[int, int], ...]:
        return tuple((start, end) for start, end in self.drafted)


class ReplyController(QObject):
    """Starts replies, follows the engine's answer, saves it; one reply at a time.

    Signals:
        shown(object): the Conversation as stored now (after a send, a regenerate, or a reply
            that could not start), the reply row last while one is written.
        busyChanged(bool): a reply is being written (True), or no longer (False).
        started(): a new reply is being written.
        promptFitted(int): prompt tokens of the reply being written.
        reading(str): how far its prompt has been read (before the first token).
        streamed(str, object): the reply so far and its drafted character spans.
        measured(object): ReplyRecord of the reply so far.
        saved(int, str, str, object): conversation id, text, status and statistics (the
            row's JSON, a dict) of a reply that ended.
        notice(str, int): a status-bar message and how long it shows (ms; 0: until the next).
        problem(str, str): title and text of an error to show in a dialog.
    """

    shown = Signal(object)
    busyChanged = Signal(bool)
    started = Signal()
    promptFitted = Signal(int)
    reading = Signal(str)
    streamed = Signal(str, object)
    measured = Signal(object)
    saved = Signal(int, str, str, object)
    notice = Signal(str, int)
    problem = Signal(str, str)

    def __init__(self, store: ConversationStore, client: EngineClient, settings: AppSettings,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.client = client
        self.settings = settings
        self.reply: ReplyInFlight | None = None
        worker = client.worker  # queued onto this (the GUI) thread
        worker.fitted.connect(self.on_fitted)
        worker.prompted.connect(self.on_prompted)
        worker.reading.connect(self.on_reading)
        worker.token.connect(self.on_token)
        worker.step.connect(self.on_step)
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)

    # --- starting ---------------------------------------------------------------------------
    def send(self, conversation_id: int | None, text: str, replace_from: int | None = None,
             attachments: list[Attachment] = (),
             new_settings: tuple[str, dict] | None = None) -> int | None:
        """Commit the user's message with its ``attachments`` to the conversation (a new one
        if None or gone), or as a new version of message ``replace_from`` (an edit: the old
        message keeps its replies on its own branch), and start the reply. Returns the
        message's id, or None when
        refused (a reply is being written, the text is blank, no model is loaded): then
        nothing is stored. ``new_settings``: the system prompt and sampling given to the
        conversation made here (set before it existed: no empty row for them)."""
        if self.reply or not text.strip():
            return None
        if len(text) > MAX_MESSAGE_CHARS:  # nothing stored, rendered nor fitted
            self.notice.emit(too_long_notice(len(text)), 10000)
            return None
        if self.client.info is None:  # the message stays in the box, to send once one is
            self.notice.emit("The model is still loading: send again when it says Loaded."
                             if self.client.loading else "Load a model first (Model menu).", 5000)
            return None
        conv = self.store.get_conversation(conversation_id) if conversation_id else None
        if conv is None:
            new_id = self.store.create_conversation(NEW_TITLE)
            if new_settings:
                self.store.set_system_prompt(new_id, new_settings[0])
                self.store.set_sampling(new_id, new_settings[1])
            conv = self.store.get_conversation(new_id)
        if conv.title == NEW_TITLE and not any(m.role == "user" for m in conv.messages):
            conv.title = title_from(text)
            self.store.rename_conversation(conv.id, conv.title)
        old = next((m for m in conv.messages if m.id == replace_from), None)
        attachments = list(attachments)
        message_id = self.store.add_message(  # committed before generating
            conv.id, "user", text, attachments=attachments, version_of=old and old.id)
        if old:  # the edited message's branch is no longer shown
            del conv.messages[conv.messages.index(old):]
        conv.messages.append(new_version(Message(message_id, "user", text,
                                                 attachments=attachments), old))
        self._start(conv)
        return message_id

    def regenerate(self, conversation_id: int | None) -> bool:
        """A new version of the reply to the conversation's last user message (the earlier
        ones are kept: "< 2/2 >" on the reply)."""
        if self.reply or self.client.info is None or conversation_id is None:
            return False
        conv = self.store.get_conversation(conversation_id)
        users = [i for i, m in enumerate(conv.messages) if m.role == "user"] if conv else []
        if not users:
            return False
        old = conv.messages[users[-1] + 1] if users[-1] + 1 < len(conv.messages) else None
        del conv.messages[users[-1] + 1:]
        return self._start(conv, old)

    def _start(self, conv: Conversation, old: Message | None = None) -> bool:
        """Add the reply row (a new version of reply ``old``, if given) and ask the engine;
        the conversation is shown either way."""
        model = (self.client.info or {}).get("model")
        message_id = self.store.add_message(conv.id, "assistant", "", status=PARTIAL, model=model,
                                            version_of=old and old.id)
        sampling = sampling_settings(self.settings.sampling_values(conv.sampling))
        question = conv.messages[-1]
        request = self.client.generate(conv.chat_messages(), sampling, self.settings.aded,
                                       question.content, attachments=question.attachments,
                                       documents=conversation_documents(conv.messages),
                                       learn_source=reply_source(self.store, message_id))
        if not request:  # refused (a model is loading): the user's message stays, unanswered
            self.store.delete_messages_from(conv.id, message_id)  # an earlier version returns
            self.shown.emit(self.store.get_conversation(conv.id))
            return False
        conv.messages.append(new_version(Message(message_id, "assistant", "", PARTIAL,
                                                 model=model), old))
        self._begin(ReplyInFlight(request, conv.id, message_id, time.monotonic(),
                                  question_id=question.id), conv)
        return True

    def continue_reply(self, conversation_id: int | None) -> bool:
        """Go on with the conversation's last reply where it was cut short (the length
        limit, or the program ended while writing it): the new text is appended to it."""
        conv = self.store.get_conversation(conversation_id) if conversation_id else None
        if (self.reply or self.client.info is None or conv is None or not conv.messages
                or not can_continue(conv.messages[-1])):
            return False
        last = conv.messages[-1]
        table, texts = earlier_learning(conv.messages)
        loaded = table == self.client.info.get("fingerprint")
        sampling = sampling_settings(self.settings.sampling_values(conv.sampling))
        request = self.client.generate(conv.chat_messages(), sampling, self.settings.aded,
                                       conv.messages[-2].content, continue_from=last.content,
                                       learned_before=texts if loaded else (),
                                       documents=conversation_documents(conv.messages),
                                       learn_source=reply_source(self.store, last.id))
        if not request:
            return False
        if table and not loaded:  # another model's table learned it: forget it there
            self.client.forget({table: list(texts)})
        self.store.update_message(last.id, status=PARTIAL)
        self._begin(ReplyInFlight(request, conv.id, last.id, time.monotonic(), last.content,
                                  [list(s) for s in last.record.drafted_spans or ()], last),
                    self.store.get_conversation(conv.id))
        return True

    def _begin(self, reply: ReplyInFlight, conv: Conversation) -> None:
        """The engine took the request: show ``conv``, with the reply being written last."""
        self.reply = reply
        self.shown.emit(conv)
        self.started.emit()
        self.busyChanged.emit(True)
        self.notice.emit("Writing…", 0)

    def stop(self) -> None:
        if self.reply:
            self.client.stop()
            self.notice.emit("Stopping…", 0)

    # --- the engine's answer (slots for the worker's signals) --------------------------------
    def _is_current(self, request_id: int) -> bool:
        return self.reply is not None and request_id == self.reply.request_id

    def on_fitted(self, request_id: int, dropped: int, prompt_tokens: int) -> None:
        if not self._is_current(request_id):
            return
        self.promptFitted.emit(prompt_tokens)
        if dropped:
            self.notice.emit(f"The conversation is longer than the context: the {dropped} "
                             f"oldest message(s) were left out of this reply's prompt.", 15000)

    def on_reading(self, request_id: int, progress: PrefillProgress) -> None:
        if self._is_current(request_id):
            text = reading_text(progress)
            self.reading.emit(text)
            self.notice.emit(text, 0)

    def on_prompted(self, request_id: int, content: str) -> None:
        """The question with its documents as the model was given it: later turns send the
        same text again."""
        if self._is_current(request_id):
            self.store.set_prompt(self.reply.question_id, content)

    def on_token(self, request_id: int, text: str, pieces: list) -> None:
        if not self._is_current(request_id):
            return
        reply = self.reply
        if not reply.streaming:  # the first token: the prompt is read
            reply.streaming = True
            self.notice.emit("Writing…", 0)  # in place of "Reading the prompt: …"
        reply.add(text, pieces)
        self.streamed.emit(reply.text, reply.spans())
        now = time.monotonic()
        if now - reply.saved_at >= SAVE_EVERY_S:
            self.store.update_message(reply.message_id, content=reply.text)
            reply.saved_at = now

    def on_step(self, request_id: int, record: ReplyRecord) -> None:
        if self._is_current(request_id):
            self.measured.emit(record)

    def on_finished(self, request_id: int, text: str, record: ReplyRecord) -> None:
        if not self._is_current(request_id):
            return
        status = STOPPED if record.finish_reason == "cancelled" else COMPLETE
        self.measured.emit(record)
        earlier = self.reply.earlier
        if earlier is not None:  # Continue: one message, one record over both runs
            text = earlier.content + text
            record = earlier.record.followed_by(record)
        unstarted = status == STOPPED and not text and record.tokens == 0
        self._end(text, status, replace(record, drafted_spans=self.reply.spans()))
        self.notice.emit("Stopped before the first token" if unstarted else
                         ("Stopped" if status == STOPPED else "Done")
                         + FINISH_NOTES.get(record.finish_reason, ""), 5000)

    def on_failed(self, request_id: int, kind: str, message: str) -> None:
        if not self._is_current(request_id):
            return
        reply = self.reply
        if reply.earlier is not None:  # Continue failed: the reply stays as it was
            self._end(reply.earlier.content, reply.earlier.status, reply.earlier.record)
            self.notice.emit("The reply could not be continued: " + message, 15000)
            self.problem.emit("Could not continue the reply", message)
            return
        if kind == "overflow" and not reply.text:
            # nothing was generated: drop the empty reply row; the user's message stays
            self.store.delete_messages_from(reply.conversation_id, reply.message_id)
            self.reply = None
            self.busyChanged.emit(False)
            self.shown.emit(self.store.get_conversation(reply.conversation_id))
            self.notice.emit("Message too long for the context: " + message, 20000)
            self.problem.emit("Message too long", message + "\n\nYour message is saved.")
            return
        self._end(reply.text, ERROR, ReplyRecord.failure(message))
        self.notice.emit("The reply failed: " + message, 15000)

    def close(self, shutdown_engine: bool) -> None:
        """The window closes: stop a reply and save it as far as it got (status "stopped"),
        ending the engine thread too when ``shutdown_engine``."""
        self.stop()
        if shutdown_engine:
            self.client.shutdown()
        elif self.reply:
            wait_until(lambda: not (self.reply and self.client.busy), 30)
        QCoreApplication.sendPostedEvents()  # deliver the worker's last token/finished signals
        if self.reply:  # the engine did not answer: keep what arrived
            record = ReplyRecord(finish_reason="cancelled", measured=False)
            if self.reply.earlier is not None:
                record = self.reply.earlier.record.followed_by(record)
            self._end(self.reply.text, STOPPED, record)

    def _end(self, text: str, status: str, record: ReplyRecord) -> None:
        reply, self.reply = self.reply, None
        stats = record.to_json()
        self.store.update_message(reply.message_id, content=text, status=status, stats=stats)
        self.store.touch(reply.conversation_id)
        self.busyChanged.emit(False)
        self.saved.emit(reply.conversation_id, text, status, stats)
