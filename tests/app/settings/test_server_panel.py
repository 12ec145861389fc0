"""Model > Local API server: the switch, the address, the request log, and the window's
replies and the server's requests taking turns on the one loaded model (real engine thread,
real server, the official openai client)."""

from __future__ import annotations

import threading

import pytest
from openai import OpenAI
from PySide6.QtCore import QObject

from aded_engine.sampling import SamplingSettings
from app.settings.server_panel import ServerPanel
from app.settings.settings import AppSettings, load_settings, settings_path

TIMEOUT_MS = 180_000
LONG = SamplingSettings(temperature=0.0, max_tokens=400)
QUESTION = [{"role": "user", "content": "Write a long story about a dragon."}]


class Replies(QObject):
    """The worker's finished/failed signals for the window's replies, as the window gets them."""

    def __init__(self, client):
        super().__init__()
        self.ended: dict[int, tuple] = {}
        self.tokens: dict[int, int] = {}
        client.worker.finished.connect(self.on_finished)
        client.worker.failed.connect(self.on_failed)
        client.worker.token.connect(self.on_token)

    def on_finished(self, rid, text, record):
        self.ended[rid] = ("finished", text, record)

    def on_failed(self, rid, kind, message):
        self.ended[rid] = ("failed", kind, message)

    def on_token(self, rid, _text, _pieces):
        self.tokens[rid] = self.tokens.get(rid, 0) + 1


@pytest.fixture
def panel(qtbot, engine):
    panel = ServerPanel(engine, AppSettings())
    qtbot.addWidget(panel)
    panel.port.setValue(0)  # any free port
    yield panel
    panel.shutdown()


def api(panel):
    return OpenAI(base_url=panel.controller.server.address, api_key="unused", max_retries=0,
                  timeout=300)


def test_the_switch_serves_the_model_and_logs_each_request(qtbot, panel, engine):
    assert panel.switch.isEnabled()  # a model is loaded
    panel.switch.setChecked(True)
    assert panel.controller.running
    address = panel.controller.server.address
    assert address in panel.state.text() and engine.info["model"] in panel.state.text()
    model = api(panel).models.list().data[0].id
    reply = api(panel).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi!"}], max_tokens=16,
        temperature=0)
    assert reply.usage.completion_tokens > 0
    qtbot.waitUntil(lambda: "tok/s" in panel.log.toPlainText(), timeout=TIMEOUT_MS)
    assert f"+{reply.usage.completion_tokens} tokens" in panel.log.toPlainText()
    panel.switch.setChecked(False)
    assert not panel.controller.running and panel.state.text() == "Not running"
    assert panel.host.isEnabled()


def test_where_it_listened_is_kept_for_the_next_start_but_not_the_key(qtbot, panel, engine):
    panel.api_key.setText("s3cret-key")
    panel.switch.setChecked(True)
    assert panel.controller.running
    panel.switch.setChecked(False)
    saved = load_settings()
    assert (saved.server_host, saved.server_port) == ("127.0.0.1", 0)
    assert "s3cret-key" not in settings_path().read_text()
    again = ServerPanel(engine, saved)
    qtbot.addWidget(again)
    assert (again.host.text(), again.port.value(), again.api_key.text()) == ("127.0.0.1", 0, "")


def test_an_address_off_loopback_without_a_key_is_refused(panel):
    panel.host.setText("0.0.0.0")
    panel.switch.setChecked(True)
    assert not panel.controller.running and not panel.switch.isChecked()
    assert "API key" in panel.state.text()


def test_a_request_waits_for_the_windows_reply(qtbot, panel, engine):
    """The window's reply holds the model; the server's request waits in line (not beside
    it) and is answered once the reply is stopped."""
    panel.switch.setChecked(True)
    host, replies = engine.worker.host, Replies(engine)
    model = api(panel).models.list().data[0].id
    rid = engine.generate(QUESTION, LONG)
    qtbot.waitUntil(lambda: replies.tokens.get(rid), timeout=TIMEOUT_MS)
    answer = {}
    asking = threading.Thread(target=lambda: answer.update(reply=api(panel).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi!"}], max_tokens=8)))
    asking.start()
    qtbot.waitUntil(lambda: host.waiting == 1 or rid in replies.ended, timeout=TIMEOUT_MS)
    assert rid not in replies.ended  # still replying, the request waits behind it
    engine.stop()
    qtbot.waitUntil(lambda: rid in replies.ended and not asking.is_alive(), timeout=TIMEOUT_MS)
    assert replies.ended[rid][0] == "finished" and replies.ended[rid][2].finish_reason == "cancelled"
    assert answer["reply"].choices[0].finish_reason in ("stop", "length")


def test_the_windows_reply_waits_for_a_request_and_can_be_stopped_there(qtbot, panel, engine):
    panel.switch.setChecked(True)
    host, replies = engine.worker.host, Replies(engine)
    client = api(panel)
    model = client.models.list().data[0].id
    stream = client.chat.completions.create(model=model, messages=QUESTION, max_tokens=400,
                                            temperature=0, stream=True)
    next(iter(stream))  # the request holds the model now
    rid = engine.generate([{"role": "user", "content": "Hi!"}], LONG)
    qtbot.waitUntil(lambda: host.waiting == 1, timeout=TIMEOUT_MS)
    engine.stop()  # Stop while waiting: the reply ends at once, empty
    qtbot.waitUntil(lambda: rid in replies.ended, timeout=TIMEOUT_MS)
    assert replies.ended[rid][:2] == ("finished", "")
    assert replies.ended[rid][2].finish_reason == "cancelled" and rid not in replies.tokens
    stream.close()  # the client leaves: its generation stops, the model is free again
    qtbot.waitUntil(lambda: not host.busy, timeout=TIMEOUT_MS)
    rid = engine.generate([{"role": "user", "content": "Hi!"}],
                          SamplingSettings(temperature=0.0, max_tokens=8))
    qtbot.waitUntil(lambda: rid in replies.ended, timeout=TIMEOUT_MS)
    assert replies.ended[rid][0] == "finished" and replies.ended[rid][1]
