"""A whole chat session of the real window with the network blocked; run by test_offline.py
in its own process (``python offline_driver.py DATA_DIR MODEL``), under ``unshare -n`` where
the machine allows it.

Before anything of the project is imported, every way Python code reaches the network is
replaced by a guard that records the attempt and fails it: inet socket connect / connect_ex /
sendto, socket.create_connection, name resolution, and starting ``pip`` (how the demo model
would be fetched). Then: the main window offscreen on DATA_DIR, the model loaded through the
engine thread, a message typed into the composer and sent with Enter, the reply awaited, the
window closed. The last line printed is a JSON report; the exit status is 0 only if the
reply was written and saved and nothing tried the network.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import traceback

ATTEMPTS: list[str] = []
INET = (socket.AF_INET, socket.AF_INET6)


def _refuse(what: str):
    ATTEMPTS.append(what)
    raise OSError(errno.ENETUNREACH, f"network blocked by the offline test: {what}")


def install_guard() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_popen_init = socket.socket.sendto, subprocess.Popen.__init__

    def connect(self, address):
        if self.family in INET:
            _refuse(f"socket.connect{address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in INET:
            _refuse(f"socket.connect_ex{address!r}")
        return real_connect_ex(self, address)

    def sendto(self, *args):
        if self.family in INET:
            _refuse(f"socket.sendto{args[-1]!r}")
        return real_sendto(self, *args)

    def popen_init(self, args, *rest, **kwargs):
        words = [str(a) for a in (args if isinstance(args, (list, tuple)) else [args])]
        if any("pip" in os.path.basename(w) for w in words):
            _refuse("subprocess " + " ".join(words))
        return real_popen_init(self, args, *rest, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    subprocess.Popen.__init__ = popen_init
    socket.create_connection = lambda address, *a, **k: _refuse(f"create_connection{address!r}")
    socket.getaddrinfo = lambda host, *a, **k: _refuse(f"getaddrinfo({host!r})")
    socket.gethostbyname = lambda host: _refuse(f"gethostbyname({host!r})")
    socket.gethostbyname_ex = lambda host: _refuse(f"gethostbyname_ex({host!r})")


MESSAGE = "Name three colours of the rainbow."


def wait_until(condition, timeout_s: float, what: str) -> None:
    from app.engine.wait import wait_until as deliver_events_until
    if not deliver_events_until(condition, timeout_s):
        raise TimeoutError(f"timed out waiting for {what}")


def session(data_dir: str, model: str) -> dict:
    from aded_engine.paths import set_data_dir
    set_data_dir(data_dir)
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.mainwindow.main_window import MainWindow
    from app.qt_compat import application
    from app.settings.settings import AppSettings
    from app.storage.store import DB_NAME, ConversationStore

    app = application()
    app.setApplicationName("ADED Chat")
    store = ConversationStore()
    # one thread (the machine may be shared), a small context, a short greedy reply
    settings = AppSettings(n_threads=1, n_ctx=1024, max_tokens=24, temperature=0.0)
    window = MainWindow(store, settings)
    window.show()
    assert window.models.load(model), "the window refused to load the model"
    wait_until(lambda: window.client.info is not None, 180, "the model to load")

    QTest.keyClicks(window.composer.edit, MESSAGE)  # typed, then Enter sends, as a user would
    QTest.keyClick(window.composer.edit, Qt.Key_Return)
    wait_until(lambda: window.replies.reply is not None, 10, "the reply to start")
    wait_until(lambda: window.replies.reply is None, 300, "the reply to finish")
    conversation_id = window.current_id
    window.close()  # closeEvent ends the engine thread
    store.close()

    import sqlite3
    db = sqlite3.connect(os.path.join(data_dir, DB_NAME))
    rows = db.execute("SELECT role, content, status, stats FROM messages WHERE conversation_id = ? "
                      "ORDER BY id", (conversation_id,)).fetchall()
    db.close()
    return {"messages": [{"role": r, "content": c, "status": s,
                          "stats": json.loads(st) if st else None} for r, c, s, st in rows]}


def main() -> int:
    data_dir, model = sys.argv[1], sys.argv[2]
    install_guard()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report: dict = {"error": None}
    try:
        report.update(session(data_dir, model))
    except Exception:  # reported, not raised: the attempts list matters most
        report["error"] = traceback.format_exc()
    report["network_attempts"] = ATTEMPTS
    msgs = report.get("messages") or []
    ok = (not report["error"] and not ATTEMPTS and len(msgs) == 2
          and msgs[0]["role"] == "user" and msgs[0]["content"] == MESSAGE
          and msgs[1]["role"] == "assistant" and msgs[1]["status"] == "complete"
          and msgs[1]["content"].strip() != "")
    print(json.dumps(report), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
