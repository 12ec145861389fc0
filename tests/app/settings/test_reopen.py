"""Started without --model, the last model and the last conversation come back (a setting,
on by default): the choice, and the real window started through app.main's open_window."""

from __future__ import annotations

import pytest

from app.main import open_window, parse_args
from app.settings.reopen import first_conversation, last_model
from app.settings.settings import AppSettings, load_settings
from app.storage.store import ConversationStore


def test_the_last_model_that_still_exists(tmp_path):
    gone, there = tmp_path / "gone.gguf", tmp_path / "there.gguf"
    there.write_bytes(b"GGUF")
    settings = AppSettings(recent_models=[str(gone), str(there)])
    assert last_model(settings) == str(there)
    assert last_model(AppSettings()) is None
    settings.reopen_last = False
    assert last_model(settings) is None


def test_the_last_conversation_if_it_is_still_there():
    settings = AppSettings(last_conversation=7)
    assert first_conversation(settings, [9, 7, 3]) == 7
    assert first_conversation(settings, [9, 3]) == 9  # deleted since: the newest
    assert first_conversation(settings, []) is None
    settings.reopen_last = False
    assert first_conversation(settings, [9, 7, 3]) == 9


@pytest.fixture
def window_store(tmp_path):
    store = ConversationStore(tmp_path / "conversations.db")
    yield store
    store.close()


def test_a_start_without_model_reopens_the_last_model_and_conversation(
        qtbot, window_store, demo_model, settings_for):
    older = window_store.create_conversation("older")
    window_store.add_message(older, "user", "hello from before")
    window_store.create_conversation("newer")
    settings = settings_for(recent_models=[str(demo_model)], last_conversation=older)
    window = open_window(parse_args([]), window_store, settings)
    qtbot.addWidget(window)
    try:
        assert window.current_id == older
        assert window.client.loading  # the last model is being opened, no click needed
        qtbot.waitUntil(lambda: window.client.info is not None, timeout=120_000)
        assert window.client.info["path"] == str(demo_model)
        newer = window.sidebar.ids()[0]
        window.open_conversation(newer)
    finally:
        window.close()
    assert load_settings().last_conversation == newer  # remembered at close


def test_the_setting_off_starts_with_nothing_loaded(qtbot, window_store, demo_model,
                                                    settings_for):
    settings = settings_for(recent_models=[str(demo_model)], reopen_last=False)
    window = open_window(parse_args([]), window_store, settings)
    qtbot.addWidget(window)
    try:
        assert not window.client.loading and window.client.info is None
    finally:
        window.close()


def test_a_message_sent_while_the_last_model_loads_says_to_wait(qtbot, window_store,
                                                                demo_model, settings_for):
    window = open_window(parse_args([]), window_store,
                         settings_for(recent_models=[str(demo_model)]))
    qtbot.addWidget(window)
    try:
        assert window.client.loading
        window.composer.edit.setPlainText("Hello?")
        assert not window.send_message("Hello?")
        assert window.statusBar().currentMessage().startswith("The model is still loading")
        assert window.composer.edit.toPlainText() == "Hello?"  # kept, nothing stored
        assert window_store.list_conversations() == []
        # closing waits for the engine thread, which must not be left loading
        qtbot.waitUntil(lambda: window.client.info is not None, timeout=120_000)
    finally:
        window.close()
