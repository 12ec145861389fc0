"""Imported documents become texts for the corpus table: whole files, or JSONL records."""

import pytest

from aded_engine.corpus import read_corpus_file, texts_from_jsonl_line
from aded_engine.documents.extract import DocumentError


@pytest.mark.parametrize("line, texts", [
    # a chat record: each message's content
    ('{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
     ["Hi", "Hello"]),
    ('{"conversation": [{"content": "a"}, {"content": 3}, "b"]}', ["a"]),  # non-text content skipped
    ('{"turns": ["first", "second"]}', ["first", "second"]),  # MT-Bench style
    ('{"prompt": "Q", "completion": "A"}', ["Q", "A"]),
    ('"a JSON string"', ["a JSON string"]),
    ("not JSON at all", ["not JSON at all"]),  # read as text
    ("[1, 2, 3]", []),  # JSON, but nothing that holds text
    ('{"id": 7}', []),
])
def test_texts_of_a_jsonl_line(line, texts):
    assert texts_from_jsonl_line(line) == texts


def test_files_are_one_text_each_jsonl_one_per_message(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nSome text.\n")
    code = tmp_path / "tool.py"
    line = "print('Le café du marché est à côté de la gare, déjà ouvert.')\n"
    code.write_bytes((line * 3).encode("utf-16"))  # not UTF-8: read in its own encoding
    chats = tmp_path / "chats.JSONL"
    chats.write_text('{"turns": ["one"]}\n\n   \n{"text": "two"}\n')
    texts = [t for p in (notes, code, chats) for t in read_corpus_file(p)[0]]
    assert texts == ["# Notes\n\nSome text.\n", line * 3, "one", "two"]


def test_a_line_that_is_not_unicode_is_skipped_with_a_note(tmp_path):
    chats = tmp_path / "chats.jsonl"
    chats.write_text('{"text": "before"}\n{"text": "bad \\ud800 half"}\n{"turns": ["after"]}\n')
    texts, notes = read_corpus_file(chats)
    assert texts == ["before", "after"]
    assert notes == ["chats.jsonl line 2 skipped: character 4 is a lone surrogate (U+D800), "
                     "which is not valid Unicode text"]


def test_a_file_that_is_not_text_says_so(tmp_path):
    image = tmp_path / "photo.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    with pytest.raises(DocumentError, match="photo.txt"):
        read_corpus_file(image)


def test_a_missing_jsonl_file_says_so(tmp_path):
    with pytest.raises(DocumentError, match="gone.jsonl could not be read"):
        read_corpus_file(tmp_path / "gone.jsonl")
