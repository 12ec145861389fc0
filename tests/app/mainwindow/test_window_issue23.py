"""Window defects of issue 23, each driven through the real window with the demo model:
long code lines, pasted code in the user's bubble, where the focus is, a pending chat's
settings, the speed history's wording and columns, the prompt-reading status line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor, QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QToolButton

from app.mainwindow.main_window import MainWindow
from app.storage.store import COMPLETE, STOPPED, ConversationStore, Message

REPLY_TIMEOUT_MS = 90_000
LONG_LINE = "values = [" + ", ".join(str(n) for n in range(1000, 1080)) + "]"  # 400 chars
UNBROKEN = "x" * 300  # a line with nowhere to break but between characters
CODE = ("def add_all(values):\n"
        "    x = 0\n"
        "    for v in values:\n"
        "        x += v\n"
        "\n"
        "    return x  # the sum")


def send_and_wait(qtbot, window, text):
    assert window.send_message(text)
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)


def bubble_text(chat, index: int) -> str:
    """Message ``index``'s text as the transcript shows it, without its header line."""
    frame = chat.document().rootFrame().childFrames()[index]
    cursor = QTextCursor(chat.document())
    cursor.setPosition(frame.firstPosition())
    cursor.setPosition(frame.lastPosition(), QTextCursor.KeepAnchor)
    shown = QTextDocumentFragment(cursor).toPlainText()
    return shown.split("\n", 1)[1].rstrip("\n")


def test_a_long_code_line_wraps_and_the_transcript_does_not_scroll_sideways(qtbot, make_window):
    window = make_window()
    send_and_wait(qtbot, window, f"What does this do?\n\n```python\n{LONG_LINE}\n```")
    bar = window.chat.horizontalScrollBar()
    assert bar.maximum() == 0, "the user's message scrolls the transcript sideways"
    conv = window.current()
    reply = f"Here:\n\n```python\ndef f():\n    {LONG_LINE}\n    {UNBROKEN}\n```\n\nDone."
    window.chat.set_messages(conv.messages + [Message(0, "assistant", reply)])
    qtbot.wait(20)  # laid out
    assert bar.maximum() == 0, "a reply's code line scrolls the transcript sideways"
    shown = window.chat.toPlainText()
    assert f"    {LONG_LINE}" in shown and UNBROKEN in shown  # wrapped, indentation kept
    assert window.chat.document().idealWidth() <= window.chat.viewport().width()


def test_pasted_code_keeps_its_line_breaks_and_indentation_in_the_users_bubble(qtbot,
                                                                                make_window):
    window = make_window()
    window.composer.edit.setPlainText(CODE)
    window.composer.edit.setFocus()
    qtbot.keyClick(window.composer.edit, Qt.Key_Return)  # Enter sends
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    assert window.store.messages(window.current_id)[0].content == CODE
    assert bubble_text(window.chat, 0) == CODE
    markup = "**not bold** <b>a tag</b> * not a list"  # shown as typed, too
    window.chat.set_messages([Message(0, "user", markup)])
    assert bubble_text(window.chat, 0) == markup


def test_the_message_box_has_the_focus_after_the_model_loads_and_on_start(
        qtbot, tmp_path, demo_model, module_data_dir, settings_for, make_window):
    store = ConversationStore(tmp_path / "own.db")
    window = MainWindow(store, settings_for())  # owns its engine thread: no model yet
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is window.composer.edit  # a first start
    window.pane.welcome.open_button.setFocus()  # as after a click on the welcome page
    assert window.models.load(str(demo_model))
    qtbot.waitUntil(lambda: window.client.info is not None, timeout=60_000)
    qtbot.waitUntil(lambda: window.pane.pages.currentWidget() is window.chat)
    assert QApplication.focusWidget() is window.composer.edit
    window.close()
    store.close()

    again = make_window()  # a second start, with a conversation to reopen
    send_and_wait(qtbot, again, "Hello.")
    again.close()
    third = make_window()
    third.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is third.composer.edit
    third.sidebar.list.setFocus()  # the user moved it: opening a chat leaves it there
    third.open_conversation(third.sidebar.ids()[0])
    assert QApplication.focusWidget() is third.sidebar.list


