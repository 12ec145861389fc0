"""Is ``conversations.db`` ours and sound? Asked before the store opens it for writing, so
that a damaged file, another program's database or a newer schema is never written to.

``check_database`` only reads (SQLite opened with ``mode=ro``); ``set_aside`` renames a file
and its WAL side files out of the way, keeping them, so that a new database can start (or
copies them, to keep the file as it was while the store goes on with it).

Sound pages are not enough (issue 22 item 3): ``PRAGMA quick_check`` passes a file whose
schema version is 'abc' or -5, whose table lost a column, or where a view stands in for a
table, and each of those stopped every start with an exception. So the schema is read too:
the version must be one integer this program wrote, and the tables and columns must be
those the migrations made for it (``store.expected_schema``), before anything is written.
The values in the rows are read tolerantly instead (app/storage/rows.py).
"""

from __future__ import annotations

import os
import shutil
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


def damaged(path: Path, what: str) -> DatabaseProblem:
    """The file is damaged: ``what`` (SQLite's words, or the schema's fault)."""
    return DatabaseProblem(path, "damaged", f"{path} is damaged: {what}", _writable_folder(path))


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
            kinds = dict(db.execute("SELECT name, type FROM sqlite_master WHERE type IN "
                                    "('table', 'view') AND name NOT LIKE 'sqlite_%'"))
            tables = {name for name, kind in kinds.items() if kind == "table"}
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            versions = (db.execute("SELECT DISTINCT version FROM schema_version").fetchall()
                        if "schema_version" in kinds else None)
            if verdict != "ok" or versions is None:
                fault = None
            else:
                versions = [v for (v,) in versions]
                fault = (_version_fault(versions, known_version)
                         or _schema_fault(db, kinds, max(versions, default=0), known_version))
        finally:
            db.close()
    except sqlite3.Error as exc:
        return problem("damaged", f"is damaged: {exc}")
    if verdict != "ok":
        return problem("damaged", f"is damaged: {verdict[:300]}")  # SQLite's report is long
    if tables and versions is None:
        listed = ", ".join(sorted(tables)[:5])
        return problem("foreign", f"is another program's database (tables: {listed}), not "
                                  "ADED Chat's conversations")
    if fault == "newer":
        return problem("newer", f"was written by a newer version of ADED Chat (schema "
                                f"{max(versions)}, this one knows {known_version})")
    if fault:
        return problem("damaged", f"is damaged: {fault}")
    if not os.access(path, os.W_OK):
        return problem("read-only", "cannot be written to (the file is read-only)")
    return None


def _version_fault(versions: list, known_version: int) -> str | None:
    """What is wrong with the schema_version rows: "newer", a fault in words, or None. The
    migrations write 1, 2, ... up to the version they reached, all integers."""
    for v in versions:
        if isinstance(v, bool) or not isinstance(v, int):
            return f"its schema version {str(v)[:40]!r} is not a number"
    if versions and max(versions) > known_version:
        return "newer"
    if versions and min(versions) < 1:
        return f"its schema version {min(versions)} is not one ADED Chat writes"
    return None


def _schema_fault(db: sqlite3.Connection, kinds: dict[str, str], version: int,
                  known_version: int) -> str | None:
    """The first way the tables differ from those the migrations made at ``version``: a
    table missing or a view in its place, a column missing, an id that is not the integer
    key; or a table or column that only a later migration adds (it would fail "already
    exists" when the store migrates the file). None when they match."""
    from .store import expected_schema  # store imports this module

    expected, final = expected_schema(version), expected_schema(known_version)
    for table, columns in expected.items():
        if table not in kinds:
            return f"the table {table} is missing"
        if kinds[table] != "table":
            return f"{table} is a {kinds[table]} where a table belongs"
        found = {r[1]: (str(r[2]).upper(), r[5])
                 for r in db.execute(f'PRAGMA table_info("{table}")')}
        for column, (declared, key) in columns.items():
            if column not in found:
                return f"the table {table} has no column {column}"
            if key and found[column] != (declared, key):
                return f"the column {table}.{column} is not its {declared} key"
        for column in final[table]:  # in the order the migrations add them
            if column in found and column not in columns:
                return (f"the table {table} has a column {column} that its schema version "
                        f"{version} does not have")
    for table in final:
        if table in kinds and table not in expected:
            return f"it has a table {table} that its schema version {version} does not have"
    return None


def set_aside(path: str | Path, copy: bool = False) -> Path:
    """Rename ``path`` (and its side files) to ``<name>.set-aside-<time><suffix>``; nothing
    is deleted. ``copy``: copy them there instead, byte for byte, and leave the originals in
    use (a damaged WAL, app/storage/wal_check.py: the store opens what replays). Returns the
    database's new path."""
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
            if copy:
                shutil.copyfile(source, f"{target}{side}")
            else:
                source.rename(f"{target}{side}")
    return target
