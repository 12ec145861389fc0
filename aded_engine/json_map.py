"""Small JSON files that map keys to records (measured batch costs per machine, acceptance
per model, the model file behind each tokenizer's tables): read one entry, replace one entry
atomically. A missing or damaged file reads as empty; it is never a reason to stop."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic_file import write_atomically


def read_json_entry(path: Path, key: str):
    """One entry of a small JSON file that maps keys to records; None if absent or damaged."""
    try:
        data = json.loads(path.read_text())
        return data.get(key) if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def write_json_entry(path: Path, key: str, value) -> None:
    """Set one entry of such a file, atomically (a damaged file is started afresh)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[key] = value
    write_atomically(path, json.dumps(data, indent=1).encode())
