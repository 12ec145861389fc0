"""Conversations files of ours, damaged as a broken disk or a hostile hand would leave them
while SQLite's ``quick_check`` still passes (issue 22 item 3), and write-ahead logs a crash
left, then damaged (item 4). Shared by the store's tests (tests/app/storage/) and the fault
suite (tests/faults/), which starts the real app on them."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from app.attachments.attachments import Attachment
from app.storage.store import DB_NAME, ConversationStore

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


# --- a crash's write-ahead log ------------------------------------------------------------
# The log: a 32-byte header, then frames of a 24-byte header (page number, commit mark,
# salt-1, salt-2, checksum-1, checksum-2) and one page (app/storage/wal_check.py).
LOG_HEADER, FRAME_HEADER = 32, 24
CRASHED = {"kept": ["read this", "done reading"], "later": ["question", "answer"]}


def crashed(live: Path, out: Path) -> dict[str, int]:
    """The conversations of CRASHED written through the store, then the database and its log
    copied into ``out`` while the store still holds them, as a crash (no checkpoint, no
    close) leaves them: every commit is in the log. Returns the offset in the log of each
    commit's first frame: "create kept", "read this", ..., "create later", ..."""
    store = ConversationStore(live / DB_NAME)
    while store.scrubber.pending:  # its first checkpoint at open would empty the log
        time.sleep(0.01)
    log = Path(f"{live / DB_NAME}-wal")
    first: dict[str, int] = {}
    for title, texts in CRASHED.items():
        first[f"create {title}"] = max(log.stat().st_size, LOG_HEADER)
        cid = store.create_conversation(title)
        for role, text in zip(("user", "assistant"), texts):
            first[text] = log.stat().st_size
            store.add_message(cid, role, text)
    out.mkdir(parents=True, exist_ok=True)
    for side in ("", "-wal", "-shm"):
        shutil.copyfile(f"{live / DB_NAME}{side}", out / f"{DB_NAME}{side}")
    store.close()
    return first


def damage_log(log: Path, kind: str, at: int) -> None:
    """Damage the frame at offset ``at`` of ``log``: "flip" a byte in the middle of its page,
    zero its "salt" or its "checksum", "cut" the file inside its page, or damage the log's
    "header" (``at`` unused)."""
    data = bytearray(log.read_bytes())
    page = int.from_bytes(data[8:12], "big")
    if kind == "flip":
        data[at + FRAME_HEADER + page // 2] ^= 0xFF
    elif kind == "salt":
        data[at + 8:at + 16] = bytes(8)
    elif kind == "checksum":
        data[at + 16:at + 24] = bytes(8)
    elif kind == "cut":
        del data[at + FRAME_HEADER + page // 3:]
    elif kind == "header":
        data[24] ^= 0xFF  # its checksum
    log.write_bytes(bytes(data))