def test_the_header_toggles_show_focus_and_the_speed_toggle_is_not_a_mode(qtbot,
                                                                           make_window):
    window = make_window()
    header = window.pane.header
    toggles = [b for b in header.findChildren(QToolButton) if b is not header.greedy_button
               and b.isCheckable()]
    assert len(toggles) == 2
    speed = next(b for b in toggles if b.text() != "☰")
    assert "Speed" not in speed.text()  # not a mode beside Greedy: an icon, named
    assert speed.accessibleName() == "Speed panel"
    assert speed.toolTip().startswith("Show or hide the speed panel")
    for button in toggles + [header.greedy_button]:
        button.setChecked(True)  # shown: filled with the highlight colour
        window.chat.setFocus()
        unfocused = button.grab().toImage()
        button.setFocus(Qt.TabFocusReason)
        qtbot.waitUntil(button.hasFocus)
        focused = button.grab().toImage()
        edge = (1, focused.height() // 2)
        assert focused.pixelColor(*edge) != unfocused.pixelColor(*edge), button.text()


def test_prompt_and_sampling_on_an_empty_chat_makes_no_row_until_it_is_sent(
        qtbot, make_window, monkeypatch, settings_for):
    from app.settings.dialogs import ConversationDialog

    window = make_window(settings_for(temperature=0.7))
    assert not window.pane.header.greedy_button.isChecked()
    assert window.current_id is None and window.sidebar.list.count() == 0
    monkeypatch.setattr(ConversationDialog, "exec", lambda dialog: False)  # cancelled
    window.pane.header.settingsRequested.emit()
    assert window.sidebar.list.count() == 0 and window.store.list_conversations() == []

    def fill(dialog):
        dialog.prompt.setPlainText("You are terse.")
        dialog.sampling.fields["max_tokens"].setValue(7)
        return True

    monkeypatch.setattr(ConversationDialog, "exec", fill)
    window.pane.header.settingsRequested.emit()
    assert window.sidebar.list.count() == 0 and window.store.list_conversations() == []
    window.pane.header.greedy_button.click()
    assert window.sidebar.list.count() == 0 and window.store.list_conversations() == []
    assert window.pane.header.greedy_button.isChecked()

    def shown_again(dialog):  # the pending chat's settings, as set
        assert dialog.prompt.toPlainText() == "You are terse."
        assert dialog.sampling.values()["max_tokens"] == 7
        return False

    monkeypatch.setattr(ConversationDialog, "exec", shown_again)
    window.pane.header.settingsRequested.emit()
    send_and_wait(qtbot, window, "Hi.")  # the chat is made now, with those settings
    assert window.sidebar.list.count() == 1
    conv = window.current()
    assert conv.system_prompt == "You are terse."
    values = window.sampling_values(conv)
    assert values["max_tokens"] == 7 and values["temperature"] == 0.0
    assert conv.messages[-1].record.tokens <= 7


def test_speed_history_says_1_reply_and_its_columns_fit(qtbot, make_window):
    window = make_window()
    send_and_wait(qtbot, window, "Count to five.")
    history = window.show_speed_history()
    qtbot.waitExposed(history)
    panel = history.conversation_panel
    assert panel.summary.text().startswith("1 reply, ")
    table = panel.table
    header = table.horizontalHeader()
    qtbot.wait(20)
    metrics = header.fontMetrics()
    for col in range(table.columnCount()):
        label = table.horizontalHeaderItem(col).text()
        assert header.sectionSize(col) >= metrics.horizontalAdvance(label), label
        assert table.columnViewportPosition(col) + header.sectionSize(col) \
            <= table.viewport().width(), f"column {label} is cut off"
    history.close()


def test_the_reading_line_goes_with_the_first_token(qtbot, make_window, settings_for):
    window = make_window(settings_for(max_tokens=8))
    text = " ".join(f"item {i} is a {['red', 'blue', 'green'][i % 3]} box" for i in range(100))
    shown = []
    window.replies.reading.connect(shown.append)
    assert window.send_message(text + "\nSummarize.")
    qtbot.waitUntil(lambda: window.replies.reply is None or bool(window.replies.reply.text),
                    timeout=REPLY_TIMEOUT_MS)
    assert shown  # the prompt was read in pieces, with a status line
    assert not window.statusBar().currentMessage().startswith("Reading the prompt")
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    assert window.store.messages(window.current_id)[-1].status == COMPLETE


def test_a_reply_stopped_while_reading_says_so(qtbot, make_window, settings_for):
    window = make_window(settings_for(max_tokens=32))
    # not the prompt of the test before: its start would be in the engine's cache, read at once
    text = " ".join(f"crate {i} holds a {['cat', 'dog', 'fox'][i % 3]}" for i in range(110))
    shown = []
    window.replies.reading.connect(shown.append)
    assert window.send_message(text + "\nSummarize.")
    qtbot.waitUntil(lambda: bool(shown) or window.replies.reply is None,
                    timeout=REPLY_TIMEOUT_MS)
    window.replies.stop()  # while the prompt is read
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    reply = window.store.messages(window.current_id)[-1]
    assert reply.status == STOPPED and reply.stats["tokens"] == 0
    details = window.chat.toPlainText()
    assert "stopped before the first token" in details
    assert "0 tokens" not in details and "tok/s" not in details
    assert window.statusBar().currentMessage() == "Stopped before the first token"


def test_mark_drafted_tokens_shows_the_rendered_reply_with_the_drafts_marked(qtbot, make_window,
                                                                           settings_for):
    """Issue 23 item 6: Chat > Mark drafted tokens (Ctrl+D) showed the reply's raw Markdown
    (fences, backticks); it shows the reply rendered, the drafted characters highlighted."""
    import re

    from app.conversation.drafted import drafted_share
    from app.mainwindow.theme import LIGHT
    window = make_window(settings_for(max_tokens=120))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    send_and_wait(qtbot, window, "Repeat this Python code exactly, in a code block, then say "
                  "what `add_all` returns:\n\n```python\n" + CODE + "\n```")
    for _ in range(4):  # the replies repeat code that is in the chat: drafts get accepted
        reply = window.store.messages(window.current_id)[-1]
        spans = reply.stats["drafted_spans"]
        # how much is drafted, and so the text (batch shapes round logits differently),
        # depends on the timings the cost model sees (a busy machine drafts less): asked
        # again until a reply has a code block with its language, inline code and drafts
        block = re.search(r"```(\w+)\n([^\n`]*\w[^\n`]*)\n", reply.content)
        if spans and block and re.search(r"[^`]`[^`]+`[^`]", reply.content):
            break
        send_and_wait(qtbot, window, "Write that code block again, and name `add_all`.")
    else:
        pytest.fail(f"no reply with drafts, a code block and inline code: {reply.content!r}")
    qtbot.keyClick(window.chat, Qt.Key_D, Qt.ControlModifier)  # Chat > Mark drafted tokens
    assert window.chat.show_drafts and window.drafts_action.isChecked()
    shown = bubble_text(window.chat, len(window.store.messages(window.current_id)) - 1)
    assert "`" not in shown, shown  # rendered: no fences, no backticks
    language, first_line = block.groups()
    assert first_line.strip() in shown and language in shown  # the code block, with its label
    share = f"{100 * drafted_share(reply.content, spans):.0f}% of this reply's characters"
    assert share in shown
    html = window.chat.toHtml()
    marked = re.findall(r"background-color:" + LIGHT.draft_bg + r";\">([^<]*)</span>", html)
    legend = [t for t in marked if t.strip("\xa0 ") == "highlighted"]  # the legend's sample
    assert legend and len(marked) > len(legend), html  # drafted text marked in the replies
    drafted = [m.content[s:e] for m in window.store.messages(window.current_id)
               if m.role == "assistant" for s, e in m.stats["drafted_spans"]]
    for text in marked:  # each highlighted piece is (part of) a drafted span
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert text in legend or any(text.strip() in d for d in drafted), (text, drafted)
    qtbot.keyClick(window.chat, Qt.Key_D, Qt.ControlModifier)
    assert not window.chat.show_drafts and LIGHT.draft_bg not in window.chat.toHtml()


def test_markdown_export_fences_each_attachment_in_its_language(qtbot, make_window,
                                                                settings_for, tmp_path,
                                                                monkeypatch):
    """Issue 23 item 10: File > Export as Markdown fenced every attachment as ```text, and a
    fence inside an attachment must not end the export's fence early."""
    from markdown_it import MarkdownIt
    from PySide6.QtWidgets import QFileDialog

    files = {"tool.py": "def f():\n    return '```'  # a fence in a string\n",
             "data.json": '{"a": [1, 2]}\n', "notes.md": "# Notes\n\n````sh\nls\n````\n",
             "table.csv": "a,b\n1,2\n", "page.html": "<html><body><p>Hi</p></body></html>",
             "odd.xyz": "plain words\n"}
    languages = {"tool.py": "python", "data.json": "json", "notes.md": "markdown",
                 "table.csv": "csv", "page.html": "text", "odd.xyz": "text"}  # a page: its text
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    window = make_window(settings_for(max_tokens=4))
    window.composer.tray.attach_paths([str(tmp_path / name) for name in files])
    qtbot.waitUntil(lambda: window.composer.tray.reading == 0
                    and len(window.composer.tray.attachments) == len(files), timeout=20_000)
    send_and_wait(qtbot, window, "Say ok.")
    target = tmp_path / "chat.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.export_conversation(window.current_id, "md")
    stored = {a.name: a.text for a in window.store.messages(window.current_id)[0].attachments}
    fences = [t for t in MarkdownIt("commonmark").parse(target.read_text(encoding="utf-8"))
              if t.type == "fence"]
    # one fence per attachment, in its language, holding the whole text (none closed early)
    assert [(t.info, t.content) for t in fences] == \
        [(languages[name], stored[name].removesuffix("\n") + "\n") for name in files]
    assert stored["tool.py"] == files["tool.py"] and "```" in stored["tool.py"]


def test_open_gguf_and_attach_start_in_the_models_and_last_folders(qtbot, make_window,
                                                                   tmp_path, monkeypatch):
    """Issue 23 item 10: Open GGUF… and Attach… always started in the home folder."""
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    from aded_engine.paths import models_dir
    from app.settings.settings import load_settings, settings_path

    window = make_window()
    window.settings.recent_models = []
    assert window.models.open_folder() == str(models_dir())  # nothing opened yet
    mine = tmp_path / "my models"
    mine.mkdir()
    window.settings.add_recent(str(mine / "a.gguf"))  # the last model opened
    assert window.models.open_folder() == str(mine)
    started = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda _parent, _title, folder, _filter: started.append(folder) or ("", ""))
    window.models.open_file()
    assert started == [str(mine)]
    window.settings.add_recent(str(tmp_path / "gone" / "b.gguf"))  # its folder was removed
    assert window.models.open_folder() == str(models_dir())

    composer = window.composer
    window.settings.attach_folder = ""
    assert composer.attach_folder() == str(Path.home())  # nothing attached yet
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("some words\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda _parent, _title, folder: started.append(folder)
                        or ([str(docs / "a.txt")], ""))
    composer.on_attach()
    qtbot.waitUntil(lambda: len(composer.tray.attachments) == 1, timeout=20_000)
    assert started[-1] == str(Path.home())
    assert composer.attach_folder() == str(docs)  # the next Attach… starts there
    assert load_settings(settings_path()).attach_folder == str(docs)  # and after a restart
    composer.on_attach()
    assert started[-1] == str(docs)
