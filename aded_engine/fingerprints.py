"""Tokenizer fingerprints remembered per model file.

A fingerprint hashes every token of a vocabulary (about a second for 262,144 tokens on a
small CPU, at every start); a model file that has not changed (same path, size and
modification time) has the same vocabulary, so its fingerprint is kept in
``vocab-fingerprints.json`` in the cache folder and read back instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from .json_map import read_json_entry, write_json_entry
from .paths import cache_dir

_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def _file() -> Path:
    return cache_dir() / "vocab-fingerprints.json"


def remembered_fingerprint(identity: list, compute: Callable[[], str]) -> str:
    """The fingerprint of the model file with this identity (``backend.file_identity``):
    remembered, or ``compute()``d and remembered."""
    key = json.dumps(identity)
    known = read_json_entry(_file(), key, valid=lambda v: isinstance(v, str)
                            and _FINGERPRINT.fullmatch(v) is not None)
    if known is not None:
        return known
    fingerprint = compute()
    try:
        write_json_entry(_file(), key, fingerprint)
    except OSError:  # a read-only cache folder: computed again next time, nothing lost
        pass
    return fingerprint
