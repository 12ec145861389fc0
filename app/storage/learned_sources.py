"""What the learned tables learned from the conversations, by message (aded_engine/provenance.py).

A reply that a table learns is recorded there, with its user message, as the source
``chat:<message id>:<created>`` (ids are never reused in one database; the creation time
tells a message of this database from one of a file set aside before it). The tables keep
what the database still holds: after a delete, and at every start (a forget that a crash or
a kill left undone), the worker forgets every chat source whose message is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import rows

PREFIX = "chat:"


def source_id(message_id: int, created: float) -> str:
    return f"{PREFIX}{message_id}:{created!r}"


def reply_source(store, message_id: int) -> str:
    """The source a reply row is learned as."""
    row = store.db.execute("SELECT created FROM messages WHERE id = ?", (message_id,)).fetchone()
    return source_id(message_id, _created(row[0]) if row else 0.0)


@dataclass(frozen=True)
class KeepStoredMessages:
    """``keep(source)`` for forgetting: True for sources the conversations do not own (an
    imported document, the CLI's), for messages in the database when it was read, and for
    messages newer than that (another instance's, written since)."""

    stored: frozenset[str]
    newest_id: int

    def __call__(self, source: str) -> bool:
        if not source.startswith(PREFIX) or source in self.stored:
            return True
        try:
            return int(source[len(PREFIX):].split(":", 1)[0]) > self.newest_id
        except ValueError:
            return False  # not a source this program wrote: it cannot be a message's


def keep_stored(store) -> KeepStoredMessages:
    """The rule for the database as it is now: its messages' ids and creation times, and
    the largest id it ever gave (AUTOINCREMENT's record: a deleted newest message counts)."""
    found = store.db.execute("SELECT id, created FROM messages").fetchall()
    seq = store.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").fetchone()
    return KeepStoredMessages(frozenset(source_id(int(i), _created(c)) for i, c in found),
                              rows.whole(seq[0]) if seq else 0)


def _created(value) -> float:
    return rows.number(value)  # the store reads it so too (app/storage/rows.py)
