"""The program's own code in a child process that the fault tests kill with SIGKILL at
chosen moments (run as ``python tests/faults/child.py SCENARIO DATA_DIR``). Each scenario
prints what it has committed, flushed, so the parent knows what must survive."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SECRET = "Remember this: the code word is zebra-quokka-7781 and nothing else."


def say(*words) -> None:
    print(*words, flush=True)


def window_scenario(data_dir: str) -> None:
    """A real window on the demo model: an exchange with a secret is learned, its
    conversation is deleted from the database and the program dies before the forget runs
    (killed right there); the parent's restart must forget it. With ``reply`` the program
    instead lives on into a long reply and the parent kills it mid-reply."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from aded_engine.catalog import SMOLLM2
    from aded_engine.models import fetch_model
    from aded_engine.paths import set_data_dir
    set_data_dir(data_dir)
    from app.engine.wait import wait_until
    from app.engine.worker import EngineClient
    from app.mainwindow.main_window import MainWindow
    from app.qt_compat import application
    from app.settings.settings import AppSettings
    from app.storage.store import ConversationStore

    app = application()  # noqa: F841 (keeps Qt alive)
    settings = AppSettings(n_threads=1, n_ctx=1024, max_tokens=48, temperature=0.0)
    store = ConversationStore()
    client = EngineClient()
    client.load(str(fetch_model(SMOLLM2)), settings.session_settings())
    assert wait_until(lambda: client.info is not None, 600)
    window = MainWindow(store, settings, client)
    assert window.send_message(SECRET)
    assert wait_until(lambda: window.replies.reply is None, 600)
    secret_conversation = window.current_id
    say("learned", secret_conversation)
    settings.max_tokens = 400
    window.new_conversation()
    store.delete_conversation(secret_conversation)  # committed; the forget request never goes
    say("deleted", secret_conversation)
    assert window.send_message("Write a long story about a dragon who learns to read.")
    say("replying", window.replies.reply.message_id)
    wait_until(lambda: False, 600)  # the parent kills it while the reply streams


def save_loop(data_dir: str) -> None:
    """Commit messages and replace a learned table file, over and over, until killed."""
    import numpy as np

    from aded_engine.provenance import new_source
    from aded_engine.table_store import save_table
    from aded_engine.trigram import FrozenLayer, TableSettings, learn_tokens
    from app.storage.store import ConversationStore

    store = ConversationStore(Path(data_dir) / "conversations.db")
    cid = store.create_conversation("saved")
    rng = np.random.default_rng(0)
    layer, sources = FrozenLayer(), {}
    for i in range(1_000_000):
        mid = store.add_message(cid, "user", f"message {i} " * 50)
        store.update_message(mid, content=f"message {i} edited " * 50)
        say("committed", mid)
        run = rng.integers(0, 5000, 4000).tolist()
        source = new_source(f"chat:{mid}:0.0", "", [run])
        sources[source.id] = source
        layer = learn_tokens(layer, source.runs, TableSettings())
        save_table(Path(data_dir) / "t.history.adedtable", layer, "f" * 32, 5000, sources)
        say("saved", len(sources))


if __name__ == "__main__":
    scenario, folder = sys.argv[1], sys.argv[2]
    {"window": window_scenario, "save-loop": save_loop}[scenario](folder)
    os.kill(os.getpid(), signal.SIGKILL)
