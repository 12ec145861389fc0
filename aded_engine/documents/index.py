"""Documents cut into chunks, and the chunks that best match a question (SQLite FTS5, BM25:
offline, no model needed).

    index = ChunkIndex()                          # in memory (the CLI)
    index = ChunkIndex(conn)                      # the app's own database connection
    index.add("att-17", doc)                      # any string key the caller chooses
    best = index.search("what did the audit find?", keys=["att-17"], limit=8)
    best[0].label                                 # 'report.pdf, page 3'

The chunks live in one FTS5 table, ``doc_chunks`` (the name leaves the rest of a shared
database alone). A chunk's text is an exact slice of the document's text, so an excerpt put
in a prompt is the document's own words.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .extract import Document

TARGET_CHARS = 1200  # about 250-350 tokens of English prose
MAX_CHARS = 2000

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS doc_chunks USING fts5(
    body, doc_key UNINDEXED, name UNINDEXED, part UNINDEXED, parts UNINDEXED,
    page UNINDEXED, start UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')
"""

# words that say what to do, not what to look for: they would only add noise to BM25
_QUERY_STOPWORDS = frozenset("""
a an and are as at be by can could do does for from has have how i in is it its me my of on
or please so tell that the their them then there these this those to was we were what when
where which who why will with would you your document documents text file attached above
""".split())


@dataclass(frozen=True)
class Chunk:
    """One part of a document: ``text`` is ``document.text[start:start + len(text)]``."""

    doc_key: str
    name: str
    part: int  # 1-based, in reading order
    parts: int  # how many chunks the document has
    page: int | None  # 1-based page of a PDF; None for other documents
    start: int
    text: str

    @property
    def label(self) -> str:
        """Where the chunk comes from, for the prompt and the reply's footer."""
        if self.page is not None:
            return f"{self.name}, page {self.page}"
        return f"{self.name}, part {self.part} of {self.parts}"


def chunk_spans(text: str, target: int = TARGET_CHARS, limit: int = MAX_CHARS,
                bounds: Sequence[int] = ()) -> list[tuple[int, int]]:
    """(start, end) spans covering the text's non-blank content: whole paragraphs merged
    up to ``target`` characters, a longer paragraph split at line ends, then at spaces,
    never above ``limit``. No span crosses one of ``bounds`` (a PDF's page starts)."""
    cuts = sorted({0, *[b for b in bounds if 0 < b < len(text)], len(text)})
    spans: list[tuple[int, int]] = []
    for lo, hi in zip(cuts, cuts[1:]):
        pieces = [p for s, e in _paragraphs(text, lo, hi) for p in _split(text, s, e, limit)]
        current: tuple[int, int] | None = None
        for s, e in pieces:
            if current and e - current[0] <= target:
                current = (current[0], e)
            else:
                if current:
                    spans.append(current)
                current = (s, e)
        if current:
            spans.append(current)
    return spans


def _paragraphs(text: str, lo: int, hi: int) -> Iterable[tuple[int, int]]:
    """Spans of the text between blank lines, whitespace trimmed."""
    for m in re.finditer(r"\S(?:.*?\S)??(?=\s*\n[ \t]*\n|\s*\Z)", text[lo:hi], re.DOTALL):
        yield lo + m.start(), lo + m.end()


def _split(text: str, start: int, end: int, limit: int) -> Iterable[tuple[int, int]]:
    """A span cut into pieces of at most ``limit`` characters: at the last line end before
    the limit, else the last space, else hard."""
    while end - start > limit:
        window = text[start:start + limit]
        cut = window.rfind("\n")
        if cut < limit // 4:
            cut = window.rfind(" ")
        if cut < limit // 4:
            cut = limit
        yield start, start + cut
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def chunk_document(key: str, doc: Document, target: int = TARGET_CHARS) -> list[Chunk]:
    """The document's chunks in reading order (see ``chunk_spans``)."""
    spans = chunk_spans(doc.text, target, max(target, MAX_CHARS), doc.page_starts)
    return [Chunk(key, doc.name, i + 1, len(spans), doc.page_at(s), s, doc.text[s:e])
            for i, (s, e) in enumerate(spans)]


