"""Issue 22 item 7 (a): a 100 MB message (typed or pasted) cost 3.6 GB of memory: the
message box's document, the token count, the transcript, the store and the engine each
copied it. Text over the limit is refused before any of them takes it, with a notice that
says to attach it as a document."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from app.reply.limits import MAX_MESSAGE_CHARS

HUGE = "x" * (MAX_MESSAGE_CHARS + 1)


def test_a_paste_over_the_limit_is_refused_before_the_box_takes_it(window, qtbot):
    mime = QMimeData()
    mime.setText(HUGE)
    window.composer.edit.insertFromMimeData(mime)
    assert window.composer.edit.document().characterCount() == 1  # still empty
    notice = window.composer.notice
    assert notice.isVisibleTo(window) and "attach it as a document" in notice.text()
    mime.setText("a question that fits")
    window.composer.edit.insertFromMimeData(mime)
    assert window.composer.edit.toPlainText() == "a question that fits"


def test_a_message_over_the_limit_is_not_stored_rendered_or_sent(window, qtbot):
    renders = []
    window.chat.set_messages = lambda *a, **k: renders.append(a)  # would render the bubble
    assert not window.send_message(HUGE)
    assert window.replies.reply is None and not renders
    assert window.store.list_conversations() == []  # nothing stored
    assert "attach it as a document" in window.statusBar().currentMessage()
