"""check_database and set_aside on real files: damaged, foreign, newer, empty, read-only.
Each damaged file is made from a real database of ours, so only the damage differs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from app.storage.check import check_database, set_aside
from app.storage.store import SCHEMA_VERSION, ConversationStore, DatabaseProblemError

PAGE = 4096


@pytest.fixture
def our_bytes(tmp_path):
    """The bytes of a checkpointed database of ours with a few pages of messages."""
    store = ConversationStore(tmp_path / "ours.db")
    conv = store.create_conversation("kept")
    for i in range(60):
        store.add_message(conv, "user", f"message {i} " * 40)
    store.close()  # the last connection checkpoints the WAL into the file
    return (tmp_path / "ours.db").read_bytes()


DAMAGE = {
    "truncated to half": lambda b: b[:len(b) // 2],
    "truncated to its header": lambda b: b[:100],
    "random bytes": lambda b: os.urandom(len(b)),
    "first page zeroed": lambda b: bytes(PAGE) + b[PAGE:],
    "second page zeroed": lambda b: b[:PAGE] + bytes(PAGE) + b[2 * PAGE:],
    "middle pages zeroed": lambda b: b[:len(b) // 2] + bytes(2 * PAGE) + b[len(b) // 2 + 2 * PAGE:],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_file_is_named_damaged_and_left_as_it_was(tmp_path, our_bytes, damage):
    path = tmp_path / "conversations.db"
    path.write_bytes(DAMAGE[damage](our_bytes))
    before = path.read_bytes()
    problem = check_database(path, SCHEMA_VERSION)
    assert problem is not None and problem.kind == "damaged" and problem.can_set_aside
    assert str(path) in problem.message
    with pytest.raises(DatabaseProblemError) as raised:
        ConversationStore(path)
    assert raised.value.problem == problem
    assert path.read_bytes() == before


def test_a_sound_file_of_ours_missing_or_empty_is_no_problem(tmp_path, our_bytes):
    ours = tmp_path / "ours.db"
    assert check_database(ours, SCHEMA_VERSION) is None
    assert check_database(tmp_path / "not-yet" / "conversations.db", SCHEMA_VERSION) is None
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")  # what an interrupted first start leaves
    assert check_database(empty, SCHEMA_VERSION) is None
    store = ConversationStore(empty)
    assert store.schema_version() == SCHEMA_VERSION
    store.close()


@pytest.mark.parametrize("tables", [
    "CREATE TABLE notes (id INTEGER, text TEXT)",
    # clashing names, still not ours: no schema_version
    "CREATE TABLE conversations (x); CREATE TABLE messages (y)",
])
def test_another_programs_database_gets_none_of_our_tables(tmp_path, tables):
    path = tmp_path / "conversations.db"
    db = sqlite3.connect(path)
    db.executescript(tables)
    db.close()
    before = path.read_bytes()
    problem = check_database(path, SCHEMA_VERSION)
    assert problem.kind == "foreign" and "another program's database" in problem.message
    with pytest.raises(DatabaseProblemError):
        ConversationStore(path)
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert "schema_version" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    db.close()


def test_a_newer_schema_is_refused_before_it_is_written(tmp_path):
    path = tmp_path / "conversations.db"
    ConversationStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    problem = check_database(path, SCHEMA_VERSION)
    assert problem.kind == "newer" and f"schema {SCHEMA_VERSION + 1}" in problem.message


def check_as_ordinary_user(path) -> tuple[str, bool, str]:
    """check_database as an ordinary user: root may write to read-only files, so as root
    (CI) it runs in a forked child that has become "nobody" (no interpreter to start, so
    the checkout's folder permissions do not matter)."""
    if os.geteuid() != 0:
        p = check_database(path, SCHEMA_VERSION)
        return p.kind, p.can_set_aside, p.message
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, check, report, leave at once
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            p = check_database(path, SCHEMA_VERSION)
            os.write(write, json.dumps([p.kind, p.can_set_aside, p.message]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        answer = f.read()
    os.waitpid(pid, 0)
    assert answer, "the child could not check the file"
    kind, can_set_aside, message = json.loads(answer)
    return kind, can_set_aside, message


def test_a_read_only_file_or_folder_says_so(our_bytes):
    folder = Path(tempfile.mkdtemp(prefix="aded-readonly-"))  # reachable by "nobody"
    try:
        folder.chmod(0o777)
        path = folder / "conversations.db"
        path.write_bytes(our_bytes)
        path.chmod(0o444)
        kind, can_set_aside, _ = check_as_ordinary_user(path)
        assert kind == "read-only" and can_set_aside  # the folder is writable
        path.chmod(0o666)
        folder.chmod(0o555)
        kind, can_set_aside, message = check_as_ordinary_user(path)
        assert kind == "read-only" and not can_set_aside
        assert "folder" in message
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_set_aside_keeps_the_file_and_its_side_files_under_a_new_name(tmp_path):
    path = tmp_path / "conversations.db"
    path.write_bytes(b"old database")
    (tmp_path / "conversations.db-wal").write_bytes(b"old wal")
    first = set_aside(path)
    path.write_bytes(b"second")
    second = set_aside(path)  # the same second: a distinct name, nothing overwritten
    assert not path.exists() and not (tmp_path / "conversations.db-wal").exists()
    assert first != second and first.name.startswith("conversations.set-aside-")
    assert first.suffix == ".db"
    assert first.read_bytes() == b"old database" and second.read_bytes() == b"second"
    assert (tmp_path / (first.name + "-wal")).read_bytes() == b"old wal"
