"""Conversations on disk: one SQLite file in WAL mode under the user data folder.

Rules this module keeps:

* every write is committed at once: the user's message before generation starts, the reply
  while it streams (the window throttles those updates), so a crash loses at most a moment;
* reading is tolerant: a row with broken text, JSON or fields is shown as well as it can be,
  and never hides the rest of its conversation (every column is read through
  app/storage/rows.py); what cannot be read safely, the schema itself (its version, its
  tables and columns), is checked before the file is opened (app/storage/check.py) and
  offered to be moved aside at start (app/storage/dialog.py);
* nothing is lost without a word: a write-ahead log SQLite would replay only in part is
  read first (app/storage/wal_check.py) and the file kept as it was, a message's checksum is
  compared as it is read, and the user is told (``notices``, ``integrity``);
* deleting really removes the text from the file (``secure_delete`` overwrites freed pages,
  then the WAL is checkpointed and truncated, then the file is vacuumed);
* two running instances may share the file (WAL + ``busy_timeout``);
* every write goes through ``_writing()``: one transaction, rolled back on any exception, so
  a failed write can never leave the connection inside a transaction (issue 22 item 2: after
  one, every later write failed with "cannot start a transaction within a transaction");
* text that is not valid Unicode (a lone surrogate, which UTF-8 cannot encode) is repaired
  (U+FFFD) before it is written: documents are repaired, and the user told, where they are
  read (aded_engine/documents/extract.py); this is the last line for any other text.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from aded_engine.reply_record import ReplyRecord
from aded_engine.text_check import repair_text

from ..attachments.attachments import Attachment
from . import rows
from .check import DatabaseProblem, check_database, damaged, set_aside
from .scrubber import Scrubber, checkpoint
from .versions import Node, shown_path, sibling_step, siblings, subtree
from .wal_check import WalDamage, check_wal

DB_NAME = "conversations.db"
ROLES = ("system", "user", "assistant")
# message status: how a message ended
PARTIAL, STOPPED, COMPLETE, ERROR = "partial", "stopped", "complete", "error"
INTERRUPTED = "interrupted"  # partial when the program ended (``mark_interrupted``)
STATUSES = (PARTIAL, STOPPED, COMPLETE, ERROR, INTERRUPTED)
NEW_TITLE = "New chat"  # until the first message names the conversation


@dataclass
class Message:
    id: int
    role: str
    content: str
    status: str = COMPLETE
    stats: dict | None = None
    created: float = 0.0
    model: str | None = None  # file name of the model that wrote a reply (None: unknown)
    attachments: list[Attachment] = field(default_factory=list)  # documents sent with it
    parent_id: int | None = None  # the message it follows (app/storage/versions.py)
    version: int = 1  # its place among the versions of this turn, oldest first
    versions: int = 1  # how many versions the turn has (regenerated replies, edits)
    prompt: str | None = None  # a message with documents: the text the model was given
    damaged: bool = False  # its text is not what was saved (its checksum does not match)

    @property
    def record(self) -> ReplyRecord:
        """A reply's statistics, typed (``stats`` is its row's JSON, as stored)."""
        return ReplyRecord.from_json(self.stats)


@dataclass
class Conversation:
    id: int
    title: str
    created: float
    updated: float
    system_prompt: str = ""
    sampling: dict = field(default_factory=dict)  # overrides of the default sampling settings
    messages: list[Message] = field(default_factory=list)

    def chat_messages(self) -> list[dict]:
        """The conversation as the engine wants it: system prompt first, known roles only."""
        out = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        out += [{"role": m.role, "content": m.prompt or m.content} for m in self.messages
                if m.role in ("user", "assistant") and m.content]
        return out


@dataclass
class ConversationSummary:
    id: int
    title: str
    updated: float


@dataclass
class ReplySpeed:
    """One finished reply's measured statistics."""
    message_id: int
    conversation_id: int
    conversation_title: str
    created: float
    model: str | None
    stats: dict  # the row's JSON, as stored

    @property
    def record(self) -> ReplyRecord:
        return ReplyRecord.from_json(self.stats)


# --- schema and migrations --------------------------------------------------------------
# Each migration takes the database from version i to i + 1; they only ever get appended.

