"""Is ``conversations.db`` ours and sound? Asked before the store opens it for writing, so
that a damaged file, another program's database or a newer schema is never written to.

``check_database`` only reads (SQLite opened with ``mode=ro``); ``set_aside`` renames a file
and its WAL side files out of the way, keeping them, so that a new database can start.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 file
SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's files next to the database


@dataclass(frozen=True)
class DatabaseProblem:
    path: Path
    kind: str  # "damaged" | "foreign" | "newer" | "read-only"
    message: str  # for the user: what is wrong with which file
    can_set_aside: bool  # the folder is writable: the file can be renamed and a new one made


def _writable_folder(path: Path) -> bool:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the store creates missing folders
    return os.access(folder, os.W_OK)


def check_database(path: str | Path, known_version: int) -> DatabaseProblem | None:
    """None when the store may open ``path`` for writing: missing, empty (0 bytes, as an
    interrupted first start leaves it), or a sound database of ours at ``known_version`` or
    older. Otherwise what is wrong."""
    path = Path(path)
    movable = _writable_folder(path)

    def problem(kind: str, what: str) -> DatabaseProblem:
        return DatabaseProblem(path, kind, f"{path} {what}", movable)

    if not movable:
        return problem("read-only", "is in a folder this program cannot write to")
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return None
    try:
        with open(path, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        return problem("damaged", f"cannot be read: {exc.strerror or exc}")
    if magic != SQLITE_MAGIC:
        return problem("damaged", "is not an SQLite database (damaged, or another kind of file)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            version = (db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
                       if "schema_version" in tables else None)
        finally:
            db.close()
    except sqlite3.Error as exc:
        return problem("damaged", f"is damaged: {exc}")
    if verdict != "ok":
        return problem("damaged", f"is damaged: {verdict[:300]}")  # SQLite's report is long
    if tables and version is None:
        listed = ", ".join(sorted(tables)[:5])
        return problem("foreign", f"is another program's database (tables: {listed}), not "
                                  "ADED Chat's conversations")
    if isinstance(version, int) and version > known_version:
        return problem("newer", f"was written by a newer version of ADED Chat (schema "
                                f"{version}, this one knows {known_version})")
    if not os.access(path, os.W_OK):
        return problem("read-only", "cannot be written to (the file is read-only)")
    return None


def set_aside(path: str | Path) -> Path:
    """Rename ``path`` (and its side files) to ``<name>.set-aside-<time><suffix>``; nothing
    is deleted. Returns the database's new path."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while True:
        stem = f"{path.stem}.set-aside-{stamp}" + (f"-{n}" if n else "")
        target = path.with_name(stem + path.suffix)
        if not any(Path(f"{target}{side}").exists() for side in ("", *SIDE_FILES)):
            break
        n += 1
    # the side files first: a -wal left behind would be replayed into the new database
    for side in (*SIDE_FILES, ""):
        source = Path(f"{path}{side}")
        if source.exists():
            source.rename(f"{target}{side}")
    return target
