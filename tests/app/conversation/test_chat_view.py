from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from app.conversation.chat_view import FLUSH_MS, ChatView
from app.speed.meter import NOT_ENOUGH
from app.storage.store import COMPLETE, PARTIAL, STOPPED, Message

REPLY = "Here you go:\n\n```python\nprint('hi')\n```\n\nDone."


def test_streamed_text_is_drawn_in_batches(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    view.set_messages([Message(1, "user", "hello"), Message(2, "assistant", "", PARTIAL)],
                      busy=True)
    text = ""
    for i in range(300):  # 300 token updates arrive at once
        text += f"w{i} "
        view.show_partial(text)
    qtbot.wait(3 * FLUSH_MS)
    assert view.messages[-1].content.startswith("w0 w1") and "w299" in view.toPlainText()
    assert 1 <= view.renders <= 3  # a handful of redraws, not 300
    view.end_reply(text, STOPPED, {"tokens": 300, "finish_reason": "cancelled"})
    text = view.toPlainText()
    assert "stopped" in text and "hello" in text and "w299" in text


def test_user_and_assistant_are_set_apart_and_code_can_be_copied(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    copied = []
    view.copied.connect(copied.append)
    view.set_messages([Message(1, "user", "code please"),
                       Message(2, "assistant", REPLY, COMPLETE, {"tokens": 9, "speedup": None})])
    html = view.toHtml()
    assert "You" in view.toPlainText() and "Assistant" in view.toPlainText()
    assert "#e8f0fe" in html  # the user's background
    view.on_anchor(QUrl("act:copycode:1:0"))
    assert QGuiApplication.clipboard().text() == "print('hi')" == copied[-1]
    view.on_anchor(QUrl("act:copymsg:1"))
    assert QGuiApplication.clipboard().text() == REPLY
    edits = []
    view.editRequested.connect(edits.append)
    view.on_anchor(QUrl("act:edit:0"))
    assert edits == [0]
    assert "speedup: " + NOT_ENOUGH in view.toPlainText()


def test_drafted_tokens_are_marked_only_in_that_view(qtbot):
    from app.conversation.drafted import drafted_html, extend_spans
    from app.mainwindow.theme import LIGHT

    DRAFT_BG = LIGHT.draft_bg

    spans: list[list[int]] = []
    extend_spans(spans, 0, [("Hel", False), ("lo", True), (" wor", True), ("ld", False)])
    extend_spans(spans, 11, [("!", True)])
    assert spans == [[3, 9], [11, 12]]
    assert drafted_html("a<b", [[1, 99]]).count(DRAFT_BG) == 2  # the span and the legend
    assert "&lt;b</span>" in drafted_html("a<b", [[1, 99]])  # clipped to the text, escaped

    view = ChatView()
    qtbot.addWidget(view)
    reply = Message(2, "assistant", "Hello world!", COMPLETE,
                    {"tokens": 4, "drafted_spans": spans})
    view.set_messages([Message(1, "user", "hi"), reply])
    assert DRAFT_BG not in view.toHtml()
    view.set_show_drafts(True)
    assert DRAFT_BG in view.toHtml() and "58% of this reply's characters" in view.toPlainText()
    view.set_show_drafts(False)
    assert DRAFT_BG not in view.toHtml()


def test_a_huge_message_shows_its_beginning_and_copies_whole(qtbot):
    from app.conversation.chat_view import DISPLAY_LIMIT

    view = ChatView()
    qtbot.addWidget(view)
    huge = "".join(f"line {i} ✓ مرحبا 你好\n" for i in range(40_000))  # ~1 MB
    view.set_messages([Message(1, "user", huge)])
    shown = view.toPlainText()
    assert len(shown) < DISPLAY_LIMIT + 500 and "more characters not shown" in shown
    view.on_anchor(QUrl("act:copymsg:0"))
    assert QGuiApplication.clipboard().text() == huge


def test_dark_system_theme_gives_a_dark_transcript(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from app.mainwindow.theme import DARK, LIGHT

    view = ChatView()
    qtbot.addWidget(view)
    view.set_messages([Message(1, "user", "code please"),
                       Message(2, "assistant", REPLY, COMPLETE, {"tokens": 9})])
    assert LIGHT.user_bg in view.toHtml()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.Base, QColor("#1b1d22"))
    dark.setColor(QPalette.Text, QColor("#e5e7eb"))
    view.setPalette(dark)  # what a system switch to dark mode does
    html = view.toHtml()
    assert DARK.user_bg in html and DARK.code_bg in html and LIGHT.user_bg not in html


def test_a_reply_with_versions_shows_and_switches_them(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    steps = []
    view.versionRequested.connect(lambda i, s: steps.append((i, s)))
    view.set_messages([Message(1, "user", "q"),
                       Message(3, "assistant", "second", COMPLETE, version=2, versions=3)])
    html = view.toHtml()
    assert "2/3" in view.toPlainText()
    assert 'href="act:version:1:-1"' in html and 'href="act:version:1:1"' in html
    view.on_anchor(QUrl("act:version:1:1"))
    assert steps == [(1, 1)]
    view.set_messages(view.messages, busy=True)  # while a reply streams: shown, not a link
    assert "2/3" in view.toPlainText() and "act:version" not in view.toHtml()


def test_the_transcript_is_one_tab_stop_and_its_links_are_in_a_context_menu(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    box = QWidget()
    qtbot.addWidget(box)
    before, view, after = QLineEdit(), ChatView(), QLineEdit()
    column = QVBoxLayout(box)
    for w in (before, view, after):
        column.addWidget(w)
    long = [Message(i, "user" if i % 2 else "assistant", REPLY, COMPLETE) for i in range(1, 31)]
    view.set_messages(long)
    box.resize(500, 400)
    with qtbot.waitActive(box):
        box.show()
        box.activateWindow()
    bottom = view.verticalScrollBar().value()
    assert bottom > 0  # shown at its end
    before.setFocus()
    qtbot.keyClick(before, Qt.Key_Tab)
    assert view.hasFocus()
    qtbot.keyClick(view, Qt.Key_Tab)  # out again: not to the first of ~60 links
    assert after.hasFocus()
    assert view.verticalScrollBar().value() == bottom  # and not scrolled to the top
    # the keyboard's context menu acts on the message at the caret: the last one
    last = view.message_at(view.textCursor().position())
    assert last == len(long) - 1
    labels = [label for label, _ in view.menu_actions(last)]
    assert labels == ["Copy message", "Regenerate", "Copy code block 1 (python)"]
    assert [label for label, _ in view.menu_actions(0)] == ["Copy message", "Edit",
                                                           "Copy code block 1 (python)"]


def test_drafted_marks_never_break_the_markdown_around_them():
    """Issue 23 item 6: the drafted view renders the Markdown; a span that starts or ends
    inside a fence's backticks, a ``**`` or a list bullet is moved off the syntax."""
    from app.conversation.drafted import drafted_html, marked_source
    from app.conversation.markdown import DRAFT_CLOSE, DRAFT_OPEN
    from app.mainwindow.theme import LIGHT

    text = "Use **`f`** here:\n\n```python\nx = a < b\n```\n\n- one\n- two"
    fence = text.index("```")
    spans = [[5, 8], [fence + 1, fence + 14], [text.index("- two"), len(text)]]
    marked = marked_source(text, spans)
    for mark in (DRAFT_OPEN, DRAFT_CLOSE):
        for line in marked.split("\n"):
            assert not (mark in line and "```" in line), marked  # fence lines left whole
    assert "\n- " + DRAFT_OPEN + "two" in marked  # after the bullet
    rendered = drafted_html(text, spans)
    assert "```" not in rendered and "<strong>" in rendered and "<li>" in rendered
    assert f"background-color:{LIGHT.draft_bg};\">x </span>" in rendered  # inside the code
    assert "&lt;" in rendered and DRAFT_OPEN not in rendered and DRAFT_CLOSE not in rendered
    share = sum(e - s for s, e in spans) / len(text)
    assert f"{100 * share:.0f}% of this reply's characters" in rendered
