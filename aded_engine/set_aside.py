"""Files read from disk that are damaged, foreign or out of bounds are renamed aside
(``<name>.corrupt-<time>``), never deleted, and the program goes on with empty or default
contents. What was set aside is noted, so the window or the CLI can say so."""

from __future__ import annotations

import threading
import time
from pathlib import Path

_notes: list[str] = []
_lock = threading.Lock()


def set_aside(path: Path, reason: str, instead: str, note: bool = True) -> str:
    """Rename ``path`` aside; returns (and notes) the message saying why and what is used
    ``instead``. A file that cannot be renamed stays where it is (it is then read again,
    and set aside again, next time). ``note=False``: the caller says it itself (the notes
    are read out as the engine's, e.g. the settings file's are the window's)."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(aside)
        where = f"set aside as {aside.name}"
    except OSError as exc:
        where = f"could not be set aside ({exc.strerror or exc})"
    message = f"{path.name}: {reason}; {where}, {instead}"
    if note:
        with _lock:
            _notes.append(message)
    return message


def take_notes() -> list[str]:
    """The messages of files set aside since the last call."""
    with _lock:
        out = list(_notes)
        _notes.clear()
    return out


def add_notes(messages: list[str]) -> None:
    """Notes of files another process set aside (the probe child), to be said here."""
    with _lock:
        _notes.extend(messages)
