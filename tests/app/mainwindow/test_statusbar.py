"""The status bar's widgets (app/mainwindow/statusbar/), each through its own slots; no model
needed."""

from __future__ import annotations

from aded_engine.reply_record import ReplyRecord

from app.mainwindow.statusbar.bar import StatusBar
from app.mainwindow.statusbar.model import SAFE_MODE_MESSAGE_MS, loaded_message

INFO = {"model": "demo.gguf", "path": "/m/demo.gguf", "device": "CPU", "threads": 2,
        "gpu_layers": 0, "n_ctx": 1024, "description": "llama 135M Q4_1",
        "chat_template": "from the model", "load_note": None}
SAFE = dict(INFO, load_note="batches of one row only: this build crashed on bigger ones")


def make_bar(qtbot) -> StatusBar:
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show()
    return bar


def test_the_model_label_says_what_is_loaded_and_marks_safe_mode(qtbot):
    bar = make_bar(qtbot)
    assert bar.model.text() == "No model"
    bar.model.on_loaded(INFO)
    assert bar.model.text() == "demo.gguf · CPU · 2 threads · 0 GPU layers · context 1024"
    assert bar.model.toolTip() == "llama 135M Q4_1\nchat template: from the model"
    bar.model.on_loaded(SAFE)
    assert bar.model.text().endswith("context 1024 · safe mode")
    assert bar.model.toolTip().endswith("\n" + SAFE["load_note"])


def test_a_safe_mode_load_says_why_for_longer(qtbot):
    assert loaded_message(INFO) == ("Loaded demo.gguf", 8000)
    assert loaded_message(SAFE) == ("Loaded demo.gguf in safe mode: " + SAFE["load_note"],
                                    SAFE_MODE_MESSAGE_MS)
    assert SAFE_MODE_MESSAGE_MS == 30_000
    problems = dict(INFO, table_problems=["bad header", "wrong vocabulary"])
    assert loaded_message(problems)[0] == ("Loaded demo.gguf (learned table reset: bad header; "
                                           "wrong vocabulary)")
    assert loaded_message(problems)[1] == SAFE_MODE_MESSAGE_MS  # long enough to read
    bar = make_bar(qtbot)
    bar.on_loaded(SAFE)
    assert bar.currentMessage() == loaded_message(SAFE)[0]


def test_the_context_label_follows_the_open_conversation(qtbot):
    bar = make_bar(qtbot)
    bar.context.on_conversation_shown()
    assert bar.context.text() == ""  # no model: no context size to speak of
    bar.context.on_loaded(INFO)
    bar.context.on_context_usage(312, 1024)  # the engine measured the conversation
    assert (bar.context.used, bar.context.text()) == (312, "context 312 / 1024 tokens")
    bar.context.on_conversation_shown()  # another one: not measured yet
    assert bar.context.text() == "context 0 / 1024 tokens"
    bar.context.on_prompt_fitted(640)  # the prompt of the reply being written
    assert (bar.context.used, bar.context.text()) == (640, "context 640 / 1024 tokens")
    assert "prompt" in bar.context.toolTip()


def test_the_context_label_moves_while_a_reply_streams(qtbot):
    bar = make_bar(qtbot)
    bar.context.on_loaded(INFO)
    bar.context.on_prompt_fitted(44)
    seen = []
    for tokens in (1, 9, 30):  # the reply so far, as the speed meter hears it
        bar.context.on_reply_measured(ReplyRecord(tokens=tokens))
        seen.append(bar.context.text())
    assert seen == ["context 45 / 1024 tokens", "context 53 / 1024 tokens",
                    "context 74 / 1024 tokens"]


def test_the_load_progress_shows_only_while_a_model_loads(qtbot):
    bar = make_bar(qtbot)
    assert not bar.progress.isVisible()
    bar.progress.on_load_started()
    assert bar.progress.isVisible() and bar.progress.value() == 0
    bar.progress.on_load_progress(0.425)
    assert bar.progress.value() == 42
    bar.progress.on_load_progress(0.9, "Checking batch cost…")  # past llama.cpp's own 100%
    assert bar.progress.value() == 90 and bar.progress.text() == "Checking batch cost… 90%"
    bar.progress.on_load_ended("the file is not a GGUF model")
    assert not bar.progress.isVisible()
    bar.progress.on_load_started()
    bar.progress.on_load_ended(INFO)
    assert not bar.progress.isVisible()


def test_messages_from_the_engine(qtbot):
    bar = make_bar(qtbot)
    bar.on_status("Fetching the demo model… 40%")
    assert bar.currentMessage() == "Fetching the demo model… 40%"
    bar.on_load_failed("not a GGUF file")
    assert bar.currentMessage() == "The model could not be loaded"
    bar.on_tables_reset(True, "")
    assert bar.currentMessage() == "Learned tables reset: drafting starts from scratch."
    bar.on_tables_reset(False, "PermissionError: denied")
    assert bar.currentMessage() == "The learned tables could not be reset: PermissionError: denied"
