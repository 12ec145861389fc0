"""Continue, with the real demo model in its engine thread and a real SQLite file: a reply
cut by the length limit, or left partial when the program ended, goes on in the same
message; its row, statistics and the learned table stay exact."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer

from app.mainwindow.theme import LIGHT
from app.reply.continuation import can_continue, continue_footer_html
from app.reply.reply import ReplyController
from app.storage.learned_sources import keep_stored
from app.storage.store import COMPLETE, INTERRUPTED, PARTIAL, STOPPED, Message

REPLY_TIMEOUT_MS = 90_000
COUNT = "Count from 1 to 30, separated by commas."


@pytest.fixture
def controller(store, engine, settings_for):
    made = ReplyController(store, engine, settings_for(max_tokens=8))
    yield made
    made.deleteLater()


def reply_and_wait(qtbot, controller, start) -> None:
    saved = []
    controller.saved.connect(lambda *args: saved.append(args))
    assert start()
    qtbot.waitUntil(lambda: bool(saved), timeout=REPLY_TIMEOUT_MS)


def in_engine_thread(qtbot, client, work):
    """``work(session)`` in the engine thread, after every request queued before it."""
    done = []
    QTimer.singleShot(0, client.worker, lambda: done.append(work(client.worker.session)))
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    return done[0]


def history(client, qtbot) -> dict:
    keys, succ, weight = in_engine_thread(qtbot, client, lambda s: s.learned.history.triples())
    return {(int(k), int(t)): float(w) for k, t, w in zip(keys, succ, weight) if w}


def test_a_reply_cut_by_the_length_limit_goes_on_in_the_same_message(qtbot, store, engine,
                                                                     controller):
    before = history(engine, qtbot)
    reply_and_wait(qtbot, controller, lambda: controller.send(None, COUNT))
    cid = store.list_conversations()[0].id
    user, cut = store.messages(cid)
    assert cut.record.finish_reason == "length" and cut.record.tokens == 8
    assert can_continue(cut) and cut.record.learned_by == engine.info["fingerprint"]

    runs = []
    controller.measured.connect(runs.append)  # the continuation's own figures, live
    reply_and_wait(qtbot, controller, lambda: controller.continue_reply(cid))
    messages = store.messages(cid)
    assert [m.id for m in messages] == [user.id, cut.id]  # the same row, no new one
    whole = messages[1]
    assert whole.content.startswith(cut.content) and len(whole.content) > len(cut.content)
    assert whole.status == COMPLETE
    record, later = whole.record, runs[-1]
    assert 0 < later.tokens <= 8 and record.tokens == 8 + later.tokens  # one record, both runs
    assert record.calls == cut.record.calls + later.calls
    assert record.finish_reason == later.finish_reason in ("stop", "length")
    assert record.learned_by == engine.info["fingerprint"]
    assert record.tokens_per_s == pytest.approx(record.tokens / record.seconds, rel=0.01)
    assert all(0 <= s < e <= len(whole.content) for s, e in record.drafted_spans)

    # the table learned the exchange once, whole: deleting the conversation forgets it exactly
    store.delete_conversation(cid)
    engine.learning.forget_sources(keep_stored(store))  # as the window does after a delete
    assert history(engine, qtbot) == before


def test_a_reply_left_partial_when_the_program_ended_can_be_continued(qtbot, store, engine,
                                                                      controller):
    cid = store.create_conversation("crashed")
    store.add_message(cid, "user", COUNT)
    row = store.add_message(cid, "assistant", "1, 2, 3, 4,", status=PARTIAL)
    assert not can_continue(store.messages(cid)[1])  # partial: being written, maybe elsewhere
    assert store.mark_interrupted() == 1  # what the next start does with it
    (_, left) = store.messages(cid)
    assert left.status == INTERRUPTED and can_continue(left)
    reply_and_wait(qtbot, controller, lambda: controller.continue_reply(cid))
    (_, whole) = store.messages(cid)
    assert whole.id == row and whole.status == COMPLETE
    assert whole.content.startswith("1, 2, 3, 4,") and len(whole.content) > 12
    assert whole.record.tokens > 0 and whole.record.learned_by == engine.info["fingerprint"]


def test_only_a_reply_cut_short_can_be_continued(qtbot, store, engine, controller):
    cid = store.create_conversation("done")
    store.add_message(cid, "user", "Hi")
    store.add_message(cid, "assistant", "Hello!", stats={"tokens": 3, "finish_reason": "stop"})
    assert not controller.continue_reply(cid)
    assert not controller.continue_reply(None)
    stopped = Message(1, "assistant", "Once", STOPPED, {"tokens": 1, "finish_reason": "cancelled"})
    assert not can_continue(stopped)
    assert not can_continue(Message(2, "assistant", "", INTERRUPTED))  # nothing to go on from
    assert not can_continue(Message(3, "assistant", "Once", PARTIAL))  # being written
    assert can_continue(Message(4, "assistant", "Once", INTERRUPTED))
    assert not can_continue(Message(5, "user", "Once", COMPLETE, {"finish_reason": "length"}))


def test_the_footer_says_why_and_links_to_continue():
    cut = Message(1, "assistant", "1, 2", COMPLETE, {"tokens": 8, "finish_reason": "length"})
    footer = continue_footer_html(3, cut, LIGHT)
    assert "reply length limit" in footer and 'href="act:continue:3"' in footer
    left = Message(1, "assistant", "1, 2", INTERRUPTED)
    assert "program ended" in continue_footer_html(0, left, LIGHT)
    assert continue_footer_html(0, Message(1, "assistant", "Hi", COMPLETE,
                                           {"tokens": 1, "finish_reason": "stop"}), LIGHT) == ""
