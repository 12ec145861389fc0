"""Finishing the erase of deleted text, off the window's thread.

``secure_delete`` zeroes what a delete frees, but in WAL mode the zeroed pages are new frames
of the -wal file: the old frames (the text as it was written) stay in it, and in the main
file, until a checkpoint copies the pages back and truncates the WAL. A checkpoint waits for
every reader; another connection that holds a read transaction (a second instance, a backup
tool) would freeze whoever runs it. So the checkpoint runs here, on its own thread and
connection, never waiting: while it cannot finish it is tried again every ``retry_s``, and
once when the store opens (the erase of a program that was killed finishes at its next start).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Scrubber:
    """One thread per store. ``request()`` returns at once; ``pending`` stays True until a
    checkpoint that started after the latest request truncated the WAL."""

    def __init__(self, path: Path, retry_s: float = 2.0):
        self.path = path
        self.retry_s = retry_s
        self._asked = 1  # the first pass finishes an erase a killed program left
        self._done = 0
        self._wake = threading.Event()
        self._closing = False
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="aded-scrub", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> bool:
        return self._done < self._asked

    def request(self) -> None:
        self._asked += 1  # only the GUI thread asks
        self._wake.set()

    def close(self) -> None:
        """End the thread after one last try (never waiting on a reader)."""
        self._closing = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(str(self.path), timeout=0, isolation_level=None,
                                 check_same_thread=False)
        except sqlite3.Error:
            return  # the store reports problems with the file; nothing to scrub here
        try:
            while True:
                self._wake.wait(self.retry_s if self.pending else None)
                self._wake.clear()
                asked = self._asked
                if asked > self._done and checkpoint(db):
                    self._done = asked
                if self._closing:
                    return
        finally:
            db.close()


def checkpoint(db: sqlite3.Connection) -> bool:
    """Copy the WAL back into the file and truncate it; False while a reader or writer of
    another connection is in the way (with busy_timeout 0 it never waits)."""
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        return False
    return busy == 0
