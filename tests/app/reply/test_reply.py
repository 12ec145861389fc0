"""ReplyController on its own (no window): a real SQLite file and the real demo model in its
engine thread; what the window tests do not already show."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject

from app.engine.worker import EngineClient
from app.reply.reply import ReplyController
from app.storage.store import COMPLETE, ERROR, PARTIAL, STOPPED

REPLY_TIMEOUT_MS = 90_000
COUNT = "Count from 1 to 30, separated by commas."
STORY = "Tell me a long story about a dragon and a knight."


class Heard:
    """Every signal of one controller, as lists of their arguments."""

    def __init__(self, controller: ReplyController):
        self.shown, self.busy, self.streamed, self.saved, self.notices = [], [], [], [], []
        controller.shown.connect(self.shown.append)
        controller.busyChanged.connect(self.busy.append)
        controller.streamed.connect(lambda text, spans: self.streamed.append((text, spans)))
        controller.saved.connect(lambda *reply: self.saved.append(reply))
        controller.notice.connect(lambda text, ms: self.notices.append((text, ms)))


class After(QObject):
    """Counts a worker signal on this thread; connected after a controller, it hears each
    emission after the controller did (queued calls arrive in the order connected)."""

    def __init__(self, signal):
        super().__init__()
        self.calls = 0
        signal.connect(self.on_signal)

    def on_signal(self, *_args) -> None:
        self.calls += 1


@pytest.fixture
def make_controller(store, settings_for):
    made = []

    def make(client, **settings):
        controller = ReplyController(store, client, settings_for(**settings))
        made.append(controller)
        return controller, Heard(controller)

    yield make
    for controller in made:
        controller.deleteLater()  # its connections to the shared engine go with it


def test_nothing_is_stored_without_a_model_or_text(qtbot, store, make_controller):
    client = EngineClient()  # no model loaded
    try:
        controller, heard = make_controller(client)
        assert controller.send(None, "hello?") is None
        assert controller.send(None, "  \n ") is None
        assert not controller.regenerate(None)
        assert store.list_conversations() == []
        assert heard.notices == [("Load a model first (Model menu).", 5000)]
        assert heard.shown == [] and heard.busy == []
    finally:
        assert client.shutdown()


def test_sending_reads_the_conversation_once(qtbot, store, engine, make_controller,
                                             monkeypatch):
    cid = store.create_conversation("earlier")
    store.add_message(cid, "user", "Hi")
    store.add_message(cid, "assistant", "Hello!")
    reads = []
    get_conversation = store.get_conversation
    monkeypatch.setattr(store, "get_conversation",
                        lambda i: reads.append(i) or get_conversation(i))
    controller, heard = make_controller(engine)
    user_id = controller.send(cid, "Name a colour.")
    assert user_id and reads == [cid]
    (conv,) = heard.shown  # shown once, as stored, with the reply row last
    assert [(m.role, m.content, m.status) for m in conv.messages][1:] == [
        ("assistant", "Hello!", COMPLETE), ("user", "Name a colour.", COMPLETE),
        ("assistant", "", PARTIAL)]
    assert conv.messages[2].id == user_id and conv.title == "earlier"
    qtbot.waitUntil(lambda: bool(heard.saved), timeout=REPLY_TIMEOUT_MS)


def test_the_views_get_copies_and_the_row_gets_the_final_text_and_spans(
        qtbot, store, engine, make_controller):
    controller, heard = make_controller(engine)
    assert controller.send(None, COUNT)
    assert heard.busy == [True] and heard.notices[0] == ("Writing…", 0)
    qtbot.waitUntil(lambda: bool(heard.saved), timeout=REPLY_TIMEOUT_MS)
    ((cid, text, status, stats),) = heard.saved
    assert heard.busy == [True, False] and controller.reply is None
    texts = [t for t, _ in heard.streamed]
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:]))  # the reply so far, growing
    assert texts[-1] == text  # ASCII: the streamed text is the final text
    assert all(isinstance(spans, tuple) for _, spans in heard.streamed)  # immutable copies
    assert stats["drafted_spans"] == [list(s) for s in heard.streamed[-1][1]]
    (row,) = [m for m in store.messages(cid) if m.role == "assistant"]
    assert (row.content, row.status, row.stats) == (text, status, stats)
    assert status == COMPLETE and stats["tokens"] > 0 and row.model == engine.info["model"]
    assert store.get_conversation(cid).title == COUNT  # named by its first message
    assert heard.notices[-1][0].startswith("Done")


def test_a_failed_reply_keeps_what_arrived_and_says_why(qtbot, store, engine, make_controller):
    controller, heard = make_controller(engine, max_tokens=2000)
    assert controller.send(None, STORY)
    qtbot.waitUntil(lambda: len(heard.streamed) >= 3, timeout=REPLY_TIMEOUT_MS)
    assert not controller.regenerate(controller.reply.conversation_id)  # one at a time
    reply = controller.reply
    finished = After(engine.worker.finished)
    controller.on_failed(reply.request_id, "error", "disk on fire")  # as the worker says it
    so_far = heard.streamed[-1][0]
    row = store.messages(reply.conversation_id)[-1]
    assert (row.content, row.status, row.stats) == (so_far, ERROR, {"error": "disk on fire"})
    assert heard.notices[-1] == ("The reply failed: disk on fire", 15000)
    assert heard.busy == [True, False] and controller.reply is None
    engine.stop()
    qtbot.waitUntil(lambda: finished.calls == 1, timeout=10_000)
    assert store.messages(reply.conversation_id)[-1] == row  # the late answer is not this reply's


def test_closing_waits_for_the_engine_and_saves_the_reply_stopped(qtbot, store, engine,
                                                                  make_controller):
    controller, heard = make_controller(engine, max_tokens=2000)
    assert controller.send(None, STORY)
    qtbot.waitUntil(lambda: len(heard.streamed) >= 3, timeout=REPLY_TIMEOUT_MS)
    cid = controller.reply.conversation_id
    controller.close(shutdown_engine=False)  # the engine is shared: it stays
    assert controller.reply is None and not engine.busy
    row = store.messages(cid)[-1]
    assert row.status == STOPPED and row.stats["finish_reason"] == "cancelled"
    assert 0 < row.stats["tokens"] < 2000  # the engine's own numbers: it was waited for
    assert engine.info is not None
