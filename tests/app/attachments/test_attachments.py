"""Documents in the conversation, end to end with the real demo model, a real SQLite file and
real files made here (a text file, a PDF written with pypdf): attach by the button's path,
by a drop and by a paste; bad files; ask about a document; the chips; export; erase on
delete; the live token count and the offers for a message that does not fit."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox

from aded_engine.documents import message_tokens
from app.attachments.chips import Chip
from app.attachments.document_prompt import as_document

REPLY_TIMEOUT_MS = 120_000
COUNT_TIMEOUT_MS = 30_000
MARKER = "quokka-lantern-5821"  # in the documents only: found in the files means not erased


def write_pdf(path, pages: list[str]) -> None:
    """A real PDF with a text layer: one Helvetica line per page."""
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for text in pages:
        page = writer.add_blank_page(612, 792)
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): font})})
    with open(path, "wb") as f:
        writer.write(f)


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(f"Meeting notes.\n\nThe code word for the launch is {MARKER}.\n"
                    "The launch is on Friday at noon.\n", encoding="utf-8")
    return path


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "report.pdf"
    write_pdf(path, ["The audit found three unpaid invoices.", "Page two lists the owners."])
    return path


def read(qtbot, tray) -> None:
    """Wait until the files given to the tray were read (on their own thread)."""
    qtbot.waitUntil(lambda: not tray.reading, timeout=COUNT_TIMEOUT_MS)


def counted(qtbot, window):
    """The budget line's count, once the engine thread answered."""
    qtbot.waitUntil(lambda: window.composer.budget.count is not None, timeout=COUNT_TIMEOUT_MS)
    return window.composer.budget.count


def test_button_path_attaches_a_text_file_and_a_pdf_as_chips_with_tokens(qtbot, window, notes,
                                                                        report):
    tray = window.composer.tray
    assert tray.isHidden()
    tray.attach_paths([notes, report])
    assert tray.reading and tray.isVisible()  # the window goes on while the files are read
    assert tray.reading_label.text() == "Reading notes.txt, report.pdf…"
    window.composer.edit.setPlainText("too early")
    window.composer.on_submit()
    assert "Still reading" in window.composer.notice.text()
    assert window.store.list_conversations() == []  # not sent without its attachments
    read(qtbot, tray)
    assert tray.reading_label.isHidden()
    assert [a.name for a in tray.attachments] == ["notes.txt", "report.pdf"]
    assert [a.kind for a in tray.attachments] == ["text", "pdf"]
    assert "three unpaid invoices" in tray.attachments[1].text
    assert tray.attachments[1].page_starts and len(tray.attachments[1].page_starts) == 2
    assert tray.isVisible() and len(tray.chips) == 2
    window.composer.edit.setPlainText("What did the audit find?")
    count = counted(qtbot, window)
    assert len(count.attachment_tokens) == 2 and all(n > 5 for n in count.attachment_tokens)
    assert count.message_tokens > sum(count.attachment_tokens)  # the question and template too
    # each document is counted once; the sum is the message as it will be sent, or nearly
    exact = message_tokens(window.client.worker.session, [], "What did the audit find?",
                           [as_document(a) for a in tray.attachments],
                           window.settings.max_tokens).message
    assert abs(count.message_tokens - exact) <= 2
    label = tray.chips[0].button.text()
    assert label.startswith("notes.txt · ") and label.endswith(" tokens")
    assert f"{count.message_tokens:,} tokens" in window.composer.budget.label.text()
    assert not count.too_long and not window.composer.budget.blocks_send()
    tray.open(1)  # the chip's label: what the model is given
    assert "three unpaid invoices" in tray.dialog.text.toPlainText()
    tray.chips[0].removed.emit()  # the chip's ×
    assert [a.name for a in tray.attachments] == ["report.pdf"]
    assert len(tray.findChildren(Chip)) == 1


def test_a_drop_attaches_and_bad_files_get_a_message_and_change_nothing(qtbot, window, notes,
                                                                       tmp_path, drop_files):
    composer = window.composer
    composer.edit.setPlainText("draft question")
    drop_files(window, [notes])
    read(qtbot, composer.tray)
    assert [a.name for a in composer.tray.attachments] == ["notes.txt"]
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "data.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    for bad in (image, empty, binary):
        drop_files(window, [bad])
        read(qtbot, composer.tray)
        assert composer.notice.isVisible()
        assert bad.name in composer.notice.text()
        assert [a.name for a in composer.tray.attachments] == ["notes.txt"]  # unchanged
        assert composer.edit.toPlainText() == "draft question"
    assert "image" in composer.notice.text().lower() or "binary" in composer.notice.text()
    assert window.store.list_conversations() == []


def test_a_paste_of_files_attaches_them_instead_of_typing_their_urls(qtbot, window, notes,
                                                                    report):
    composer, clipboard = window.composer, QApplication.clipboard()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    assert composer.edit.canInsertFromMimeData(mime)
    clipboard.setMimeData(mime)  # as a file manager's Copy leaves it
    composer.edit.paste()  # what Ctrl+V does
    read(qtbot, composer.tray)
    data = QMimeData()  # a file pasted as data, without a path
    data.setData("application/pdf", report.read_bytes())
    clipboard.setMimeData(data)
    composer.edit.paste()
    read(qtbot, composer.tray)
    assert [a.name for a in composer.tray.attachments] == ["notes.txt", "Pasted file.pdf"]
    assert "three unpaid invoices" in composer.tray.attachments[1].text
    assert composer.edit.toPlainText() == ""
    clipboard.setText("just words")
    composer.edit.paste()  # plain text is typed in as before
    assert composer.edit.toPlainText() == "just words"
    assert len(composer.tray.attachments) == 2


