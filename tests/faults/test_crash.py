"""Fault injection, crashes: the program killed with SIGKILL (in a child process) in the
middle of a reply, between a delete and the forget it asked for, and while it saves; then
started again. Nothing committed is lost, the database passes ``integrity_check``, a reply
cut short is marked interrupted with its text kept, and the learned table forgets what the
killed program had been asked to forget."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aded_engine.table_store import read_table_file
from aded_engine.trigram import ctx_key

CHILD = Path(__file__).with_name("child.py")  # its secret: "the code word is zebra-quokka-7781"

pytestmark = pytest.mark.slow


def start(scenario: str, data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, ADED_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, str(CHILD), scenario, str(data_dir)], env=env,
                            stdout=subprocess.PIPE, text=True)


def read_until(child: subprocess.Popen, word: str, timeout_s: float = 900) -> list[str]:
    """The child's lines up to the first starting with ``word``."""
    lines, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        assert line, f"the child ended before {word!r}: {lines}"
        lines.append(line.split())
        if lines[-1][0] == word:
            return lines[-1]
    raise AssertionError(f"no {word!r} in time")


def integrity(db: Path) -> str:
    with sqlite3.connect(str(db)) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def walk(layer, tokens: list[int], steps: int) -> list[int]:
    """Follow the table's strongest successor from the last two tokens (the drafter's
    greediest path): what the table would draft after this prefix."""
    out = list(tokens)
    for _ in range(steps):
        succ = layer.successors(ctx_key(out[-2], out[-1]))
        if not succ:
            break
        out.append(max(succ.items(), key=lambda kv: (kv[1], -kv[0]))[0])
    return out[len(tokens):]


def test_killed_mid_reply_and_before_a_forget_nothing_is_lost_nothing_is_kept(
        qtbot, tmp_path, demo_model_path, small_settings):
    from aded_engine.backend import LlamaVocab
    from app.engine.wait import wait_until
    from app.engine.worker import EngineClient
    from app.mainwindow.main_window import MainWindow
    from app.reply.continuation import can_continue
    from app.storage.store import INTERRUPTED, PARTIAL, ConversationStore

    data = tmp_path / "data"
    child = start("window", data)
    try:
        read_until(child, "deleted")
        reply_id = int(read_until(child, "replying")[1])
        db = data / "conversations.db"
        reader = sqlite3.connect(str(db))
        assert wait_until(lambda: len(reader.execute(
            "SELECT content FROM messages WHERE id = ?", (reply_id,)).fetchone()[0]) > 40, 600)
        time.sleep(random.uniform(0, 1.0))  # a random moment of the reply
        streamed = reader.execute("SELECT content FROM messages WHERE id = ?",
                                  (reply_id,)).fetchone()[0]
        reader.close()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    assert integrity(db) == "ok"
    vocab = LlamaVocab(demo_model_path)
    prefix = vocab.tokenize("the code word is", parse_special=False)
    secret = vocab.tokenize(" zebra-quokka-7781", parse_special=False)
    history = next((data / "tables").glob("*.history.adedtable"))
    before = read_table_file(history)
    assert walk(before.layer, prefix, len(secret)) == secret  # it was learned
    assert len([s for s in before.sources if s.startswith("chat:")]) == 1

    # the restart: the window on the same folder, a model loading as at any start
    from aded_engine import paths
    paths.set_data_dir(data)
    store = ConversationStore(db)
    user, reply = [m for m in store.all_messages(store.list_conversations()[0].id)][-2:]
    assert user.content.startswith("Write a long story") and reply.status == PARTIAL
    assert reply.content.startswith(streamed)  # every save before the kill is there
    client = EngineClient()
    client.load(str(demo_model_path), small_settings.session_settings())
    assert wait_until(lambda: client.info is not None, 600)
    forgotten = []
    client.learning.worker.forgotten.connect(forgotten.append)
    window = MainWindow(store, small_settings, client)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(forgotten), timeout=60_000)
    assert forgotten == [1]  # the deleted exchange, and nothing else
    session = client.worker.session
    after = read_table_file(history)
    assert not [s for s in after.sources if s.startswith("chat:")]  # nothing else was learned
    for layer in (session.learned.history, after.layer):
        assert walk(layer, prefix, len(secret)) != secret
    shown = store.get_conversation(window.current_id).messages[-1]
    assert (shown.id, shown.status, shown.content) == (reply.id, INTERRUPTED, reply.content)
    assert can_continue(shown)  # offered Continue, like a reply cut by the length limit
    window.close()
    assert client.shutdown()
    store.close()
    vocab.close()
    paths.set_data_dir(None)


def test_killed_while_saving_the_database_and_a_table_stay_whole(tmp_path):
    """Three kills at random moments of a loop that commits messages and replaces a table
    file: every message reported committed is there, the table file is the old or the new
    one (never half), the database is sound."""
    committed: list[int] = []
    for kill in range(3):
        child = start("save-loop", tmp_path)
        read_until(child, "saved", 300)
        deadline = time.monotonic() + random.uniform(0.2, 2.0)
        while time.monotonic() < deadline:
            words = child.stdout.readline().split()
            if words and words[0] == "committed":
                committed.append(int(words[1]))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert integrity(tmp_path / "conversations.db") == "ok"
        with sqlite3.connect(str(tmp_path / "conversations.db")) as c:
            ids = {r[0] for r in c.execute("SELECT id FROM messages")}
        assert set(committed) <= ids
        table = read_table_file(tmp_path / "t.history.adedtable")  # raises if half-written
        assert len(table.sources) > 0 and len(table.layer) > 0