def match_query(question: str) -> str | None:
    """An FTS5 query for a free-text question: any of its words (quoted, so no word is
    read as an operator), minus the words that only say what to do. None: nothing to
    look for."""
    words = []
    for w in re.findall(r"\w+", question.lower()):
        if len(w) > 1 and w not in _QUERY_STOPWORDS and w not in words:
            words.append(w)
    return " OR ".join(f'"{w}"' for w in words[:64]) or None


class ChunkIndex:
    """Chunks of any number of documents, each under a caller's key, searchable by BM25.

    ``db``: None for a private in-memory database; a path for a database file; or an open
    ``sqlite3.Connection`` (the caller's: this class then never commits or closes it, so
    attachments and their chunks can be written in one of the caller's transactions).
    ``remove`` erases a document's words from the index itself too, not only its rows (on
    SQLite builds without FTS5's secure-delete by merging the index), so with the
    connection's ``PRAGMA secure_delete`` on, a removed document's text is gone from the file.
    """

    def __init__(self, db: sqlite3.Connection | str | Path | None = None):
        self._own = not isinstance(db, sqlite3.Connection)
        self.conn = sqlite3.connect(":memory:" if db is None else str(db)) if self._own else db
        self.conn.execute(SCHEMA)
        self._secure_delete = _enable_secure_delete(self.conn)
        self._commit()

    def _commit(self) -> None:
        if self._own:
            self.conn.commit()

    def add(self, key: str, doc: Document, target: int = TARGET_CHARS) -> list[Chunk]:
        """Index a document's chunks under ``key`` (replacing what the key held)."""
        if self.has(key):
            self.remove(key)
        chunks = chunk_document(key, doc, target)
        self.conn.executemany(
            "INSERT INTO doc_chunks (body, doc_key, name, part, parts, page, start) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(c.text, c.doc_key, c.name, c.part, c.parts, c.page, c.start) for c in chunks])
        self._commit()
        return chunks

    def has(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM doc_chunks WHERE doc_key = ? LIMIT 1",
                                 (key,)).fetchone() is not None

    def remove(self, key: str) -> None:
        """Forget a document: its rows, and its words in the index."""
        cur = self.conn.execute("DELETE FROM doc_chunks WHERE doc_key = ?", (key,))
        if cur.rowcount and not self._secure_delete:
            self.conn.execute("INSERT INTO doc_chunks (doc_chunks) VALUES ('optimize')")
        self._commit()

    def chunks(self, key: str) -> list[Chunk]:
        """A document's chunks in reading order."""
        rows = self.conn.execute(
            "SELECT doc_key, name, part, parts, page, start, body FROM doc_chunks "
            "WHERE doc_key = ? ORDER BY part", (key,)).fetchall()
        return [_chunk(r) for r in rows]

    def search(self, question: str, keys: Sequence[str] | None = None,
               limit: int = 20) -> list[Chunk]:
        """The chunks that best match the question, best first (BM25 over the question's
        words, stemmed); only the documents under ``keys`` when given. Empty when none of
        the question's words occur."""
        query = match_query(question)
        if query is None or (keys is not None and not keys):
            return []
        sql = ("SELECT doc_key, name, part, parts, page, start, body FROM doc_chunks "
               "WHERE doc_chunks MATCH ?")
        params: list = [query]
        if keys is not None:
            sql += f" AND doc_key IN ({','.join('?' * len(keys))})"
            params += list(keys)
        sql += " ORDER BY bm25(doc_chunks), doc_key, part LIMIT ?"
        params.append(limit)
        return [_chunk(r) for r in self.conn.execute(sql, params).fetchall()]

    def close(self) -> None:
        if self._own:
            self.conn.close()


def _chunk(row) -> Chunk:
    key, name, part, parts, page, start, body = row
    return Chunk(key, name, int(part), int(parts), None if page is None else int(page),
                 int(start), body)


def _enable_secure_delete(conn: sqlite3.Connection) -> bool:
    """FTS5's own secure-delete (SQLite 3.42+): deleted rows leave the index at once.
    Asked only where it exists: a failed write would leave the caller's connection inside
    a transaction."""
    if sqlite3.sqlite_version_info < (3, 42):
        return False
    if conn.execute("SELECT 1 FROM doc_chunks_config WHERE k = 'secure-delete' AND v = 1"
                    ).fetchone():
        return True  # set before: no write (and no transaction) needed
    try:
        conn.execute("INSERT INTO doc_chunks (doc_chunks, rank) VALUES ('secure-delete', 1)")
        return True
    except sqlite3.OperationalError:
        return False
