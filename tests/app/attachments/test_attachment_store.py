"""Attachments in the conversation store (real SQLite): stored with their message, read back
tolerantly, exported, erased from the file with the conversation."""

from __future__ import annotations

import json

from app.attachments.attachments import Attachment, attachment_from_text
from app.storage.store import ConversationStore

SECRET = "marmot-harbour-3390"


def stored(store: ConversationStore, *attachments: Attachment) -> int:
    cid = store.create_conversation("docs")
    store.add_message(cid, "user", "Summarize it.", attachments=list(attachments))
    store.add_message(cid, "assistant", "A summary.", stats={"tokens": 2})
    return cid


def test_attachments_are_stored_with_their_message_and_read_back(store):
    pdf = Attachment("report.pdf", "pdf", 12_345, "page one\n\npage two", 7, page_starts=(0, 10))
    note = attachment_from_text("pasted words")
    cid = stored(store, pdf, note)
    assert pdf.id and note.id and pdf.id != note.id  # ids set in the same transaction
    user, reply = store.messages(cid)
    assert user.attachments == [pdf, note] and reply.attachments == []
    assert note.name == "Pasted text.txt" and note.size == len(b"pasted words")
    assert user.attachments[0].label() == "report.pdf · 12 KB · 7 tokens"
    assert user.prompt is None  # until the engine says what the model was given
    store.set_prompt(user.id, "[Document: report.pdf]\n...\nSummarize it.")
    conv = store.get_conversation(cid)
    assert conv.chat_messages()[0]["content"].startswith("[Document: report.pdf]")
    assert conv.messages[0].content == "Summarize it."  # shown and edited as typed


def test_a_broken_attachment_row_is_read_as_well_as_it_can_be(store):
    cid = stored(store, Attachment("a.txt", "text", 3, "abc"))
    store.db.execute("UPDATE attachments SET page_starts = 'not json', tokens = 'x', "
                     "size = 'big', name = ''")
    (a,) = store.messages(cid)[0].attachments
    assert (a.name, a.size, a.tokens, a.page_starts, a.text) == ("attachment", 0, None, (), "abc")


def test_exports_hold_the_attachment_text(store):
    text = f"Code:\n```python\nprint('{SECRET}')\n```\n"  # a fence inside: the export's is longer
    cid = stored(store, Attachment("notes.md", "markdown", 40, text, 12))
    md = store.export_markdown(cid)
    assert "### Attachment: notes.md · 40 B · 12 tokens" in md
    assert f"````markdown\n{text}````" in md  # fenced in its own language (issue 23 item 10)
    data = json.loads(store.export_json(cid))
    (exported,) = data["messages"][0]["attachments"]
    assert exported == {"name": "notes.md", "kind": "markdown", "size": 40, "tokens": 12,
                        "page_starts": [], "text": text}


def test_deleting_the_conversation_erases_the_attachment_text_from_the_files(tmp_path):
    path = tmp_path / "c.db"
    store = ConversationStore(path)
    keep = stored(store, Attachment("keep.txt", "text", 4, "kept"))
    gone = stored(store, Attachment("secret.txt", "text", 999, f"the word is {SECRET} " * 50))
    store.delete_conversation(gone)
    scrubber = getattr(store, "scrubber", None)
    if scrubber is not None:  # the WAL is checkpointed on its own thread
        from app.engine.wait import wait_until
        assert wait_until(lambda: not scrubber.pending, 20)
    assert store.db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1
    for f in tmp_path.iterdir():
        assert SECRET.encode() not in f.read_bytes(), f.name
    assert [a.text for a in store.messages(keep)[0].attachments] == ["kept"]
    store.close()
