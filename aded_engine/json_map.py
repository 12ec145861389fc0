"""Small JSON files that map keys to records (measured batch costs per machine, acceptance
per model, the model file behind each tokenizer's tables, load verdicts): read one entry,
replace or drop one entry atomically. A file that is not such a map (unreadable, not JSON,
too deep, too big, not an object), or whose entry fails the reader's check, is set aside
(set_aside.py) and reads as empty: never a reason to stop, never silently overwritten."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from .atomic_file import write_atomically
from .set_aside import set_aside

MAX_BYTES = 16 << 20  # these files hold a few records; anything larger is not ours


def _read_map(path: Path) -> dict:
    """The file's map; {} when it is missing; a damaged one is set aside first."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"{path.stat().st_size >> 20} MB, more than such a file holds")
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        return data
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        set_aside(path, f"not a readable record file ({exc})", "starting afresh")
        return {}


def read_json_entry(path: Path, key: str, valid: Callable[[Any], bool] | None = None):
    """One entry; None if absent. An entry that ``valid`` refuses sets the file aside."""
    value = _read_map(path).get(key)
    if value is not None and valid is not None and not valid(value):
        set_aside(path, f"its record {key!r} is not valid", "starting afresh")
        return None
    return value


def write_json_entry(path: Path, key: str, value) -> None:
    """Set one entry of such a file, atomically (a damaged file is set aside first)."""
    data = _read_map(path)
    data[key] = value
    write_atomically(path, json.dumps(data, indent=1).encode())


def drop_json_entry(path: Path, key: str) -> None:
    """Remove one entry, if the file holds it (atomically, as ``write_json_entry``)."""
    data = _read_map(path)
    if data.pop(key, None) is not None:
        write_atomically(path, json.dumps(data, indent=1).encode())
