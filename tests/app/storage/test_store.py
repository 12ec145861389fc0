import json
import sqlite3

import pytest

from app.engine.wait import wait_until
from app.storage.store import (COMPLETE, ERROR, INTERRUPTED, MIGRATIONS, PARTIAL,
                               SCHEMA_VERSION, STOPPED, ConversationStore, StoreError,
                               title_from)

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


def old_database(path, version: int) -> sqlite3.Connection:
    """A database as a program that knew only the first ``version`` migrations left it."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for i, migrate in enumerate(MIGRATIONS[:version]):
        migrate(db)
        db.execute("INSERT INTO schema_version VALUES (?)", (i + 1,))
    return db


def test_migrates_a_version_1_database(tmp_path):
    path = tmp_path / "old.db"
    db = old_database(path, 1)
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', 1, 1)")
    db.execute("INSERT INTO messages (conversation_id, role, content, created) "
               "VALUES (1, 'user', 'kept', 1)")
    db.commit()
    db.close()
    s = ConversationStore(path)
    assert s.schema_version() == SCHEMA_VERSION
    conv = s.get_conversation(1)
    assert conv.title == "old" and conv.system_prompt == "" and conv.sampling == {}
    assert [(m.content, m.status, m.stats) for m in conv.messages] == [("kept", COMPLETE, None)]
    s.close()


def test_migrates_a_version_2_database_keeping_replies_and_their_stats(tmp_path):
    path = tmp_path / "v2.db"
    db = old_database(path, 2)
    db.execute("INSERT INTO conversations (title, created, updated, system_prompt) "
               "VALUES ('two', 1, 1, 'sys')")
    db.execute("INSERT INTO messages (conversation_id, role, content, created) "
               "VALUES (1, 'user', 'question', 1)")
    db.execute("INSERT INTO messages (conversation_id, role, content, status, stats, created) "
               "VALUES (1, 'assistant', 'answer', 'stopped', ?, 2)",
               (json.dumps({"tokens": 7, "speedup": 1.4}),))
    db.commit()
    db.close()
    s = ConversationStore(path)
    assert s.schema_version() == SCHEMA_VERSION
    conv = s.get_conversation(1)
    assert conv.system_prompt == "sys"
    assert [(m.role, m.content, m.status, m.stats, m.model) for m in conv.messages] == [
        ("user", "question", COMPLETE, None, None),
        ("assistant", "answer", STOPPED, {"tokens": 7, "speedup": 1.4}, None)]
    # an old reply has no model: it is in the conversation's speed history, in no model's
    assert [r.stats["speedup"] for r in s.reply_speeds(conversation_id=1)] == [1.4]
    assert s.reply_speeds(model="any.gguf") == []
    s.add_message(1, "assistant", "new", stats={"tokens": 3}, model="any.gguf")
    assert [r.model for r in s.reply_speeds(conversation_id=1)] == [None, "any.gguf"]
    s.close()
    assert ConversationStore(path).schema_version() == SCHEMA_VERSION  # nothing migrates twice


def test_reply_speeds_keeps_finished_replies_in_time_order_per_conversation_and_model(store):
    one = store.create_conversation("one")
    two = store.create_conversation("two")
    store.add_message(one, "user", "q", stats={"tokens": 99})  # not a reply
    store.add_message(one, "assistant", "a", stats={"tokens": 5, "speedup": None}, model="a")
    store.add_message(two, "assistant", "b", stats={"tokens": 6, "speedup": 1.2}, model="a")
    store.add_message(one, "assistant", "c", status=STOPPED, stats={"tokens": 7, "speedup": 1.5},
                      model="b")
    store.add_message(one, "assistant", "writing", status=PARTIAL, model="a")
    store.add_message(one, "assistant", "failed", status=ERROR, stats={"error": "x"}, model="a")
    broken = store.add_message(two, "assistant", "d", stats={"tokens": 1}, model="a")
    store.db.execute("UPDATE messages SET stats = '{bad' WHERE id = ?", (broken,))
    assert [r.stats["tokens"] for r in store.reply_speeds()] == [5, 6, 7]
    assert [r.stats["tokens"] for r in store.reply_speeds(conversation_id=one)] == [5, 7]
    assert [(r.conversation_title, r.stats["speedup"]) for r in store.reply_speeds(model="a")] \
        == [("one", None), ("two", 1.2)]
    assert [r.stats["tokens"] for r in store.reply_speeds(one, model="b")] == [7]


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
    s.add_message(cid, "assistant", "reply about zebra-quokka-4711",
                  stats={"tokens": 5, "learned_by": "fp1"})
    learned = s.delete_conversation(cid)
    assert learned == {"fp1": ["my secret zebra-quokka-4711 " * 20, "reply about zebra-quokka-4711"]}
    assert s.get_conversation(cid) is None
    assert wait_until(lambda: not s.scrubber.pending, 30)
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
    ("word " * 30, "word word word word word word word word word"),  # no "…": the view elides
])
def test_title_from(text, title):
    assert title_from(text) == title


def test_learned_exchanges_are_what_the_tables_learned():
    from app.storage.store import Message, learned_exchanges

    msgs = [Message(1, "user", "q1"), Message(2, "assistant", "a1", COMPLETE, {"tokens": 3, "learned_by": "A"}),
            Message(3, "user", "q2"), Message(4, "assistant", "a2", STOPPED, {"tokens": 2}),
            Message(5, "user", "q3"), Message(6, "assistant", "a3", COMPLETE, {"tokens": 4}),
            Message(7, "user", "q4"), Message(8, "assistant", "a4", COMPLETE, {"tokens": 1, "learned_by": "B"}),
            Message(9, "user", "q5"), Message(10, "assistant", "", COMPLETE, {"tokens": 0, "learned_by": None})]
    # stopped and empty replies were never learned; a3 predates the record: loaded model's
    assert learned_exchanges(msgs) == {"A": ["q1", "a1"], None: ["q3", "a3"], "B": ["q4", "a4"]}


def test_regenerate_and_edit_keep_versions_and_the_shown_one_is_the_context(store):
    cid = store.create_conversation("c")
    q = store.add_message(cid, "user", "q")
    a1 = store.add_message(cid, "assistant", "a1", stats={"tokens": 2})
    a2 = store.add_message(cid, "assistant", "a2", stats={"tokens": 3}, version_of=a1)
    conv = store.get_conversation(cid)
    assert [(m.content, m.version, m.versions) for m in conv.messages] == [
        ("q", 1, 1), ("a2", 2, 2)]
    assert store.switch_version(cid, a2, -1) and not store.switch_version(cid, a1, -1)
    assert store.get_conversation(cid).chat_messages()[-1]["content"] == "a1"
    # an edit of q: a new branch; q keeps its own reply (and its versions)
    q2 = store.add_message(cid, "user", "q edited", version_of=q)
    store.add_message(cid, "assistant", "b1")
    assert [m.content for m in store.messages(cid)] == ["q edited", "b1"]
    assert store.switch_version(cid, q2, -1)
    assert [(m.content, m.version) for m in store.messages(cid)] == [("q", 1), ("a1", 1)]
    assert len(store.all_messages(cid)) == 5


def test_a_reply_that_could_not_start_brings_the_earlier_version_back(store):
    cid = store.create_conversation("c")
    store.add_message(cid, "user", "q")
    a1 = store.add_message(cid, "assistant", "a1")
    a2 = store.add_message(cid, "assistant", "", status=PARTIAL, version_of=a1)
    assert store.delete_messages_from(cid, a2) == [""]
    assert [(m.content, m.versions) for m in store.messages(cid)] == [("q", 1), ("a1", 1)]


def test_versions_survive_a_reopen_and_old_databases_read_as_one_branch(tmp_path):
    path = tmp_path / "old.db"
    db = old_database(path, 4)  # before versions
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', 1, 1)")
    for role, text in (("user", "u1"), ("assistant", "r1"), ("user", "u2"), ("assistant", "r2")):
        db.execute("INSERT INTO messages (conversation_id, role, content, created) "
                   "VALUES (1, ?, ?, 1)", (role, text))
    db.commit()
    db.close()
    s = ConversationStore(path)
    assert s.schema_version() == SCHEMA_VERSION
    messages = s.messages(1)
    assert [m.content for m in messages] == ["u1", "r1", "u2", "r2"]
    assert [m.parent_id for m in messages] == [None] + [m.id for m in messages[:-1]]
    s.add_message(1, "assistant", "r2 again", version_of=messages[-1].id)
    s.close()
    again = ConversationStore(path)
    assert [(m.content, m.version, m.versions) for m in again.messages(1)][-1] == ("r2 again", 2, 2)
    again.close()


def test_exports_carry_every_version(store):
    cid = store.create_conversation("Ex")
    store.add_message(cid, "user", "q")
    a1 = store.add_message(cid, "assistant", "first answer")
    store.add_message(cid, "assistant", "second answer", version_of=a1)
    md = store.export_markdown(cid)
    assert "## Assistant (version 2 of 2)\n\nsecond answer" in md
    assert "### Version 1 of 2\n\nfirst answer" in md
    data = json.loads(store.export_json(cid))
    assert [(m["content"], m["version"], m["versions"]) for m in data["messages"]] == [
        ("q", 1, 1), ("second answer", 2, 2)]
    assert [(m["content"], m["parent_id"]) for m in data["other_versions"]] == [
        ("first answer", data["messages"][0]["id"])]


def test_every_version_counts_in_the_speed_history_and_is_forgotten_on_delete(store):
    cid = store.create_conversation("c")
    store.add_message(cid, "user", "q")
    a1 = store.add_message(cid, "assistant", "a1", stats={"tokens": 4, "learned_by": "fp"})
    store.add_message(cid, "assistant", "a2", stats={"tokens": 5, "learned_by": "fp"},
                      version_of=a1)
    assert [r.message_id for r in store.reply_speeds(conversation_id=cid)] == [a1, a1 + 1]
    assert store.delete_conversation(cid) == {"fp": ["q", "a1", "q", "a2"]}


def test_a_reader_never_blocks_a_delete_and_the_erase_finishes_when_it_leaves(tmp_path):
    """Another connection in a read transaction (a second instance, a backup) keeps the WAL:
    the delete returns at once, and the scrubber finishes the erase once the reader closes."""
    path = tmp_path / "c.db"
    s = ConversationStore(path)
    cid = s.create_conversation("c")
    s.add_message(cid, "user", "the vault code is 5510-ALPHA " * 10)
    reader = sqlite3.connect(str(path))
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 1
    s.delete_conversation(cid)  # returns with the reader still holding its snapshot
    assert s.get_conversation(cid) is None
    on_disk = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.is_file())
    assert b"5510-ALPHA" in on_disk and s.scrubber.pending  # kept by the reader, for now
    reader.close()
    assert wait_until(lambda: not s.scrubber.pending, 30)
    for f in tmp_path.iterdir():
        assert b"5510-ALPHA" not in f.read_bytes(), f.name
    s.close()


def test_replies_a_crash_left_partial_are_marked_interrupted_with_their_text(store):
    cid = store.create_conversation("c")
    store.add_message(cid, "user", "q")
    cut = store.add_message(cid, "assistant", "half a repl", status=PARTIAL)
    done = store.add_message(cid, "assistant", "whole", status=STOPPED)
    assert store.mark_interrupted() == 1
    by_id = {m.id: m for m in store.all_messages(cid)}
    assert (by_id[cut].status, by_id[cut].content) == (INTERRUPTED, "half a repl")
    assert by_id[done].status == STOPPED and store.mark_interrupted() == 0


def test_a_failed_write_is_rolled_back_and_the_next_one_works(tmp_path):
    """Issue 22 item 2: an exception inside add_message's transaction left the connection in
    it, and every later write failed ("cannot start a transaction within a transaction")."""
    from app.attachments.attachments import Attachment

    path = tmp_path / "c.db"
    s = ConversationStore(path)
    cid = s.create_conversation()
    bad = Attachment("a.txt", "text", 3, "abc", tokens=object())  # not a type SQLite takes
    with pytest.raises(sqlite3.Error):
        s.add_message(cid, "user", "question", attachments=[bad])
    assert not s.db.in_transaction and bad.id == 0
    s.add_message(cid, "user", "asked again")  # no "transaction within a transaction"
    s.rename_conversation(cid, "still writable")
    s.close()
    conv = ConversationStore(path).get_conversation(cid)
    assert [m.content for m in conv.messages] == ["asked again"]  # nothing half-written
    assert conv.title == "still writable"


def test_lone_surrogates_are_stored_replaced_and_do_not_wedge_the_store(tmp_path):
    from app.attachments.attachments import Attachment, attachment_from_text

    path = tmp_path / "c.db"
    s = ConversationStore(path)
    cid = s.create_conversation("t\ud800")
    pasted = attachment_from_text("pasted \udc00 text")
    assert pasted.repaired == 1 and pasted.text == "pasted \ufffd text"
    raw = Attachment("a\ud800.txt", "text", 3, "doc \ud800 text")  # however it came in
    mid = s.add_message(cid, "user", "q \ud800", attachments=[raw, pasted])
    s.update_message(mid, content="q2 \udfff")
    s.set_prompt(mid, "prompt \ud800")
    s.add_message(cid, "assistant", "the next write works")
    s.close()
    conv = ConversationStore(path).get_conversation(cid)
    user = conv.messages[0]
    assert conv.title == "t\ufffd" and user.content == "q2 \ufffd"
    assert user.prompt == "prompt \ufffd"
    assert [a.text for a in user.attachments] == ["doc \ufffd text", "pasted \ufffd text"]
    assert conv.messages[1].content == "the next write works"
