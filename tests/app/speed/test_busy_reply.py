"""A reply decoded while other programs keep every core busy says so in the speed panel and
under the reply (issue 21 item 4: an honest meter). That a quiet reply does not is checked
on synthetic call times (tests/aded_engine/test_machine_load.py): no test here depends on
this machine being quiet."""

from __future__ import annotations

import contextlib
import os

import pytest

from aded_engine.background_load import background_load

from app.engine.wait import wait_until
from app.engine.worker import EngineClient

REPLY_TIMEOUT_MS = 180_000


@pytest.fixture
def two_thread_engine(qapp, demo_model, settings_for):
    """The demo model on two threads with the thread governor off: one thread per core
    (the tests' one thread could simply run on a core the load leaves), and the governor
    would move to one thread, where the load takes a share instead of stalling calls."""
    client = EngineClient()
    client.load(str(demo_model), settings_for(n_threads=2).session_settings())
    assert wait_until(lambda: client.info is not None, 120), "the demo model did not load"
    client.worker.session.governor = None  # set before any reply: the engine thread is idle
    yield client
    assert client.shutdown()


@pytest.mark.slow
def test_a_reply_under_a_spinning_load_says_the_machine_was_busy(qtbot, make_window, settings_for,
                                                                 two_thread_engine):
    window = make_window(settings_for(max_tokens=64), client=two_thread_engine)
    with contextlib.ExitStack() as loads:
        for _ in range(os.cpu_count() or 2):  # every core has another program wanting it
            loads.enter_context(background_load("spin"))
        assert window.send_message("Count from one to fifty, in words.")
        qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    record = window.store.messages(window.current_id)[-1].record
    assert record.calls >= 8, "too short a reply to judge"
    assert record.busy, f"calls took {record.load_ratio}x the reply's fast ones"
    note = window.speed.busy_note
    assert note.isVisible() and "machine was busy during this reply" in note.text()
    assert "other programs used the CPU" in window.chat.toPlainText()  # under the reply