def _run(db: sqlite3.Connection, script: str) -> None:
    """Statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _run(db, """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids order messages
            title TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            updated REAL NOT NULL);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids order messages
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL);
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """)


def _v2(db: sqlite3.Connection) -> None:
    """Per-conversation system prompt and sampling; reply status and statistics."""
    _run(db, """
        ALTER TABLE conversations ADD COLUMN system_prompt TEXT NOT NULL DEFAULT '';
        ALTER TABLE conversations ADD COLUMN sampling TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'complete';
        ALTER TABLE messages ADD COLUMN stats TEXT;
    """)


def _v3(db: sqlite3.Connection) -> None:
    """Which model wrote each reply (the speed history per model); unknown for old rows."""
    _run(db, "ALTER TABLE messages ADD COLUMN model TEXT")


def _documents(db: sqlite3.Connection) -> None:
    """Documents attached to a user message: their extracted text, as the model read it;
    deleted with the message (the store scrubs the file afterwards). A message sent with
    documents keeps its ``prompt``: the text the model was given (the documents or the parts
    that fitted, then the question), sent again as it was in later turns."""
    _run(db, """
        ALTER TABLE messages ADD COLUMN prompt TEXT;
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            name TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT 'text',
            size INTEGER NOT NULL DEFAULT 0,
            tokens INTEGER,
            page_starts TEXT NOT NULL DEFAULT '[]',  -- a PDF's page offsets into text
            text TEXT NOT NULL DEFAULT '');
        CREATE INDEX attachments_by_message ON attachments(message_id, id);
    """)


def _versions(db: sqlite3.Connection) -> None:
    """Reply versions and edit branches (app/storage/versions.py): each message names the one it
    follows; one of each set of siblings is the active (shown) one. Old rows follow the
    previous row of their conversation, all active: the conversation reads as before."""
    _run(db, """
        ALTER TABLE messages ADD COLUMN parent_id INTEGER;
        ALTER TABLE messages ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
        UPDATE messages SET parent_id = (SELECT MAX(p.id) FROM messages p
            WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id);
    """)


def message_checksum(role: str, content: str) -> int:
    """CRC-32 of a message's role and text, stored with it (``_checksums``) and compared when
    it is read: bytes changed in the file's pages that ``quick_check`` cannot see (they are
    still a valid record) show as a damaged message instead of silently different text."""
    return zlib.crc32(f"{role}\0{content}".encode("utf-8", "surrogatepass"))


def _checksums(db: sqlite3.Connection) -> None:
    """A checksum per message (issue 22 item 4); the rows already there get theirs now,
    computed from the text as it is (NULL, from a file written before: not checked)."""
    _run(db, "ALTER TABLE messages ADD COLUMN checksum INTEGER")
    sums = [(message_checksum(rows.text(role), rows.text(content)), i)
            for i, role, content in db.execute("SELECT id, role, content FROM messages")]
    db.executemany("UPDATE messages SET checksum = ? WHERE id = ?", sums)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _documents,
                                                          _versions, _checksums]
SCHEMA_VERSION = len(MIGRATIONS)


@functools.lru_cache(maxsize=None)
def expected_schema(version: int) -> dict[str, dict[str, tuple[str, int]]]:
    """The tables a database at ``version`` has, as the migrations made them: for each, its
    columns' declared types and primary-key places (``PRAGMA table_info``). Read from the
    migrations themselves, run on an empty database in memory, so it can never disagree with
    them (app/storage/check.py compares a file with it before the store opens it)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for migrate in MIGRATIONS[:version]:
            migrate(db)
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: {r[1]: (r[2].upper(), r[5])
                       for r in db.execute(f'PRAGMA table_info("{name}")')} for name in names}
    finally:
        db.close()


class StoreError(Exception):
    pass


class DatabaseProblemError(StoreError):
    """The file is damaged, another program's, newer or read-only: it was not written to."""

    def __init__(self, problem: DatabaseProblem):
        super().__init__(problem.message)
        self.problem = problem


