import json
import sqlite3

import pytest

from app.store import (COMPLETE, PARTIAL, SCHEMA_VERSION, STOPPED, ConversationStore, StoreError,
                       _v1, title_from)

UNICODE = "emoji 😀🚀, RTL שלום עליכם مرحبا, CJK 你好世界 こんにちは, combining é, \u200d zwj"


def test_unicode_round_trip_across_reopen(tmp_path):
    path = tmp_path / "c.db"
    s = ConversationStore(path)
    cid = s.create_conversation(UNICODE[:20], system_prompt=UNICODE)
    s.add_message(cid, "user", UNICODE)
    s.add_message(cid, "assistant", UNICODE[::-1], stats={"tokens": 3, "note": UNICODE})
    s.close()
    conv = ConversationStore(path).get_conversation(cid)
    assert conv.title == UNICODE[:20] and conv.system_prompt == UNICODE
    assert [m.content for m in conv.messages] == [UNICODE, UNICODE[::-1]]
    assert conv.messages[1].stats == {"tokens": 3, "note": UNICODE}


def test_a_corrupted_row_never_hides_the_conversation(store):
    cid = store.create_conversation("c")
    store.add_message(cid, "user", "first")
    bad = store.add_message(cid, "assistant", "will be broken")
    store.add_message(cid, "user", "third")
    # what a crash, a buggy older version or disk damage can leave behind
    store.db.execute("UPDATE messages SET content = CAST(x'fffe41c3' AS TEXT), "
                     "role = 'robot', status = 'weird', stats = '{not json', created = 'x' "
                     "WHERE id = ?", (bad,))
    store.db.execute("UPDATE conversations SET sampling = '[broken' WHERE id = ?", (cid,))
    conv = store.get_conversation(cid)
    assert [m.content for m in conv.messages][::2] == ["first", "third"]
    broken = conv.messages[1]
    assert "A" in broken.content and "\ufffd" in broken.content
    assert (broken.role, broken.status, broken.stats) == ("assistant", COMPLETE, None)
    assert conv.sampling == {}
    assert [c.id for c in store.list_conversations()] == [cid]


def test_migrates_a_version_1_database(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    _v1(db)
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', 1, 1)")
    db.execute("INSERT INTO messages (conversation_id, role, content, created) "
               "VALUES (1, 'user', 'kept', 1)")
    db.commit()
    db.close()
    s = ConversationStore(path)
    assert s.schema_version() == SCHEMA_VERSION == 2
    conv = s.get_conversation(1)
    assert conv.title == "old" and conv.system_prompt == "" and conv.sampling == {}
    assert [(m.content, m.status, m.stats) for m in conv.messages] == [("kept", COMPLETE, None)]
    s.close()


def test_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "new.db"
    ConversationStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (99)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version"):
        ConversationStore(path)


def test_wal_mode_and_second_instance_sees_writes(tmp_path):
    path = tmp_path / "c.db"
    a, b = ConversationStore(path), ConversationStore(path)
    assert a.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cid = a.create_conversation("shared")
    b.add_message(cid, "user", "from b")
    assert [m.content for m in a.get_conversation(cid).messages] == ["from b"]
    a.close()
    b.close()


def test_list_is_newest_first_and_search_matches_title_and_text(store):
    one = store.create_conversation("Pasta recipes")
    two = store.create_conversation("Trip")
    store.add_message(two, "user", "What about 100% humidity_in Lisbon?")
    assert [c.id for c in store.list_conversations()] == [two, one]
    assert [c.id for c in store.list_conversations("pasta")] == [one]
    assert [c.id for c in store.list_conversations("LISBON")] == [two]
    assert [c.id for c in store.list_conversations("100%")] == [two]
    assert store.list_conversations("_in L") and not store.list_conversations("0%x")


def test_update_while_streaming_then_truncate(store):
    cid = store.create_conversation("c")
    u = store.add_message(cid, "user", "q")
    r = store.add_message(cid, "assistant", "", status=PARTIAL)
    store.update_message(r, content="par")
    assert store.messages(cid)[1].status == PARTIAL
    store.update_message(r, content="partial", status=STOPPED, stats={"tokens": 2})
    m = store.messages(cid)[1]
    assert (m.content, m.status, m.stats) == ("partial", STOPPED, {"tokens": 2})
    assert store.delete_messages_from(cid, r) == ["partial"]
    assert [x.id for x in store.messages(cid)] == [u]


def test_delete_removes_text_from_the_files(tmp_path):
    path = tmp_path / "c.db"
    s = ConversationStore(path)
    keep = s.create_conversation("keep")
    s.add_message(keep, "user", "harmless")
    cid = s.create_conversation("secret-title-8271")
    s.add_message(cid, "user", "my secret zebra-quokka-4711 " * 20)
    s.add_message(cid, "assistant", "reply about zebra-quokka-4711")
    texts = s.delete_conversation(cid)
    assert any("zebra-quokka-4711" in t for t in texts)
    assert s.get_conversation(cid) is None
    for f in tmp_path.iterdir():
        data = f.read_bytes()
        assert b"zebra-quokka-4711" not in data, f.name
        assert b"secret-title-8271" not in data, f.name
    assert [m.content for m in s.messages(keep)] == ["harmless"]
    s.close()


def test_exports(store):
    cid = store.create_conversation("Ex", system_prompt="be brief")
    store.add_message(cid, "user", "Hi 😀")
    store.add_message(cid, "assistant", "Hello", status=STOPPED, stats={"tokens": 1})
    md = store.export_markdown(cid)
    assert md.startswith("# Ex") and "## User\n\nHi 😀" in md and "(stopped)" in md
    data = json.loads(store.export_json(cid))
    assert data["system_prompt"] == "be brief"
    assert [m["content"] for m in data["messages"]] == ["Hi 😀", "Hello"]
    assert data["messages"][1]["stats"] == {"tokens": 1}


def test_chat_messages_puts_system_first_and_skips_empty(store):
    cid = store.create_conversation("c", system_prompt="sys")
    store.add_message(cid, "user", "q")
    store.add_message(cid, "assistant", "", status=PARTIAL)
    assert store.get_conversation(cid).chat_messages() == [
        {"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]


@pytest.mark.parametrize("text,title", [
    ("Hello there", "Hello there"),
    ("  first line\nsecond", "first line"),
    ("", "New chat"),
    ("word " * 30, "word word word word word word word word word…"),
])
def test_title_from(text, title):
    assert title_from(text) == title
