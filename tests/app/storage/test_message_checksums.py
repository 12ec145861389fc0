"""Issue 22 item 4: random bytes in the file's pages changed a message's text and
``quick_check`` did not notice (the record was still valid). Each message now carries a
checksum of its role and text; a message that does not match is still shown, marked as
damaged, and the user is told once which conversation has it, with what SQLite's
``integrity_check`` then finds."""

from __future__ import annotations

import sqlite3

from app.storage.store import SCHEMA_VERSION, ConversationStore


def _store_with_a_conversation(path):
    store = ConversationStore(path)
    cid = store.create_conversation("Holiday plans")
    store.add_message(cid, "user", "Where should we go in June?")
    reply = store.add_message(cid, "assistant", "", status="partial")
    store.update_message(reply, content="Lisbon: warm, not yet hot.", status="complete")
    store.close()
    return cid, reply


def _change_behind_its_back(path, message_id, text):
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET content = ? WHERE id = ?", (text, message_id))
    db.commit()
    db.close()


def test_a_message_changed_in_the_file_reads_as_damaged(tmp_path):
    path = tmp_path / "conversations.db"
    cid, reply = _store_with_a_conversation(path)
    store = ConversationStore(path)
    assert not any(m.damaged for m in store.messages(cid))  # written and updated: they match
    store.close()
    _change_behind_its_back(path, reply, "Lisbon: warm, not yet hoT.")
    store = ConversationStore(path)
    try:
        messages = store.messages(cid)
        assert [m.damaged for m in messages] == [False, True]
        assert messages[1].content == "Lisbon: warm, not yet hoT."  # still shown
    finally:
        store.close()


def test_files_from_before_checksums_open_and_get_them(tmp_path):
    path = tmp_path / "conversations.db"
    cid, reply = _store_with_a_conversation(path)
    db = sqlite3.connect(path)  # the file as the previous version left it
    db.execute("ALTER TABLE messages DROP COLUMN checksum")
    db.execute("DELETE FROM schema_version WHERE version = ?", (SCHEMA_VERSION,))
    db.commit()
    db.close()
    store = ConversationStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert not any(m.damaged for m in store.messages(cid))
    store.close()
    _change_behind_its_back(path, reply, "changed")
    store = ConversationStore(path)
    assert [m.damaged for m in store.messages(cid)] == [False, True]
    store.close()


def test_the_window_marks_the_message_and_tells_once(make_window, tmp_path):
    path = tmp_path / "conversations.db"
    cid, reply = _store_with_a_conversation(path)
    _change_behind_its_back(path, reply, "Lisbon: warm, not yet hoT.")
    window = make_window()  # opens the file as the app does
    window.show_conversation(window.store.get_conversation(cid))
    told = window.statusBar().currentMessage()
    assert "“Holiday plans” has a damaged message" in told
    assert "SQLite's integrity check of the file: ok." in told  # once a reading failed
    assert "damaged: this text is not what was saved" in window.chat.toPlainText()
    window.statusBar().clearMessage()
    window.show_conversation(window.store.get_conversation(cid))
    assert window.statusBar().currentMessage() == ""  # told once