def _damage(exc: sqlite3.Error) -> bool:
    """True when ``exc`` says the file holds something no version of ADED Chat wrote (a table
    that already exists, a column that does not, corrupt pages), rather than that it cannot
    be used now (locked by another instance, a full disk, no permission)."""
    name = getattr(exc, "sqlite_errorname", None)  # Python 3.11+
    if name is not None:
        return name in ("SQLITE_ERROR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_MISMATCH",
                        "SQLITE_CONSTRAINT") or name.startswith(("SQLITE_CORRUPT_",
                                                                 "SQLITE_CONSTRAINT_"))
    text = str(exc)
    return any(s in text for s in ("already exists", "no such", "duplicate column",
                                   "malformed", "not a database", "constraint failed"))


def _decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class ConversationStore:
    def __init__(self, path: str | Path | None = None):
        if path is None:
            from aded_engine.paths import data_dir
            path = data_dir() / DB_NAME
        self.path = Path(path)
        self.notices: list[str] = []  # what opening found, for the user (app/storage/dialog.py)
        self._integrity: str | None = None
        log = check_wal(self.path)  # first: any connection replays what it can, drops the rest
        kept = self._keep_as_it_was(log) if log else None
        problem = check_database(self.path, SCHEMA_VERSION)
        if problem:
            raise DatabaseProblemError(problem)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"could not open {self.path}: {exc}") from exc
        self.db.text_factory = _decode_text  # tolerant: bad UTF-8 becomes U+FFFD, not an error
        try:
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA secure_delete = ON")
            self._migrate()
        except sqlite3.Error as exc:  # e.g. another instance holds a lock for too long
            self.db.close()
            if _damage(exc):  # what the check did not foresee: still the move-aside offer
                raise DatabaseProblemError(damaged(self.path, str(exc))) from exc
            raise StoreError(f"could not open {self.path}: {exc}") from exc
        if log:
            self.notices.append(self._log_notice(log, kept))
        self.scrubber = Scrubber(self.path)

    def _keep_as_it_was(self, log: WalDamage) -> Path:
        """A copy of the file and its damaged log, made before SQLite replays what it can of
        the log and a write or checkpoint erases the rest. When no copy can be made, the
        move-aside offer instead: opening would lose the rest for good."""
        try:
            return set_aside(self.path, copy=True)
        except OSError as exc:
            raise DatabaseProblemError(damaged(
                self.path, f"its write-ahead log {log.describe()}, and no copy of it could "
                           f"be made ({exc.strerror or exc})")) from exc

    def _log_notice(self, log: WalDamage, kept: Path) -> str:
        """What the user is told: which log lost what, since when, and where the copy is."""
        try:
            newest = self.db.execute("SELECT MAX(updated) FROM conversations").fetchone()[0]
            read = ("no conversation could be read back" if newest is None else
                    f"the newest change read back is from {_when(_float(newest))}")
        except sqlite3.Error as exc:
            read = f"reading it back fails ({exc})"
        return (f"{self.path}-wal (its write-ahead log) {log.describe()}. Messages or "
                f"conversations saved last may be missing; {read}. The file as it was, with "
                f"its log, is kept as {kept.name} in {kept.parent}. {self.integrity()}.")

    def integrity(self) -> str:
        """SQLite's ``integrity_check`` of the file, in words; run once, when something read
        from it was found damaged (it reads every page: seconds for a large file)."""
        if self._integrity is None:
            try:
                found = [r[0] for r in self.db.execute("PRAGMA integrity_check(5)")]
            except sqlite3.Error as exc:
                found = [str(exc)]
            self._integrity = ("SQLite's integrity check of the file: "
                               + "; ".join(found)[:300])  # its report can be long
        return self._integrity

    # --- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        row = self.db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
        if not row:
            return 0
        row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return rows.whole(row[0])  # app/storage/check.py refused any but a known integer

    @contextmanager
    def _writing(self):
        """The one way this store writes: ``BEGIN IMMEDIATE`` (a second instance waits
        instead of racing), the block's statements, ``COMMIT``; on any exception (a lone
        surrogate, a full disk, a lock held too long) ``ROLLBACK``, so the connection is
        never left inside a transaction, and the exception goes on."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        with self._writing():
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer version of the program "
                                 f"(schema {version}, this one knows {SCHEMA_VERSION})")
            for i in range(version, SCHEMA_VERSION):
                MIGRATIONS[i](self.db)
                self.db.execute("INSERT INTO schema_version (version) VALUES (?)", (i + 1,))

    def close(self) -> None:
        self.db.close()
        self.scrubber.close()  # its connection is the last: closing it checkpoints the WAL

    # --- conversations --------------------------------------------------------------------
    def create_conversation(self, title: str = NEW_TITLE, system_prompt: str = "",
                            sampling: dict | None = None) -> int:
        now = time.time()
        with self._writing():
            cur = self.db.execute(
                "INSERT INTO conversations (title, created, updated, system_prompt, sampling) "
                "VALUES (?, ?, ?, ?, ?)", (_valid(title), now, now, _valid(system_prompt),
                                           json.dumps(sampling or {})))
        return int(cur.lastrowid)

    def list_conversations(self, search: str = "") -> list[ConversationSummary]:
        """Newest first; ``search`` matches the title or any message text (case-insensitive)."""
        sql = "SELECT id, title, created, updated FROM conversations"
        args: tuple = ()
        if search.strip():
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%") \
                .replace("_", "\\_") + "%"
            sql += (" WHERE title LIKE ? ESCAPE '\\' OR id IN (SELECT conversation_id FROM "
                    "messages WHERE content LIKE ? ESCAPE '\\')")
            args = (pattern, pattern)
        out = [ConversationSummary(int(row[0]), _title(row[1]), _updated(row[2], row[3]))
               for row in self.db.execute(sql, args)]
        # ordered here, not by SQL: a damaged ``updated`` ('later') sorts as it is read
        out.sort(key=lambda c: (c.updated, c.id), reverse=True)
        return out

    def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = self.db.execute(
            "SELECT id, title, created, updated, system_prompt, sampling FROM conversations "
            "WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            return None
        conv = Conversation(int(row[0]), _title(row[1]), _float(row[2]),
                            _updated(row[2], row[3]), _text(row[4]), rows.sampling(row[5]))
        conv.messages = self.messages(conversation_id)
        return conv

    def messages(self, conversation_id: int) -> list[Message]:
        """The conversation as shown: the active version of each turn (app/storage/versions.py)."""
        by_id = {m.id: m for m in self.all_messages(conversation_id)}
        out = []
        for shown in shown_path(self._nodes(conversation_id)):
            msg = by_id[shown.id]
            msg.version, msg.versions = shown.version, shown.versions
            out.append(msg)
        return out

    def _nodes(self, conversation_id: int) -> list[Node]:
        return [Node(int(r[0]), None if r[1] is None else rows.whole(r[1]), bool(r[2]))
                for r in self.db.execute("SELECT id, parent_id, active FROM messages "
                                         "WHERE conversation_id = ?", (conversation_id,))]

    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message row of the conversation, every version of every turn, by id."""
        out = []
        cursor = self.db.execute(
            "SELECT id, role, content, status, stats, created, model, parent_id, prompt, "
            "checksum FROM messages "
            "WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        attached = self._attachments(conversation_id)
        for row in cursor:
            role = row[1] if row[1] in ROLES else "assistant"
            status = row[3] if row[3] in STATUSES else COMPLETE
            content = _text(row[2])
            parent = None if row[7] is None else rows.whole(row[7])
            out.append(Message(int(row[0]), role, content, status, rows.json_object(row[4], None),
                               _float(row[5]), _model(row[6]), attached.get(int(row[0]), []),
                               parent, prompt=_text(row[8]) or None,
                               damaged=_mismatch(row[9], _text(row[1]), content)))
        return out

    def _attachments(self, conversation_id: int) -> dict[int, list[Attachment]]:
        """The conversation's attachments by message id, in the order they were attached."""
        out: dict[int, list[Attachment]] = {}
        cursor = self.db.execute(
            "SELECT a.id, a.message_id, a.name, a.kind, a.size, a.tokens, a.text, a.page_starts "
            "FROM attachments a JOIN messages m ON m.id = a.message_id "
            "WHERE m.conversation_id = ? ORDER BY a.id", (conversation_id,))
        for row in cursor:
            tokens = row[5] if isinstance(row[5], int) else None
            out.setdefault(int(row[1]), []).append(Attachment(
                _text(row[2]) or "attachment", _text(row[3]) or "text", rows.whole(row[4]),
                _text(row[6]), tokens, int(row[0]), rows.offsets(row[7])))
        return out

    def reply_speeds(self, conversation_id: int | None = None,
                     model: str | None = None) -> list[ReplySpeed]:
        """The measured statistics of finished replies (complete or stopped), oldest first,
        of one conversation and/or one model (by file name); rows whose statistics are
        missing or broken are left out."""
        sql = ("SELECT m.id, m.conversation_id, c.title, m.created, m.model, m.stats "
               "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
               "WHERE m.role = 'assistant' AND m.status IN (?, ?) AND m.stats IS NOT NULL")
        args: list = [COMPLETE, STOPPED]
        if conversation_id is not None:
            sql += " AND m.conversation_id = ?"
            args.append(conversation_id)
        if model is not None:
            sql += " AND m.model = ?"
            args.append(model)
        out = []
        for row in self.db.execute(sql + " ORDER BY m.created, m.id", args):
            stats = rows.json_object(row[5], None)
            if ReplyRecord.from_json(stats).measured:
                out.append(ReplySpeed(int(row[0]), rows.whole(row[1]), _title(row[2]),
                                      _float(row[3]), _model(row[4]), stats))
        return out

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self._writing():
            self.db.execute("UPDATE conversations SET title = ? WHERE id = ?",
                            (_valid(title.strip()) or "Untitled", conversation_id))

    def set_system_prompt(self, conversation_id: int, prompt: str) -> None:
        with self._writing():
            self.db.execute("UPDATE conversations SET system_prompt = ? WHERE id = ?",
                            (_valid(prompt), conversation_id))

    def set_sampling(self, conversation_id: int, sampling: dict) -> None:
        with self._writing():
            self.db.execute("UPDATE conversations SET sampling = ? WHERE id = ?",
                            (json.dumps(sampling), conversation_id))

    def touch(self, conversation_id: int) -> None:
        with self._writing():
            self.db.execute("UPDATE conversations SET updated = ? WHERE id = ?",
                            (time.time(), conversation_id))

    def delete_conversation(self, conversation_id: int) -> dict[str | None, list[str]]:
        """Remove the conversation and scrub its text from the file; returns what the
        tri-gram tables learned from it, to be forgotten (see ``learned_exchanges``)."""
        learned = learned_exchanges(self.all_messages(conversation_id))  # every version
        with self._writing():
            self.db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            self.db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        self.scrub()
        return learned

    def scrub(self) -> None:
        """Make deleted text unreadable in the files: ``secure_delete`` zeroed it, and a
        checkpoint copies the WAL (which still holds it) back and truncates it. Tried here
        without waiting; while another connection reads, the scrubber's thread tries again
        until it can (app/storage/scrubber.py): the window never waits on a reader."""
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            done = checkpoint(self.db)
        finally:
            self.db.execute("PRAGMA busy_timeout = 10000")
        if not done:
            self.scrubber.request()

    # --- messages -------------------------------------------------------------------------
    def add_message(self, conversation_id: int, role: str, content: str,
                    status: str = COMPLETE, stats: dict | None = None,
                    model: str | None = None,
                    attachments: list[Attachment] = (), version_of: int | None = None) -> int:
        """Add a message after the last one shown, or, with ``version_of``, as a new version
        of that message (regenerate, edit: the old one is kept, no longer shown). ``model``:
        the file name of the model writing a reply (for the speed history); ``attachments``
        are stored with the message in the same transaction (their ``id`` is set)."""
        now = time.time()
        with self._writing():
            nodes = self._nodes(conversation_id)
            if version_of is None:
                path = shown_path(nodes)
                parent = path[-1].id if path else None
            else:
                turn = siblings(nodes, version_of)
                parent = turn[0].parent if turn else None
                self.db.executemany("UPDATE messages SET active = 0 WHERE id = ?",
                                    [(n.id,) for n in turn])
            content = _valid(content)
            cur = self.db.execute(
                "INSERT INTO messages (conversation_id, role, content, status, stats, created, "
                "model, parent_id, active, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (conversation_id, role, content, status,
                 None if stats is None else json.dumps(stats), now, model, parent,
                 message_checksum(role, content)))
            message_id = int(cur.lastrowid)
            ids = []
            for a in attachments:
                ids.append(int(self.db.execute(
                    "INSERT INTO attachments (message_id, name, kind, size, tokens, page_starts, "
                    "text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (message_id, _valid(a.name), a.kind, a.size, a.tokens,
                     json.dumps(list(a.page_starts)), _valid(a.text))).lastrowid))
            self.db.execute("UPDATE conversations SET updated = ? WHERE id = ?",
                            (now, conversation_id))
        for a, i in zip(attachments, ids):  # only once committed
            a.id = i
        return message_id

    def mark_interrupted(self) -> int:
        """Replies left "partial" by a program that ended while writing them (a crash, a
        kill) become "interrupted", their text kept (Continue goes on with them); at start,
        before any reply begins. Returns how many (0 when another instance holds the file
        locked: they stay partial until the next start)."""
        try:
            with self._writing():
                return self.db.execute("UPDATE messages SET status = ? WHERE status = ?",
                                       (INTERRUPTED, PARTIAL)).rowcount
        except sqlite3.OperationalError:
            return 0

    def update_message(self, message_id: int, content: str | None = None,
                       status: str | None = None, stats: dict | None = None) -> None:
        sets, args = [], []
        if content is not None:
            sets.append("content = ?")
            args.append(_valid(content))
            sets.append("checksum = ?")  # of the role as stored: read in the same transaction
            args.append(None)
        if status is not None:
            sets.append("status = ?")
            args.append(status)
        if stats is not None:
            sets.append("stats = ?")
            args.append(json.dumps(stats))
        if sets:
            with self._writing():
                if content is not None:
                    row = self.db.execute("SELECT role FROM messages WHERE id = ?",
                                          (message_id,)).fetchone()
                    args[1] = message_checksum(_text(row[0]) if row else "", args[0])
                self.db.execute(f"UPDATE messages SET {', '.join(sets)} WHERE id = ?",
                                (*args, message_id))

    def set_prompt(self, message_id: int, prompt: str) -> None:
        """What the model was given for a message sent with documents (see ``_documents``)."""
        with self._writing():
            self.db.execute("UPDATE messages SET prompt = ? WHERE id = ?",
                            (_valid(prompt), message_id))

    def delete_messages_from(self, conversation_id: int, message_id: int) -> list[str]:
        """Delete this message and everything that follows it on its branch (a reply that
        could not start); the newest remaining version of its turn is shown again. Returns
        the deleted texts."""
        nodes = self._nodes(conversation_id)
        doomed = [(i,) for i in subtree(nodes, message_id)] if any(
            n.id == message_id for n in nodes) else []
        with self._writing():
            texts = [_text(self.db.execute("SELECT content FROM messages WHERE id = ?", d)
                           .fetchone()[0]) for d in doomed]
            self.db.executemany("DELETE FROM messages WHERE id = ?", doomed)
            rest = shown_path(self._nodes(conversation_id))  # the newest when none is active
            self.db.executemany("UPDATE messages SET active = 1 WHERE id = ? AND active = 0",
                                [(s.id,) for s in rest])
        return texts

    def switch_version(self, conversation_id: int, message_id: int, step: int) -> bool:
        """Show the version ``step`` places after (or before) this message instead of it;
        False when there is none."""
        nodes = self._nodes(conversation_id)
        target = sibling_step(nodes, message_id, step)
        if target is None:
            return False
        with self._writing():
            self.db.executemany("UPDATE messages SET active = ? WHERE id = ?",
                                [(int(n.id == target), n.id) for n in siblings(nodes, message_id)])
        return True

    # --- export ---------------------------------------------------------------------------
    def export_markdown(self, conversation_id: int) -> str:
        conv = self.get_conversation(conversation_id)
        if conv is None:
            raise StoreError(f"no conversation {conversation_id}")
        parts = [f"# {conv.title}\n"]
        if conv.system_prompt:
            parts.append(f"**System:** {conv.system_prompt}\n")
        every = self.all_messages(conversation_id)
        for m in conv.messages:
            note = "" if m.status == COMPLETE else f" ({m.status})"
            if m.versions > 1:
                note += f" (version {m.version} of {m.versions})"
            parts.append(f"## {m.role.capitalize()}{note}\n\n{m.content}\n")
            for a in m.attachments:
                fence, end = _fence_for(a.text), "" if a.text.endswith("\n") else "\n"
                parts.append(f"### Attachment: {a.label()}\n\n"
                             f"{fence}{a.fence_language()}\n{a.text}{end}{fence}\n")
            turn = [v for v in every if v.parent_id == m.parent_id] if m.versions > 1 else []
            for n, other in enumerate(turn, 1):  # the other versions' own text (JSON: all)
                if other.id != m.id:
                    parts.append(f"### Version {n} of {m.versions}\n\n{other.content}\n")
        return "\n".join(parts)

    def export_json(self, conversation_id: int) -> str:
        conv = self.get_conversation(conversation_id)
        if conv is None:
            raise StoreError(f"no conversation {conversation_id}")
        data = {"title": conv.title, "created": conv.created, "updated": conv.updated,
                "system_prompt": conv.system_prompt, "sampling": conv.sampling,
                "messages": [{**_message_json(m), "version": m.version,
                              "versions": m.versions} for m in conv.messages]}
        # every version not shown, with the ids that place it (app/storage/versions.py)
        shown = {m.id for m in conv.messages}
        data["other_versions"] = [_message_json(m) for m in self.all_messages(conversation_id)
                                  if m.id not in shown]
        return json.dumps(data, ensure_ascii=False, indent=2)


