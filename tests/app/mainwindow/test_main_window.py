"""The window end to end with the real demo model in a real engine thread and a real
SQLite file: send, stream, stop, regenerate, edit, delete, errors, reopen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtWidgets import QMessageBox, QPushButton

from aded_engine.paths import tables_dir
from aded_engine.table_store import load_table, table_path
from aded_engine.trigram import ctx_key
from app.mainwindow.main_window import MainWindow
from app.settings.settings import sampling_settings
from app.speed.history import COLUMNS
from app.storage.store import COMPLETE, PARTIAL, STOPPED, ConversationStore

N_CTX = 1024  # conftest.N_CTX

REPLY_TIMEOUT_MS = 90_000


def send_and_wait(qtbot, window, text):
    assert window.send_message(text)
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)


def db_messages(window):
    return window.store.messages(window.current_id)


def test_send_streams_reply_saves_both_turns_and_reopens(qtbot, make_window, tmp_path):
    window = make_window()
    assert window.pane.pages.currentWidget() is window.chat  # a model is loaded: no welcome panel
    assert window.send_message("Write a haiku about the sea.")
    # the user's message is on disk before the reply exists
    first = db_messages(window)
    assert [(m.role, m.status) for m in first] == [("user", COMPLETE), ("assistant", PARTIAL)]
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)

    user, reply = db_messages(window)
    assert user.content == "Write a haiku about the sea."
    assert reply.status == COMPLETE and reply.content.strip()
    assert reply.stats["tokens"] > 0 and reply.stats["finish_reason"] in ("stop", "length")
    assert reply.model and reply.model == window.client.info["model"]  # for the speed history
    assert window.chat.renders >= 1  # it streamed into the transcript
    assert reply.content.strip()[:20] in window.chat.toPlainText()
    assert window.speed.values["tokens_per_s"].text().endswith("tok/s")
    assert window.speed.values["tokens_per_call"].text() != "–"
    assert "tok/s" in window.chat.toPlainText()  # the details line under the reply
    assert window.sidebar.list.item(0).text().startswith("Write a haiku")
    qtbot.waitUntil(lambda: window.statusBar().context.used > 0, timeout=10_000)
    assert f"/ {N_CTX} tokens" in window.statusBar().context.text()
    conversation_id = window.current_id
    window.close()

    again = make_window()
    assert again.current_id == conversation_id
    assert [m.content for m in again.chat.messages] == [user.content, reply.content]
    assert again.chat.messages[1].stats == reply.stats
    assert "tok/s" in again.chat.toPlainText()


def test_stop_mid_reply_keeps_partial_marked_stopped(qtbot, make_window, settings_for):
    window = make_window(settings_for(max_tokens=2000))
    assert window.send_message("Tell me a long story about a dragon and a knight.")
    qtbot.waitUntil(lambda: len(window.replies.reply.text) > 40, timeout=REPLY_TIMEOUT_MS)
    # saved while streaming, before it ends
    qtbot.waitUntil(lambda: db_messages(window)[1].content != "", timeout=5_000)
    assert db_messages(window)[1].status == PARTIAL
    window.sidebar.setFocus()  # Esc stops wherever the focus is, not only in the message box
    qtbot.keyClick(window.sidebar, Qt.Key_Escape)
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=10_000)
    reply = db_messages(window)[1]
    assert reply.status == STOPPED
    assert reply.stats["finish_reason"] == "cancelled"
    assert 0 < reply.stats["tokens"] < 2000
    assert reply.content == window.chat.messages[1].content and len(reply.content) > 40
    assert "stopped" in window.chat.toPlainText()


def test_regenerate_keeps_the_earlier_reply_as_a_version(qtbot, make_window, monkeypatch,
                                                         settings_for):
    window = make_window(settings_for(temperature=0.9, seed=-1))
    send_and_wait(qtbot, window, "Name a colour.")
    old = db_messages(window)[1]
    assert window.regenerate()
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    messages = db_messages(window)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].id != old.id and messages[1].status == COMPLETE
    assert (messages[1].version, messages[1].versions) == (2, 2)
    assert messages[0].content == "Name a colour."
    assert "2/2" in window.chat.toPlainText()
    # both versions were decoded and measured: both are in the speed history
    history = window.show_speed_history()
    assert len(history.conversation_panel.rows()) == 2
    history.close()
    # ‹ (or Chat > Previous version, Alt+Left) shows the first again, and the model is
    # given that one from now on
    assert window.switch_version(1, -1)
    assert window.chat.messages[1].content == old.content and "1/2" in window.chat.toPlainText()
    from PySide6.QtGui import QAction
    actions = {a.text(): a for a in window.findChildren(QAction)}
    actions["Next version of the last message"].trigger()
    assert window.chat.messages[1].id == messages[1].id
    actions["Previous version of the last message"].trigger()
    assert window.chat.messages[1].content == old.content
    sent = []
    generate = window.client.generate
    monkeypatch.setattr(window.client, "generate",
                        lambda messages, *a, **k: sent.append(messages) or generate(messages, *a, **k))
    send_and_wait(qtbot, window, "Another one.")
    assert [m["content"] for m in sent[0]] == ["Name a colour.", old.content, "Another one."]


def test_edit_makes_a_new_branch_and_the_old_one_stays(qtbot, make_window):
    window = make_window()
    send_and_wait(qtbot, window, "What is 2+2?")
    send_and_wait(qtbot, window, "And 3+3?")
    assert len(db_messages(window)) == 4
    window.chat.editRequested.emit(0)
    assert window.composer.edit.toPlainText() == "What is 2+2?"
    assert window.pane.edit_banner.isVisibleTo(window)
    window.composer.edit.setPlainText("What is 5+5?")
    window.composer.on_submit()
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    messages = db_messages(window)
    assert [(m.role, m.content) for m in messages][0] == ("user", "What is 5+5?")
    assert [m.role for m in messages] == ["user", "assistant"]
    assert "And 3+3?" not in window.chat.toPlainText()
    assert (messages[0].version, messages[0].versions) == (2, 2)
    # back to the first version of the question: its whole branch comes back
    assert window.switch_version(0, -1)
    assert [m.content for m in db_messages(window)][::2] == ["What is 2+2?", "And 3+3?"]
    assert len(window.chat.messages) == 4


def test_sending_reads_and_draws_the_conversation_once(qtbot, make_window, monkeypatch):
    window = make_window()
    send_and_wait(qtbot, window, "Hi")
    reads, draws, measured = [], [], []
    get_conversation, render_all = window.store.get_conversation, window.chat.render_all
    measure = window.client.measure
    monkeypatch.setattr(window.store, "get_conversation",
                        lambda i: reads.append(i) or get_conversation(i))
    monkeypatch.setattr(window.chat, "render_all", lambda: draws.append(1) or render_all())
    monkeypatch.setattr(window.client, "measure", lambda m: measured.append(m) or measure(m))
    assert window.send_message("And again?")
    assert (reads, len(draws), measured) == ([window.current_id], 1, [])  # fitting measures
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    assert [len(m) for m in measured] == [4]  # then the conversation with the new reply


def test_empty_messages_are_ignored(qtbot, make_window):
    window = make_window()
    window.composer.edit.setPlainText("  \n\n ")
    window.composer.on_submit()
    assert window.replies.reply is None and window.store.list_conversations() == []


def test_delete_removes_it_from_window_and_database_file(qtbot, make_window, tmp_path,
                                                          monkeypatch):
    window = make_window()
    send_and_wait(qtbot, window, "Remember the word zebra-quokka-4711 please.")
    victim = window.current_id
    window.new_conversation()
    send_and_wait(qtbot, window, "A different chat.")
    assert len(window.sidebar.ids()) == 2
    window.sidebar.search.setText("ZEBRA-quokka")  # search finds message text
    assert window.sidebar.ids() == [victim]
    window.sidebar.search.clear()
    assert len(window.sidebar.ids()) == 2
    session = window.client.worker.session
    secret = session.backend.tokenize("Remember the word zebra-quokka-4711", parse_special=False)
    assert all(learned_trigrams(session.learned.history, secret))  # the table learned it
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert window.delete_conversation(victim)
    run_in_engine_thread(qtbot, window.client, lambda s: None)  # the forget request ran
    on_disk = load_table(table_path(tables_dir(), session.fingerprint, "history"),
                         session.fingerprint, session.backend.n_vocab).layer
    for layer in (session.learned.history, on_disk):
        assert not any(learned_trigrams(layer, secret))  # ... and forgot it
    assert victim not in window.sidebar.ids() and len(window.sidebar.ids()) == 1
    assert window.store.get_conversation(victim) is None
    files = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.db")]
    assert files
    for f in files:
        assert b"zebra-quokka-4711" not in f.read_bytes(), f.name
    assert "zebra-quokka" not in window.chat.toPlainText()


def test_delete_needs_confirmation(qtbot, make_window, monkeypatch):
    window = make_window()
    send_and_wait(qtbot, window, "Hi")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    assert not window.delete_conversation(window.current_id)
    assert window.store.get_conversation(window.current_id) is not None


def test_non_gguf_file_shows_error_and_app_keeps_working(qtbot, make_window, tmp_path):
    window = make_window()
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("these are my notes, not a model")
    assert window.models.load(str(bogus))
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=30_000)
    assert "not a GGUF" in window.error_box.text()
    window.error_box.close()
    assert window.client.info is not None  # the previous model is still loaded
    send_and_wait(qtbot, window, "Still there?")
    assert db_messages(window)[1].status == COMPLETE


def test_overflow_keeps_the_message_and_says_why(qtbot, make_window):
    window = make_window()
    long_text = "lorem ipsum dolor sit amet " * 400  # ~2400 tokens > 1024 context
    assert window.send_message(long_text)
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=30_000)
    messages = db_messages(window)
    assert [m.role for m in messages] == ["user"] and messages[0].content == long_text
    assert window.error_box is not None and "context" in window.error_box.text()


def test_a_pasted_megabyte_is_kept_whole_and_the_window_stays_light(qtbot, make_window):
    window = make_window()
    huge = "".join(f"row {i}: emoji 🎉, العربية, 中文\n" for i in range(30_000))  # ~1 MB
    window.composer.edit.setPlainText(huge)  # as if pasted
    window.composer.on_submit()
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=60_000)
    (message,) = db_messages(window)
    assert message.content == huge.rstrip("\n")  # stored whole (the last newline is trimmed)
    assert window.error_box is not None and "context" in window.error_box.text()
    assert len(window.chat.toPlainText()) < 25_000  # only its beginning is laid out


def test_drafted_tokens_view_marks_a_streamed_reply(qtbot, make_window):
    window = make_window()
    window.drafts_action.trigger()
    assert window.settings.show_drafts and window.chat.show_drafts
    send_and_wait(qtbot, window, "Count from 1 to 30, separated by commas.")
    reply = db_messages(window)[-1]
    spans = reply.stats["drafted_spans"]
    assert all(0 <= s < e <= len(reply.content) for s, e in spans)
    assert sorted(spans) == spans
    assert "came from drafts the model accepted" in window.chat.toPlainText()
    window.drafts_action.trigger()
    assert "came from drafts" not in window.chat.toPlainText()


def test_dropped_turns_are_reported(qtbot, make_window):
    window = make_window()
    cid = window.store.create_conversation("long")
    for i in range(4):
        window.store.add_message(cid, "user", f"question {i} " + "filler words here " * 60)
        window.store.add_message(cid, "assistant", f"answer {i} " + "more filler text " * 60)
    window.open_conversation(cid)
    send_and_wait(qtbot, window, "Last question?")
    reply = db_messages(window)[-1]
    assert reply.stats["dropped_turns"] > 0
    assert "oldest turns left out" in window.chat.toPlainText()


def test_closing_during_a_reply_saves_it_and_ends_the_thread(qtbot, tmp_path, demo_model,
                                                             module_data_dir, settings_for):
    store = ConversationStore(tmp_path / "conversations.db")
    window = MainWindow(store, settings_for(max_tokens=2000))  # owns its engine thread
    qtbot.addWidget(window)
    assert window.pane.pages.currentWidget() is window.pane.welcome  # no model yet
    assert not window.models.reset_tables_action.isEnabled()
    assert not window.models.reset_tables()  # nothing to reset, nothing asked
    assert not window.send_message("hello?")  # refused, nothing stored
    assert store.list_conversations() == []
    assert window.models.load(str(demo_model))
    qtbot.waitUntil(lambda: window.client.info is not None, timeout=60_000)
    qtbot.waitUntil(window.models.reset_tables_action.isEnabled, timeout=5_000)
    assert window.send_message("Tell me a long story about a lighthouse.")
    qtbot.waitUntil(lambda: len(window.replies.reply.text) > 20, timeout=REPLY_TIMEOUT_MS)
    thread = window.client.thread
    window.close()
    assert thread.isFinished()
    reply = store.messages(store.list_conversations()[0].id)[1]
    assert reply.status == STOPPED and len(reply.content) > 20
    store.close()


def test_speed_history_of_the_window_filters_by_the_loaded_model(qtbot, make_window):
    window = make_window()
    loaded = window.client.info["model"]
    cid = window.store.create_conversation("measured")
    for model, speedup in ((loaded, 1.2), ("another.gguf", 2.0), (loaded, 1.4)):
        window.store.add_message(cid, "user", "q")
        window.store.add_message(cid, "assistant", "a", model=model,
                                 stats={"tokens": 30, "tokens_per_s": 40.0,
                                        "tokens_per_call": 1.3, "speedup": speedup})
    other = window.store.create_conversation("elsewhere")
    window.store.add_message(other, "assistant", "b", model=loaded,
                             stats={"tokens": 30, "speedup": 1.6})
    window.open_conversation(cid)
    dialog = window.show_speed_history()
    assert dialog.isVisible() and window.info.dialog is dialog
    speedups = COLUMNS.index("Speedup")
    assert [r[speedups] for r in dialog.conversation_panel.rows()] == ["1.20×", "2.00×", "1.40×"]
    assert [r[speedups] for r in dialog.model_panel.rows()] == ["1.20×", "1.40×", "1.60×"]
    assert dialog.tabs.tabText(1) == "This model"  # the file name is in a plain-text label
    assert dialog.model_panel.heading.text() == f"Model {loaded}, every conversation"
    dialog.tabs.setCurrentIndex(1)
    send_and_wait(qtbot, window, "One more, please.")  # the open history grows by itself
    assert len(dialog.conversation_panel.rows()) == 4 and len(dialog.model_panel.rows()) == 4
    assert dialog.tabs.currentIndex() == 1


def test_help_menu_shows_the_data_locations(qtbot, make_window, tmp_path):
    window = make_window()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "Data locations…")
    action.trigger()
    dialog = window.info.dialog
    assert dialog.isVisible()
    assert dialog.paths["Conversations database"].text() == str(tmp_path / "conversations.db")
    assert dialog.paths["Learned tables"].text() == str(tables_dir())


def run_in_engine_thread(qtbot, client, work):
    """Call ``work(session)`` in the engine thread (where every engine call runs)."""
    done = []
    QTimer.singleShot(0, client.worker, lambda: done.append(work(client.worker.session)))
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)


def learned_trigrams(layer, tokens):
    """For each trigram of the tokens: does the table hold it?"""
    out = []
    for a, b, c in zip(tokens, tokens[1:], tokens[2:]):
        succ = layer.successors(ctx_key(a, b))
        out.append(bool(succ) and c in succ)
    return out


def learned_table_files(client):
    return sorted(tables_dir().glob(f"{client.worker.session.fingerprint}.*.adedtable"))


def test_reset_learned_tables_deletes_the_table_files(qtbot, make_window, monkeypatch):
    window = make_window()
    assert window.models.reset_tables_action.isEnabled()  # a model is loaded
    run_in_engine_thread(qtbot, window.client, lambda s: s.learn_exchange(
        ["What is the capital of France?", "The capital of France is Paris."]))
    assert learned_table_files(window.client)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    with qtbot.waitSignal(window.client.worker.tablesReset, timeout=30_000) as signal:
        assert window.models.reset_tables()
    assert signal.args == [True, ""]
    assert len(asked) == 1 and window.client.info["model"] in asked[0]
    assert learned_table_files(window.client) == []
    qtbot.waitUntil(lambda: "Learned tables reset" in window.statusBar().currentMessage(),
                    timeout=5_000)
    send_and_wait(qtbot, window, "Hello again")  # decoding still works on empty tables
    assert db_messages(window)[1].status == COMPLETE


def test_reset_learned_tables_needs_confirmation(qtbot, make_window, monkeypatch):
    window = make_window()
    run_in_engine_thread(qtbot, window.client, lambda s: s.learn_exchange(
        ["Name three rivers.", "The Nile, the Amazon and the Danube."]))
    before = learned_table_files(window.client)
    assert before
    sizes = [p.stat().st_size for p in before]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    assert not window.models.reset_tables()
    qtbot.wait(300)  # nothing was queued to the engine thread
    assert learned_table_files(window.client) == before
    assert [p.stat().st_size for p in before] == sizes
    assert not any(word in window.statusBar().currentMessage()
                   for word in ("Resetting", "Learned tables reset"))


def test_a_table_forgets_a_deleted_conversation_with_no_model_loaded(qtbot, engine):
    """The worker updates a saved table through its tokenizer when its model is not the
    one loaded (here: no model at all)."""
    import threading

    from app.engine.worker import EngineWorker

    session = engine.worker.session
    text = "The secret handshake is wobble-ferret-9."
    run_in_engine_thread(qtbot, engine, lambda s: s.learn_exchange(["hi", text]))
    tokens = session.backend.tokenize(text, parse_special=False)
    path = table_path(tables_dir(), session.fingerprint, "history")

    def on_disk():
        return load_table(path, session.fingerprint, session.backend.n_vocab).layer

    assert all(learned_trigrams(on_disk(), tokens))
    idle = EngineWorker(threading.Event())  # no session: nothing loaded
    messages = []
    idle.status.connect(messages.append)
    idle.forget({session.fingerprint: ["hi", text], "0" * 32: ["unknown tokenizer"]})
    assert len(messages) == 1 and "Reset learned tables" in messages[0], messages  # unknown one
    assert not any(learned_trigrams(on_disk(), tokens))


def test_rename_and_export_as_markdown_and_json(qtbot, make_window, tmp_path, monkeypatch):
    import json

    from PySide6.QtWidgets import QFileDialog, QInputDialog

    window = make_window()
    send_and_wait(qtbot, window, "Say hello in Japanese 🙂")
    cid = window.current_id
    asked = []

    def answer(dialog):
        asked.append((dialog.windowTitle(), dialog.minimumWidth(),
                      dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())))
        dialog.setTextValue("  Greetings 日本語  ")
        return 1

    monkeypatch.setattr(QInputDialog, "exec", answer)
    window.rename_conversation(cid)
    (title, width, title_px), = asked
    assert title == "Rename conversation" and width >= title_px + 150  # the title reads whole
    assert window.store.get_conversation(cid).title == "Greetings 日本語"
    assert window.sidebar.list.item(0).text().startswith("Greetings 日本語")

    user, reply = db_messages(window)
    for kind, name in (("md", "chat.md"), ("json", "chat.json")):
        target = tmp_path / name
        offered = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            lambda *a, t=target, **k: offered.append(a[3]) or (str(t), ""))
        window.export_conversation(cid, kind)
        assert target.exists()
        assert offered == [{"md": "Markdown (*.md)", "json": "JSON (*.json)"}[kind]
                           + ";;All files (*)"]
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "Greetings 日本語" in markdown and user.content in markdown
    assert reply.content.strip()[:30] in markdown
    data = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert [m["content"] for m in data["messages"]] == [user.content, reply.content]
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]


def test_conversation_settings_dialog_sets_system_prompt_and_sampling(qtbot, make_window,
                                                                      monkeypatch):
    from app.settings.dialogs import ConversationDialog

    window = make_window()
    window.new_conversation()

    def fill(dialog):
        dialog.prompt.setPlainText("You are a pirate.")
        dialog.sampling.fields["temperature"].setValue(0.9)
        dialog.sampling.fields["seed"].setValue(7)
        dialog.sampling.fields["max_tokens"].setValue(33)
        return True

    monkeypatch.setattr(ConversationDialog, "exec", fill)
    window.edit_conversation_settings()
    conv = window.current()
    assert conv.system_prompt == "You are a pirate."
    assert window.sampling_values(conv)["temperature"] == 0.9
    assert sampling_settings(window.sampling_values(conv)).seed == 7
    assert conv.chat_messages()[0] == {"role": "system", "content": "You are a pirate."}

    def greedy(dialog):
        next(b for b in dialog.findChildren(QPushButton) if b.text() == "Greedy").click()
        return True

    monkeypatch.setattr(ConversationDialog, "exec", greedy)
    window.edit_conversation_settings()
    assert window.sampling_values(window.current())["temperature"] == 0.0


def test_settings_dialog_applies_aded_knobs_without_reloading(qtbot, make_window, monkeypatch):
    from app.settings.dialogs import SettingsDialog
    from app.settings.settings import load_settings

    window = make_window()
    session = window.client.worker.session

    def fill(dialog):
        dialog.simulations.setValue(16)
        dialog.depth.setValue(5)
        dialog.adaptation.setCurrentIndex(dialog.adaptation.findData("paper"))
        return True

    monkeypatch.setattr(SettingsDialog, "exec", fill)
    window.models.edit_settings()
    applied = []
    run_in_engine_thread(qtbot, window.client, lambda s: applied.append(s.settings))
    assert window.client.worker.session is session  # no reload for ADED knobs
    assert applied[0].aded.search_settings.simulations == 16
    assert applied[0].aded.search_settings.max_depth == 5
    assert applied[0].table.adaptation == "paper"
    saved = load_settings()
    assert (saved.draft_simulations, saved.draft_depth, saved.table_adaptation) == (16, 5, "paper")
    send_and_wait(qtbot, window, "Hi")  # decodes with them
    assert db_messages(window)[-1].status == COMPLETE


def test_keyboard_tab_leaves_the_message_box_ctrl_f_searches_f1_lists_every_shortcut(
        qtbot, make_window):
    from PySide6.QtGui import QAction, QKeySequence

    from app.mainwindow.shortcuts_dialog import ShortcutsDialog

    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    edit = window.composer.edit
    edit.setFocus()
    edit.setPlainText("draft")
    assert edit.hasFocus()
    qtbot.keyClick(edit, Qt.Key_Tab)
    assert edit.toPlainText() == "draft" and not edit.hasFocus()  # no tab typed: moved on
    window.view_menu.search_action.trigger()
    assert window.sidebar.search.hasFocus()
    assert window.view_menu.search_action.shortcut() == QKeySequence(QKeySequence.Find)
    dialog = window.show_shortcuts()
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    listed = dict((what, keys) for keys, what in dialog.rows)
    # every action of the window that has a shortcut is in the list, under its menu path
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty():
            assert action.shortcut().toString(QKeySequence.NativeText) in listed.values(), \
                action.text()
    assert listed["Chat > Stop"] == "Esc" and "View > Search conversations" in listed
    assert listed["View > Sidebar"] == "Ctrl+B"
    assert any(what.startswith("Message box:") for what in listed)
    dialog.close()


def test_sidebar_and_speed_panel_collapse_and_it_is_remembered(qtbot, make_window, tmp_path):
    from app.settings.settings import load_settings

    window = make_window()
    view = window.view_menu
    view.sidebar_action.trigger()
    view.speed_action.trigger()
    assert not window.sidebar.isVisible() and not window.speed.isVisible()
    saved = load_settings()
    assert (saved.show_sidebar, saved.show_speed_panel) == (False, False)
    view.search_action.trigger()  # Ctrl+F brings the sidebar back to search in it
    assert window.sidebar.isVisible() and view.sidebar_action.isChecked()
    window.close()
    again = make_window(load_settings())
    assert again.sidebar.isVisible() and not again.speed.isVisible()
    assert not again.view_menu.speed_action.isChecked()


def test_800_by_600_is_usable(qtbot, make_window):
    window = make_window()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800 and window.height() == 600)
    assert window.minimumSizeHint().width() <= 800
    for part in (window.sidebar, window.pane, window.speed):
        assert part.isVisible() and part.width() >= part.minimumSizeHint().width()
    assert window.pane.width() >= 380  # the transcript keeps most of the room
    header = window.pane.header
    assert header.width() >= header.minimumSizeHint().width()  # no button is cut
    title = "A long conversation title that cannot fit beside the buttons at this width"
    header.on_renamed(title)  # cut with "…" when drawn; whole in text and tooltip
    assert header.title_label.text() == title == header.title_label.toolTip()


def test_the_sidebar_highlights_the_chat_shown(qtbot, make_window, monkeypatch):
    window = make_window()
    send_and_wait(qtbot, window, "First chat.")
    first = window.current_id
    window.new_conversation()
    second = window.current_id
    assert window.send_message("Second chat, a longer reply please.")
    # a click on the other chat while the reply is written: refused, highlight stays
    item = window.sidebar.list.item(window.sidebar.ids().index(first))
    rect = window.sidebar.list.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.wait(50)
    assert window.current_id == second and window.sidebar.current_id() == second
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert window.delete_conversation(second)
    assert window.current_id == first and window.sidebar.current_id() == first
    window.close()
    again = make_window()  # a restart highlights the chat it opens
    assert again.current_id == first and again.sidebar.current_id() == first


def test_a_search_with_no_hits_says_so(qtbot, make_window):
    window = make_window()
    send_and_wait(qtbot, window, "Hello there.")
    window.sidebar.search.setText("no-such-words-xyz")
    assert window.sidebar.ids() == [] and window.sidebar.no_matches.isVisible()
    assert "No matches" in window.sidebar.no_matches.text()
    window.sidebar.search.clear()
    assert not window.sidebar.no_matches.isVisible() and window.sidebar.ids()


def test_the_greedy_toggle_is_filled_when_on(qtbot, make_window):
    from PySide6.QtGui import QPalette

    window = make_window()
    button = window.pane.header.greedy_button
    qtbot.waitExposed(window)

    def fill():
        image = button.grab().toImage()
        return image.pixelColor(6, image.height() // 2)

    button.setChecked(False)
    off = fill()
    button.setChecked(True)
    on = fill()
    highlight = button.palette().color(QPalette.Highlight)
    assert on == highlight and off != highlight


def test_theme_from_the_view_menu_is_applied_and_remembered(qtbot, make_window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from app.mainwindow.theme import DARK
    from app.settings.settings import load_settings

    window = make_window()
    send_and_wait(qtbot, window, "Hi.")
    try:
        window.view_menu.theme_actions["dark"].trigger()
        assert QApplication.instance().palette().color(QPalette.Base).lightness() < 128
        qtbot.waitUntil(lambda: DARK.assistant_bg in window.chat.toHtml())
        assert load_settings().theme == "dark"
        window.close()
        again = make_window(load_settings())
        assert again.view_menu.theme_actions["dark"].isChecked()
    finally:
        window.appearance.apply("system")


def chat_action(window, text):
    chat_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Chat")
    return next(a for a in chat_menu.actions() if a.text() == text)


def test_continue_from_the_chat_menu_and_the_reply_footer(qtbot, make_window, settings_for):
    window = make_window(settings_for(max_tokens=8))
    send_and_wait(qtbot, window, "Count from 1 to 30, separated by commas.")
    cut = db_messages(window)[-1]
    assert cut.stats["finish_reason"] == "length"
    assert "reply length limit" in window.chat.toPlainText()  # the footer says why
    assert 'href="act:continue:1"' in window.chat.toHtml().replace("&quot;", '"')
    chat_action(window, "Continue the reply").trigger()
    assert window.replies.reply is not None
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    (_, whole) = db_messages(window)
    assert whole.id == cut.id and whole.content.startswith(cut.content)
    assert 8 < whole.stats["tokens"] <= 16 and whole.content in window.chat.toPlainText()

    window.chat.on_anchor(QUrl("act:continue:1"))  # the footer's link: once more
    if whole.stats["finish_reason"] == "length":
        qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
        assert db_messages(window)[-1].stats["tokens"] > whole.stats["tokens"]
    else:  # it ended by itself: nothing more to continue, no footer
        assert window.replies.reply is None
        assert "reply length limit" not in window.chat.toPlainText()


def test_continue_says_so_when_there_is_nothing_to_continue(qtbot, make_window):
    window = make_window()
    assert not window.continue_reply()
    assert "Nothing to continue" in window.statusBar().currentMessage()


def test_the_speed_panel_follows_the_conversation_shown(qtbot, make_window):
    window = make_window()
    send_and_wait(qtbot, window, "Count from 1 to 30, separated by commas.")
    first = window.current_id
    figure = window.speed.values["tokens_per_s"].text()
    assert figure.endswith("tok/s")
    window.new_conversation()
    assert all(label.text() == "–" for label in window.speed.values.values())
    window.open_conversation(first)
    assert window.speed.values["tokens_per_s"].text() == figure


def test_the_context_counter_moves_while_a_reply_streams(qtbot, make_window, settings_for):
    window = make_window(settings_for(max_tokens=64))
    label = window.statusBar().context
    seen = []
    window.replies.measured.connect(lambda _record: seen.append(label.used))
    send_and_wait(qtbot, window, "Tell me a long story about a dragon and a knight.")
    assert len(set(seen)) >= 3 and seen == sorted(seen)  # it grew as the reply streamed
    reply = db_messages(window)[-1]
    assert seen[-1] == label.prompt + reply.stats["tokens"]


def test_a_long_prompt_shows_how_far_it_is_read_and_stop_works_there(qtbot, make_window,
                                                                     settings_for):
    window = make_window(settings_for(max_tokens=32))
    text = " ".join(f"item {i} is a {['red', 'blue', 'green'][i % 3]} box" for i in range(100))
    shown = []
    window.replies.reading.connect(shown.append)
    assert window.send_message(text + "\nSummarize.")  # ~800 tokens: two pieces of 512
    qtbot.waitUntil(lambda: bool(shown) or window.replies.reply is None,
                    timeout=REPLY_TIMEOUT_MS)
    assert shown, window.statusBar().currentMessage()
    assert shown[0].startswith("Reading the prompt: 0 / ")
    assert shown[0] in window.chat.toPlainText()  # in place of the bare "…"
    window.replies.stop()  # while the first 512 tokens are read
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    assert shown[-1].startswith("Reading the prompt: 512 / ")  # no further: stopped there
    assert "tok/s" in shown[-1] and "left" in shown[-1]
    reply = db_messages(window)[-1]
    assert reply.status == STOPPED and reply.content == "" and reply.stats["tokens"] == 0
    assert "Reading the prompt" not in window.chat.toPlainText()
    window.new_conversation()
    send_and_wait(qtbot, window, "Say hi.")  # the engine is consistent and answers again
    assert db_messages(window)[-1].status == COMPLETE
