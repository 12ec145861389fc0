"""Conversations files of ours, damaged as a broken disk or a hostile hand would leave them
while SQLite's ``quick_check`` still passes (issue 22 item 3). Shared by the store's tests
(tests/app/storage/) and the fault suite (tests/faults/), which starts the real app on them."""

from __future__ import annotations

import sqlite3

from app.attachments.attachments import Attachment
from app.storage.store import ConversationStore

DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads
STATS = {"tokens": 12, "seconds": 1.5, "drafted_spans": [[0, 3], [5, 9]]}


def make_ours(path):
    """Two conversations of ours: "kept" has a user message with a PDF attached and a reply
    with statistics, "other" one message."""
    store = ConversationStore(path)
    kept = store.create_conversation("kept", sampling={"temperature": 0.3})
    store.add_message(kept, "user", "read this", attachments=[
        Attachment("paper.pdf", "pdf", 100, "page one page two", 5, page_starts=(0, 9))])
    store.add_message(kept, "assistant", "done reading", stats=STATS, model="m.gguf")
    other = store.create_conversation("other")
    store.add_message(other, "user", "hello")
    store.close()
    return kept, other


def damage(path, *statements):
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


SCHEMA_DAMAGE = {
    "schema_version 'abc'": (["UPDATE schema_version SET version = 'abc'"],
                             "its schema version 'abc' is not a number"),
    "schema_version -5": (["DELETE FROM schema_version", "INSERT INTO schema_version VALUES (-5)"],
                          "its schema version -5 is not one ADED Chat writes"),
    "a missing column": (["ALTER TABLE messages DROP COLUMN model"],
                         "the table messages has no column model"),
    "a missing table": (["DROP TABLE attachments"], "the table attachments is missing"),
    "a view where a table belongs": (
        ["ALTER TABLE attachments RENAME TO kept_attachments",
         "CREATE VIEW attachments AS SELECT * FROM kept_attachments"],
        "attachments is a view where a table belongs"),
    "schema_version a view": (
        ["ALTER TABLE schema_version RENAME TO old_versions",
         "CREATE VIEW schema_version AS SELECT * FROM old_versions"],
        "schema_version is a view where a table belongs"),
    "a key that is not the integer key": (
        ["ALTER TABLE conversations RENAME TO old", "CREATE TABLE conversations (id TEXT, "
         "title, created, updated, system_prompt, sampling)",
         "INSERT INTO conversations SELECT * FROM old", "DROP TABLE old"],
        "the column conversations.id is not its INTEGER key"),
    "a column of a later version": (
        ["DELETE FROM schema_version WHERE version > 3"],  # messages still has 'prompt'
        "the table messages has a column prompt that its schema version 3 does not have"),
    "a table of a later version": (
        ["DELETE FROM schema_version WHERE version > 0"],
        "it has a table conversations that its schema version 0 does not have"),
}