def _message_json(m: Message) -> dict:
    return {"id": m.id, "parent_id": m.parent_id, "role": m.role, "content": m.content,
            "status": m.status, "stats": m.stats, "created": m.created, "model": m.model,
            "attachments": [a.to_json() for a in m.attachments]}


def _mismatch(stored, role: str, content: str) -> bool:
    """True when a message's stored checksum is not that of its role and text as read; a
    NULL one (a row written before checksums) is not checked."""
    if stored is None:
        return False
    return rows.whole(stored, -1) != message_checksum(role, content)


def _valid(text: str) -> str:
    """Text as it can be stored: lone surrogates (not encodable as UTF-8) become U+FFFD."""
    return repair_text(text)[0] if isinstance(text, str) else text


def _fence_for(text: str) -> str:
    """A Markdown code fence longer than any run of backticks inside ``text``."""
    longest = run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _when(seconds: float) -> str:
    """A stored time in the user's words; a damaged one (year 10^300) as such."""
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
    except (OverflowError, OSError, ValueError):
        return "a time that cannot be read"


def _model(value) -> str | None:
    return _text(value) or None


_text, _float = rows.text, rows.number  # every column is read through app/storage/rows.py


def _title(value) -> str:
    return _text(value) or "Untitled"


def _updated(created, updated) -> float:
    """When a conversation last changed; its creation time when that cannot be read."""
    return _float(updated, _float(created))


