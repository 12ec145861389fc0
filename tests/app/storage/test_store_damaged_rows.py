"""Damaged databases that pass ``PRAGMA quick_check`` (issue 22 item 3): each stopped every
start with an uncaught exception. Each file is made by the store, then damaged with sqlite3
directly, then opened as app/main.py opens it (``open_conversations``): a value that cannot
be read is its column's default and its rows are still shown; a schema that cannot be read
safely is offered to be moved aside, and nothing is written to it before."""

from __future__ import annotations

import json
import sqlite3

import pytest

import app.storage.store as store_module
from app.storage import rows
from app.storage.check import check_database
from app.storage.dialog import open_conversations
from app.storage.store import DB_NAME, SCHEMA_VERSION, ConversationStore, DatabaseProblemError
from damaged_conversations import DEEP, SCHEMA_DAMAGE, STATS, damage, make_ours  # tests/

def never_asked(problem):
    raise AssertionError(f"asked about a readable file: {problem.message}")


@pytest.fixture
def ours(tmp_path):
    path = tmp_path / DB_NAME
    return path, *make_ours(path)


# --- values that cannot be read: the field is its default, the rows are shown --------------

def test_deeply_nested_stats_read_as_none_and_the_reply_is_shown(ours):
    path, kept, _ = ours
    damage(path, f"UPDATE messages SET stats = '{DEEP}' WHERE role = 'assistant'")
    store = open_conversations(path, ask=never_asked)
    try:
        conv = store.get_conversation(kept)
        assert [m.content for m in conv.messages] == ["read this", "done reading"]
        assert conv.messages[1].stats is None and not conv.messages[1].record.measured
        assert conv.messages[1].model == "m.gguf"
        assert store.reply_speeds() == []  # no numbers to show, nothing raised
        assert json.loads(store.export_json(kept))["messages"][1]["stats"] is None
    finally:
        store.close()


def test_deeply_nested_sampling_reads_as_no_overrides_and_the_messages_are_shown(ours):
    path, kept, _ = ours
    damage(path, f"UPDATE conversations SET sampling = '{DEEP}'")
    store = open_conversations(path, ask=never_asked)
    try:
        conv = store.get_conversation(kept)
        assert conv.sampling == {} and conv.title == "kept"
        assert [m.content for m in conv.messages] == ["read this", "done reading"]
        assert conv.messages[1].stats == STATS
    finally:
        store.close()


def test_deeply_nested_page_starts_read_as_none_and_the_attachment_is_shown(ours):
    path, kept, _ = ours
    damage(path, f"UPDATE attachments SET page_starts = '{DEEP}'")
    store = open_conversations(path, ask=never_asked)
    try:
        [a] = store.get_conversation(kept).messages[0].attachments
        assert (a.name, a.text, a.tokens, a.page_starts) == \
            ("paper.pdf", "page one page two", 5, ())
    finally:
        store.close()


def test_an_updated_time_that_is_not_a_number_reads_as_the_created_time(ours):
    path, kept, other = ours
    damage(path, "UPDATE conversations SET updated = 'later' WHERE title = 'kept'")
    store = open_conversations(path, ask=never_asked)
    try:
        listed = {c.id: c for c in store.list_conversations()}
        conv = store.get_conversation(kept)
        assert set(listed) == {kept, other}
        assert listed[kept].updated == conv.updated == conv.created > 0
        assert [c.id for c in store.list_conversations()] == [other, kept]  # by time
        assert [c.id for c in store.list_conversations("reading")] == [kept]
        assert [m.content for m in conv.messages] == ["read this", "done reading"]
    finally:
        store.close()


