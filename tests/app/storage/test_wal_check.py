"""Issue 22 item 4: a damaged write-ahead log dropped committed rows without a word. SQLite
replays a log up to the first frame that does not check and drops every commit after it.
Each log here is a real one, written by the store and copied as a crash leaves it, then
damaged; the store must keep the file as it was, open what replays, and say what was lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.storage.store import DB_NAME, ConversationStore
from app.storage.wal_check import FRAME_HEADER, wal_damage
from damaged_conversations import CRASHED, crashed, damage_log  # tests/

# kind of damage, the commit whose first frame it hits, the commits lost behind it (None:
# the whole log), what the store still reads back
CASES = {
    "a byte flipped in a page": ("flip", "answer", 1,
                                 {"kept": CRASHED["kept"], "later": ["question"]}),
    "a frame's salt zeroed": ("salt", "question", 2, {"kept": CRASHED["kept"], "later": []}),
    "a frame's checksum zeroed": ("checksum", "done reading", 4, {"kept": ["read this"]}),
    "the log cut inside a page": ("cut", "create later", 0, {"kept": CRASHED["kept"]}),
    "the log's header damaged": ("header", "create kept", None, {}),
}


def read_back(store: ConversationStore) -> dict[str, list[str]]:
    return {c.title: [m.content for m in store.messages(c.id)]
            for c in store.list_conversations()}


def test_a_crash_log_that_is_whole_replays_everything_without_a_word(tmp_path):
    crashed(tmp_path / "live", tmp_path / "data")
    path = tmp_path / "data" / DB_NAME
    assert wal_damage(Path(f"{path}-wal").read_bytes()) is None
    store = ConversationStore(path)
    assert read_back(store) == CRASHED and store.notices == []
    store.close()
    assert not list(path.parent.glob("*set-aside*"))


@pytest.mark.parametrize("case", CASES)
def test_a_damaged_log_is_kept_as_it_was_and_what_was_lost_is_said(tmp_path, case):
    kind, where, lost, expected = CASES[case]
    frames = crashed(tmp_path / "live", tmp_path / "data")
    path = tmp_path / "data" / DB_NAME
    log = Path(f"{path}-wal")
    damage_log(log, kind, frames[where])
    before = {p.name: p.read_bytes() for p in (path, log)}
    found = wal_damage(before[log.name])
    assert (found.lost, found.cut) == (lost, kind == "cut")

    store = ConversationStore(path)
    assert read_back(store) == expected  # what SQLite replays: the rest is gone from the file
    [notice] = store.notices
    assert f"{log} (its write-ahead log) {found.describe()}" in notice
    assert "SQLite's integrity check of the file: ok" in notice
    store.close()
    [copy] = path.parent.glob("*.set-aside-*.db")
    assert f"kept as {copy.name} in {copy.parent}" in notice
    assert copy.read_bytes() == before[path.name]  # byte for byte, as the crash left them
    assert Path(f"{copy}-wal").read_bytes() == before[log.name]


def test_a_frame_header_alone_at_the_end_is_a_kill_not_damage(tmp_path):
    """SQLite writes a frame's header, then its page: a kill between the two leaves the
    header alone, commit mark and all, of a commit that never finished."""
    crashed(tmp_path / "live", tmp_path / "data")
    log = tmp_path / "data" / f"{DB_NAME}-wal"
    data = log.read_bytes()
    last = data[-(FRAME_HEADER + 4096):][:FRAME_HEADER]
    assert int.from_bytes(last[4:8], "big") != 0  # the last commit's frame
    assert wal_damage(data + last) is None
    assert wal_damage(data + last + b"\0") is not None  # a page begun: the file was cut


def test_frames_an_earlier_log_left_are_not_damage(tmp_path):
    """A checkpoint that restarts the log writes it again from its start with new salts; the
    file keeps its length, so the old frames stay behind the new ones."""
    store = ConversationStore(tmp_path / DB_NAME)
    while store.scrubber.pending:  # its first checkpoint at open would empty the log
        time.sleep(0.01)
    cid = store.create_conversation("long")
    for n in range(5):
        store.add_message(cid, "user", f"message {n}")
    assert store.db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0] == 0  # not busy
    store.add_message(cid, "user", "after the restart")
    data = (tmp_path / f"{DB_NAME}-wal").read_bytes()
    store.close()
    salts = data[16:24]
    assert data[32 + 8:32 + 16] == salts and data[-4096 - 16:-4096 - 8] != salts
    assert wal_damage(data) is None