def learned_exchanges(messages: list[Message]) -> dict[str | None, list[str]]:
    """The texts each table learned, by the table's tokenizer fingerprint: a finished reply
    records the table that learned it with its user message (stats ``learned_by``; None if
    none did). Replies saved before that was recorded map to None: the loaded model's table.
    A reply's user message is its parent (``parent_id``), else the message before it."""
    out: dict[str | None, list[str]] = {}
    by_id = {m.id: m for m in messages}
    for before, msg in zip([None, *messages], messages):
        prev = by_id.get(msg.parent_id) if msg.parent_id is not None else before
        stats = msg.stats or {}
        if msg.role != "assistant" or prev is None or prev.role != "user" \
                or msg.status != COMPLETE or stats.get("learned_source"):
            continue  # a reply learned as a source is forgotten by it (learned_sources.py)
        if stats.get("learned_by") or ("learned_by" not in stats and "tokens" in stats):
            out.setdefault(stats.get("learned_by"), []).extend([prev.content, msg.content])
    return out


def title_from(text: str, limit: int = 48) -> str:
    """A conversation title from its first message: the first line, shortened at a word.
    No ellipsis is added: the sidebar elides what does not fit, and a rename starts from
    words the user wrote."""
    line = " ".join(text.strip().split("\n", 1)[0].split())
    if len(line) <= limit:
        return line or NEW_TITLE
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut if len(cut) > limit // 2 else line[:limit]