@pytest.mark.parametrize("value, expected", [
    ("[" * 33 + "]" * 33, None),  # one deeper than MAX_JSON_DEPTH
    ('{"a": ' + "[" * 40 + "]" * 40 + "}", None),
    ('{"tokens": NaN}', None),
    ('{"tokens": 1e400}', None),
    ('{"tokens": ' + "9" * 5000 + "}", None),  # more digits than Python turns into an int
    ('{"x": "' + "[" * 40 + '"}', {"x": "[" * 40}),  # text, not nesting
    ('{"x": "\\"' + "[" * 40 + '"}', {"x": '"' + "[" * 40}),  # after an escaped quote
    (b'{"tokens": 3}', {"tokens": 3}),  # a BLOB
    (7, None),
    ("[1, 2]", None),  # not an object
])
def test_a_json_object_column_is_measured_before_it_is_parsed(value, expected):
    assert rows.json_object(value, None) == expected


def test_a_json_column_too_large_to_be_ours_is_not_parsed(monkeypatch):
    monkeypatch.setattr(rows, "MAX_JSON_CHARS", 100)
    assert rows.json_object('{"a": "' + "x" * 100 + '"}', {}) == {}


@pytest.mark.parametrize("value, expected", [
    (1.5, 1.5), (3, 3.0), ("2.5", 2.5), ("later", 0.0), (None, 0.0), (b"x", 0.0),
    (float("inf"), 0.0), ("nan", 0.0), (True, 0.0),
])
def test_a_time_column_reads_as_a_finite_number_or_its_default(value, expected):
    assert rows.number(value) == expected


def test_sampling_keeps_only_numbers():
    assert rows.sampling('{"temperature": "hot", "top_k": 5, "seed": true, "top_p": 0.5}') \
        == {"top_k": 5, "top_p": 0.5}


# --- a schema that cannot be read safely: offered to be moved aside, nothing written --------

@pytest.mark.parametrize("case", SCHEMA_DAMAGE)
def test_a_schema_that_cannot_be_read_safely_is_offered_to_be_moved_aside(tmp_path, case):
    statements, fault = SCHEMA_DAMAGE[case]
    path = tmp_path / DB_NAME
    make_ours(path)
    damage(path, *statements)
    before = path.read_bytes()
    asked = []
    assert open_conversations(path, ask=lambda p: asked.append(p) or False) is None
    [problem] = asked
    assert problem.kind == "damaged" and problem.can_set_aside
    assert problem.message == f"{path} is damaged: {fault}"
    assert path.read_bytes() == before  # quitting wrote nothing

    store = open_conversations(path, ask=lambda p: True)  # move it aside, start anew
    try:
        assert store.list_conversations() == [] and store.schema_version() == SCHEMA_VERSION
    finally:
        store.close()
    [aside] = [p for p in tmp_path.iterdir() if ".set-aside-" in p.name
               and p.name.endswith(".db")]
    assert aside.read_bytes() == before


def test_a_sound_file_at_each_older_version_still_opens(tmp_path):
    """The schema check takes what each version's migrations made: older files migrate."""
    for version in range(SCHEMA_VERSION + 1):
        path = tmp_path / f"v{version}.db"
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for i, migrate in enumerate(store_module.MIGRATIONS[:version]):
            migrate(db)
            db.execute("INSERT INTO schema_version VALUES (?)", (i + 1,))
        db.close()
        assert check_database(path, SCHEMA_VERSION) is None, version
        store = open_conversations(path, ask=never_asked)
        assert store.schema_version() == SCHEMA_VERSION
        store.close()


def test_a_migration_that_fails_on_the_files_content_is_offered_to_be_moved_aside(
        tmp_path, monkeypatch):
    """The last line, should the check miss something: schema_version -5 with the check
    left out ran the first migration again ("table conversations already exists")."""
    path = tmp_path / DB_NAME
    make_ours(path)
    damage(path, "DELETE FROM schema_version", "INSERT INTO schema_version VALUES (-5)")
    monkeypatch.setattr(store_module, "check_database", lambda *_: None)
    with pytest.raises(DatabaseProblemError) as raised:
        ConversationStore(path)
    problem = raised.value.problem
    assert problem.kind == "damaged" and problem.can_set_aside
    # which migration ran again follows from MIGRATIONS[-5]: the message's words vary
    assert problem.message.startswith(f"{path} is damaged: ")
