"""Imported documents become texts for the corpus table: whole files, or JSONL records."""

import pytest

from aded_engine.corpus import read_corpus_files, texts_from_jsonl_line


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
    code.write_bytes(b"print('caf\xe9')\n")  # Latin-1, not UTF-8
    chats = tmp_path / "chats.JSONL"
    chats.write_text('{"turns": ["one"]}\n\n   \n{"text": "two"}\n')
    texts = read_corpus_files([notes, code, chats])
    assert texts == ["# Notes\n\nSome text.\n", "print('caf\ufffd')\n", "one", "two"]
