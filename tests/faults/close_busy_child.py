"""The program as ``aded-chat`` runs it (a window that owns its engine, app/main.py's end),
closed while a reply streams and the engine thread is inside work it cannot interrupt (20 s
there, standing for a huge message being tokenized or a slow load), with closing's wait for
it cut to 1 ms: the thread is still running after the wait, as after the real 30 s one. Run as
``python tests/faults/close_busy_child.py DATA_DIR``; prints the id of the reply it closed
on, flushed, then the process ends however the program ends it."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(data_dir: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, QTimer

    from aded_engine.catalog import SMOLLM2
    from aded_engine.models import fetch_model
    from aded_engine.paths import set_data_dir
    set_data_dir(data_dir)
    from app.engine.wait import wait_until
    from app.engine.worker import EngineClient
    from app.main import run_until_closed
    from app.mainwindow.main_window import MainWindow
    from app.qt_compat import application
    from app.settings.settings import AppSettings
    from app.storage.store import ConversationStore

    app = application()
    settings = AppSettings(n_threads=1, n_ctx=1024, max_tokens=600, temperature=0.0)
    store = ConversationStore()
    window = MainWindow(store, settings)  # owns its EngineClient, as the program's does
    window.show()
    window.models.load(str(fetch_model(SMOLLM2)))
    assert wait_until(lambda: window.client.info is not None, 600), "the model did not load"
    assert window.send_message("Write a long story about a dragon who learns to read.")
    assert wait_until(lambda: window.replies.reply is not None and window.replies.reply.text,
                      600), "no reply streamed"
    print("replying", window.replies.reply.message_id, flush=True)
    # the engine thread's next token waits 20 s there, deaf to Stop: busy when closing
    inside = threading.Event()

    def stall(*_):
        if not inside.is_set():
            inside.set()
            time.sleep(20)

    window.client.worker.token.connect(stall, Qt.DirectConnection)  # in the engine thread
    assert inside.wait(60), "the engine thread did not stall"
    shutdown = EngineClient.shutdown
    EngineClient.shutdown = lambda self, timeout_ms=None: shutdown(self, 1)
    QTimer.singleShot(0, window.close)
    code = run_until_closed(app, store)
    # Python's teardown frees the closed window, its client and their QThread (when,
    # depends on the collector: at once here, for a result that does not depend on it)
    del window
    gc.collect()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
