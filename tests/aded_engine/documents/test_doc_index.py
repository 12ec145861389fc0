"""Chunks of documents in SQLite FTS5: exact slices in reading order, pages kept apart,
retrieval by BM25 finds the chunk that answers, removal erases the words from the file."""

import sqlite3

from pdf_maker import make_pdf

from aded_engine.documents.extract import Document, document_from_bytes
from aded_engine.documents.index import MAX_CHARS, ChunkIndex, chunk_document, match_query

TOPICS = ["volcano eruption lava ash", "violin orchestra concert hall", "tax return deadline form",
          "glacier ice melting slope", "chess opening gambit pawn", "bread dough yeast oven",
          "satellite orbit launch rocket", "bee hive honey pollen"]


def long_document(paragraphs: int = 40) -> Document:
    paras = []
    for i in range(paragraphs):
        topic = TOPICS[i % len(TOPICS)]
        paras.append(f"Paragraph {i} is about {topic}. " + " ".join(
            f"Sentence {j} of paragraph {i} mentions {topic.split()[j % 4]}." for j in range(8)))
    text = "\n\n".join(paras)
    return Document("notes.md", text, "markdown", len(text))


def test_chunks_are_exact_slices_covering_the_text_in_order():
    doc = long_document()
    chunks = chunk_document("k", doc)
    assert len(chunks) > 5 and all(c.parts == len(chunks) for c in chunks)
    assert [c.part for c in chunks] == list(range(1, len(chunks) + 1))
    covered = set()
    for c in chunks:
        assert doc.text[c.start:c.start + len(c.text)] == c.text
        assert len(c.text) <= MAX_CHARS and c.page is None
        covered.update(range(c.start, c.start + len(c.text)))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())
    assert chunks[3].label == f"notes.md, part 4 of {len(chunks)}"


def test_a_paragraph_without_blank_lines_is_cut_at_line_ends():
    code = "\n".join(f"line_{i} = compute({i})  # step {i}" for i in range(400))
    chunks = chunk_document("c", Document("big.py", code, "code", len(code)))
    assert len(chunks) > 3
    assert all(c.text.startswith("line_") and len(c.text) <= MAX_CHARS for c in chunks)
    assert "".join(c.text + "\n" for c in chunks).rstrip("\n") == code


def test_pdf_chunks_stay_on_their_page():
    pages = [[f"Page {p} line {i} about the harbour." for i in range(30)] for p in range(1, 4)]
    doc = document_from_bytes(make_pdf(pages), "report.pdf")
    chunks = chunk_document("r", doc)
    assert {c.page for c in chunks} == {1, 2, 3}
    for c in chunks:
        assert all(f"Page {c.page} line" in line for line in c.text.splitlines())
    assert chunks[-1].label == "report.pdf, page 3"


def test_search_finds_the_chunk_that_answers():
    index = ChunkIndex()
    doc = long_document()
    index.add("notes", doc)
    other = "\n\n".join(f"Recipe {i}: bread dough rises with yeast." for i in range(30))
    index.add("recipes", Document("recipes.txt", other, "text", len(other)))
    best = index.search("Which paragraph talks about the glacier melting?", ["notes"], limit=3)
    assert best and all(c.doc_key == "notes" for c in best)
    assert "glacier" in best[0].text
    # stemmed: "erupted" and "eruption" are both "erupt"
    assert "volcano" in index.search("when it erupted", ["notes"], limit=1)[0].text
    both = index.search("bread yeast", None, limit=50)
    assert {c.doc_key for c in both} == {"notes", "recipes"}
    assert index.search("Summarise this document please", ["notes"]) == []  # no content words
    assert index.search("glacier", []) == []


def test_query_words_are_quoted_not_operators():
    assert match_query('NOT "a" OR near(x) col:val') == '"not" OR "near" OR "col" OR "val"'
    assert match_query("the of a") is None


def test_add_replaces_and_remove_erases_words_from_the_file(tmp_path):
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete = ON")
    index = ChunkIndex(conn)
    secret = "\n\n".join(f"The zanzibarian quokkafruit number {i} is ripe." for i in range(50))
    index.add("att-1", Document("secret.txt", secret, "text", len(secret)))
    conn.commit()  # the caller's connection: the caller commits
    assert index.search("quokkafruit", ["att-1"])
    index.add("att-1", Document("secret.txt", "Replaced text only.", "text", 19))
    assert [c.text for c in index.chunks("att-1")] == ["Replaced text only."]
    index.remove("att-1")
    conn.commit()
    assert not index.has("att-1") and index.search("quokkafruit", None) == []
    conn.close()
    data = path.read_bytes()
    assert b"quokkafruit" not in data and b"zanzibarian" not in data


def test_a_callers_connection_is_never_committed(tmp_path):
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    ChunkIndex(conn)
    conn.commit()  # the table itself
    ChunkIndex(conn).add("k", Document("a.txt", "Uncommitted words.", "text", 18))
    conn.rollback()
    assert not ChunkIndex(conn).has("k")
    own = ChunkIndex(path)  # a path: it commits its own writes
    own.add("k", Document("a.txt", "Committed words.", "text", 16))
    own.close()
    assert ChunkIndex(sqlite3.connect(path)).has("k")