def test_attach_ask_reply_then_chip_export_and_delete_erases_the_text_from_the_file(
        qtbot, window, notes, tmp_path, monkeypatch):
    window.composer.tray.attach_paths([notes])
    read(qtbot, window.composer.tray)
    window.composer.edit.setPlainText("What is the code word for the launch?")
    window.composer.on_submit()  # what Enter does
    assert window.replies.reply is not None
    assert not window.composer.tray.attachments  # sent with the message
    window.composer.edit.setPlainText("And when is the launch?")  # typed during the reply
    window.budget.count_now()  # (the pause in typing)
    assert window.composer.budget.label.text().startswith("Tokens are counted when the reply")
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.composer.budget.count is not None, timeout=COUNT_TIMEOUT_MS)
    assert window.composer.budget.count.history_tokens > 0  # the document is in the history now

    user, reply = window.store.messages(window.current_id)
    assert [a.name for a in user.attachments] == ["notes.txt"]
    assert MARKER in user.attachments[0].text
    assert user.content == "What is the code word for the launch?"
    assert MARKER in user.prompt and user.prompt.endswith(user.content)  # what the model read
    assert reply.content.strip() and reply.record.documents.startswith(
        "From the documents: notes.txt")
    shown = window.chat.toPlainText()
    assert "notes.txt · " in shown and "From the documents: notes.txt" in shown
    dialog = window.chat.open_document(0, 0)
    assert MARKER in dialog.text.toPlainText()
    # the drafter learned the whole document (its n-grams), not only what the prompt held
    session = window.client.worker.session
    assert session.learned.documents is not None and session.learned.documents.tokens > 10

    md = window.store.export_markdown(window.current_id)
    assert "### Attachment: notes.txt" in md and MARKER in md
    data = json.loads(window.store.export_json(window.current_id))
    assert MARKER in data["messages"][0]["attachments"][0]["text"]

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert window.delete_conversation(window.current_id)
    scrubber = getattr(window.store, "scrubber", None)
    if scrubber is not None:  # the WAL is checkpointed off the window's thread
        qtbot.waitUntil(lambda: not scrubber.pending, timeout=20_000)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.db")]
    assert files
    for f in files:
        assert MARKER.encode() not in f.read_bytes(), f.name


def long_text(words: int) -> str:
    return " ".join(f"word{i % 97} and some more plain text" for i in range(words // 6))


def test_the_counter_says_too_long_and_its_offers_cut_or_attach_then_use_parts(qtbot, window):
    composer, budget = window.composer, window.composer.budget
    composer.edit.setPlainText("Hello there")
    small = counted(qtbot, window)
    assert not small.too_long and "left of 1,024" in budget.label.text()

    composer.edit.setPlainText(long_text(1500))  # about 2,000 tokens: the context holds 1,024
    qtbot.waitUntil(lambda: budget.count is not None and budget.count.too_long,
                    timeout=COUNT_TIMEOUT_MS)
    count = budget.count
    assert budget.label.text().startswith("Too long")
    assert count.context_needed >= 2048 and budget.raise_button.isVisible()
    assert f"{count.context_needed:,}" in budget.raise_button.text()
    assert budget.cut_button.isVisible() and budget.attach_button.isVisible()
    assert not budget.parts_button.isVisible()  # no attachment yet
    composer.on_submit()  # refused before sending: nothing is stored
    assert window.replies.reply is None and window.store.list_conversations() == []

    budget.cut_button.click()
    qtbot.waitUntil(lambda: budget.count is not None and not budget.count.too_long
                    and budget.count.request_id > count.request_id, timeout=COUNT_TIMEOUT_MS)
    cut = composer.edit.toPlainText()
    assert 0 < len(cut) == count.cut_chars

    composer.edit.setPlainText(long_text(1500))
    qtbot.waitUntil(lambda: budget.count is not None and budget.count.too_long,
                    timeout=COUNT_TIMEOUT_MS)
    budget.attach_button.click()
    assert [a.name for a in composer.tray.attachments] == ["Pasted text.txt"]
    composer.edit.setPlainText("Summarize word7.")
    qtbot.waitUntil(lambda: budget.count is not None and budget.count.too_long
                    and budget.count.attachments == 1, timeout=COUNT_TIMEOUT_MS)
    assert budget.parts_button.isVisible() and not budget.cut_button.isVisible()
    budget.parts_button.click()  # send with the best-matching parts
    assert window.replies.reply is not None
    qtbot.waitUntil(lambda: window.replies.reply is None, timeout=REPLY_TIMEOUT_MS)
    user, reply = window.store.messages(window.current_id)
    assert [a.name for a in user.attachments] == ["Pasted text.txt"]
    assert "the whole did not fit" in reply.record.documents
    assert "[Excerpt: Pasted text.txt, part " in user.prompt


def test_raise_the_context_reloads_the_model_with_a_context_that_fits(qtbot, window):
    """Last in the module: it reloads the shared model with a larger context."""
    budget = window.composer.budget
    window.composer.edit.setPlainText(long_text(1500))
    qtbot.waitUntil(lambda: budget.count is not None and budget.count.too_long,
                    timeout=COUNT_TIMEOUT_MS)
    needed = budget.count.context_needed
    assert budget.raise_button.isEnabled(), budget.raise_button.toolTip()
    assert "MB" in budget.raise_button.toolTip()  # the memory estimate is shown
    budget.raise_button.click()
    assert window.settings.n_ctx == needed
    qtbot.waitUntil(lambda: window.client.info is not None and window.client.info["n_ctx"]
                    == needed, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: budget.count is not None and not budget.count.too_long,
                    timeout=COUNT_TIMEOUT_MS)
    assert f"left of {needed:,}" in budget.label.text()
