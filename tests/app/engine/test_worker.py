"""The engine thread on its own: EngineClient and EngineWorker with the real demo model in
their QThread, no window. Signals are received by a QObject of this (the GUI) thread, as the
window receives them: queued, in the order the worker sent them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject

from aded_engine.chat_template import ChatFormatter, RenderLimits
from aded_engine.reply_record import ReplyRecord
from aded_engine.sampling import SamplingSettings
from app.engine.worker import EngineClient

REPLY_TOKENS = 32
GREEDY = SamplingSettings(temperature=0.0, max_tokens=REPLY_TOKENS)
REPLY_TIMEOUT_MS = 90_000


class Recorder(QObject):
    """What the worker said about replies, in arrival order."""

    def __init__(self, client: EngineClient):
        super().__init__()
        self.events: list[tuple] = []
        worker = client.worker
        worker.fitted.connect(self.on_fitted)
        worker.token.connect(self.on_token)
        worker.step.connect(self.on_step)
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)

    def on_fitted(self, request_id: int, dropped: int, prompt_tokens: int) -> None:
        self.events.append(("fitted", request_id, dropped, prompt_tokens))

    def on_token(self, request_id: int, text: str, pieces: list) -> None:
        self.events.append(("token", request_id, text, pieces))

    def on_step(self, request_id: int, record: ReplyRecord) -> None:
        self.events.append(("step", request_id, record))

    def on_finished(self, request_id: int, text: str, record: ReplyRecord) -> None:
        self.events.append(("finished", request_id, text, record))

    def on_failed(self, request_id: int, kind: str, message: str) -> None:
        self.events.append(("failed", request_id, kind, message))

    def ended(self) -> bool:
        return bool(self.events) and self.events[-1][0] in ("finished", "failed")

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_a_bad_file_fails_to_load_then_the_demo_model_loads(qtbot, module_data_dir,
                                                           demo_model, tmp_path, settings_for):
    settings = settings_for().session_settings()
    client = EngineClient()
    try:
        bogus = tmp_path / "notes.gguf"
        bogus.write_text("not a model")
        with qtbot.waitSignal(client.worker.loadFailed, timeout=30_000) as failed:
            assert client.load(str(bogus), settings)
        assert "not a GGUF" in failed.args[0]
        qtbot.waitUntil(lambda: not client.loading, timeout=5_000)  # the client heard it too
        assert client.info is None
        assert client.generate(user("hi"), GREEDY) == 0  # nothing loaded: refused

        with qtbot.waitSignal(client.worker.loaded, timeout=120_000) as loaded:
            assert client.load(str(demo_model), settings)
            assert client.loading and not client.load(str(demo_model), None)  # one at a time
        info = loaded.args[0]
        assert info["model"] == demo_model.name and info["n_ctx"] == settings_for().n_ctx
        qtbot.waitUntil(lambda: not client.loading, timeout=5_000)
        assert client.info == info
    finally:
        assert client.shutdown()


def test_a_reply_is_fitted_then_streamed_then_finished(qtbot, engine):
    recorder = Recorder(engine)
    request = engine.generate(user("Count from 1 to 10, separated by commas."), GREEDY, True,
                              "Count from 1 to 10, separated by commas.")
    assert request > 0 and engine.busy
    qtbot.waitUntil(recorder.ended, timeout=REPLY_TIMEOUT_MS)
    kinds = recorder.kinds()
    assert kinds[0] == "fitted" and kinds[-1] == "finished"
    assert set(kinds[1:-1]) == {"token", "step"}  # every step reports; steps with text stream
    assert {e[1] for e in recorder.events} == {request}
    _, _, dropped, prompt_tokens = recorder.events[0]
    assert dropped == 0 and prompt_tokens > 0
    _, _, text, record = recorder.events[-1]
    streamed = "".join(e[2] for e in recorder.events if e[0] == "token")
    assert text == streamed and text.strip()  # ASCII: nothing held back at the end
    steps = [e[2] for e in recorder.events if e[0] == "step"]
    assert [s.tokens for s in steps] == sorted(s.tokens for s in steps)
    assert steps[-1].tokens == record.tokens and 0 < record.tokens <= REPLY_TOKENS
    assert record.finish_reason in ("stop", "length") and record.measured
    assert record.learned_by == engine.worker.session.fingerprint  # learned: forgettable
    assert not engine.busy


def test_stop_ends_a_reply_within_a_step_and_the_busy_guard_holds_meanwhile(qtbot, engine,
                                                                            settings_for):
    recorder = Recorder(engine)
    long = SamplingSettings(temperature=0.0, max_tokens=2000)
    request = engine.generate(user("Tell me a long story about a dragon."), long)
    qtbot.waitUntil(lambda: recorder.kinds().count("token") >= 3, timeout=REPLY_TIMEOUT_MS)
    assert engine.generate(user("and another?"), GREEDY) == 0  # one reply at a time
    assert not engine.load("", settings_for().session_settings())
    assert not engine.reset_tables()
    engine.stop()
    qtbot.waitUntil(recorder.ended, timeout=10_000)
    _, rid, text, record = recorder.events[-1]
    assert (recorder.kinds()[-1], rid) == ("finished", request)
    assert record.finish_reason == "cancelled" and 0 < record.tokens < 2000
    assert record.learned_by is None and text  # a stopped reply is kept, not learned
    assert not engine.busy
    recorder.events.clear()
    assert engine.generate(user("Hi"), GREEDY) > 0  # free again
    qtbot.waitUntil(recorder.ended, timeout=REPLY_TIMEOUT_MS)
    assert recorder.kinds()[-1] == "finished"


def test_a_message_longer_than_the_context_fails_before_any_token(qtbot, engine):
    recorder = Recorder(engine)
    request = engine.generate(user("lorem ipsum dolor sit amet " * 400), GREEDY)
    qtbot.waitUntil(recorder.ended, timeout=30_000)
    assert recorder.events == [("failed", request, "overflow", recorder.events[0][3])]
    assert "context" in recorder.events[0][3]
    assert not engine.busy


@pytest.mark.parametrize("template, says", [
    ("{{ raise_exception('Conversation roles must alternate user/assistant') }}",
     "roles must alternate"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "ran longer than 1 s"),
    ("{{ 'x' * 200000000 }}", "builds more than"),
])
def test_a_chat_template_error_ends_the_reply_in_failed_and_frees_the_engine(qtbot, engine,
                                                                            template, says):
    session = engine.worker.session
    model_formatter = session.formatter
    session.formatter = ChatFormatter(template, limits=RenderLimits(seconds=1))
    try:
        recorder = Recorder(engine)
        request = engine.generate(user("Hi"), GREEDY)
        qtbot.waitUntil(recorder.ended, timeout=30_000)
        [(kind, rid, failure, message)] = recorder.events
        assert (kind, rid, failure) == ("failed", request, "template")
        assert message.startswith("This model's chat template stopped the reply: ")
        assert says in message
        assert not engine.busy
    finally:
        session.formatter = model_formatter
    recorder.events.clear()
    assert engine.generate(user("Hi"), GREEDY) > 0  # nothing is stuck
    qtbot.waitUntil(recorder.ended, timeout=REPLY_TIMEOUT_MS)
    assert recorder.kinds()[-1] == "finished"
