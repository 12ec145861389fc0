"""Issue 22 item 7 (b): closing the window while the engine thread is still busy after
closing's wait ended in SIGABRT ("QThread: Destroyed while thread is still running"). The
program must end cleanly (exit code 0) with everything committed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("close_busy_child.py")


def test_closing_while_the_engine_is_busy_exits_cleanly_with_the_reply_saved(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(CHILD), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Destroyed while thread" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    reply_id = int(done.stdout.split("replying", 1)[1].split()[0])
    db = sqlite3.connect(tmp_path / "conversations.db")
    try:
        status, content = db.execute("SELECT status, content FROM messages WHERE id = ?",
                                     (reply_id,)).fetchone()
    finally:
        db.close()
    assert status == "stopped" and content  # what had arrived, committed
