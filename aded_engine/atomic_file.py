"""Replacing a file so that whoever reads it, even after a crash or a power cut, finds the
old content or the new one, never half of one and never an empty file."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to the disk, rename it
    over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        # Without fsync a power cut can leave the renamed file empty (the rename reaches
        # the disk before the data). The files written here change at most once a reply
        # or a settings change, so the milliseconds fsync takes never show; losing a
        # learned table or the settings would.
        os.fsync(f.fileno())
    os.replace(tmp, path)
