"""Tri-gram tables on disk: one file per tokenizer and layer, versioned, checksummed, and
replaced atomically.

File layout::

    8 bytes   magic  b"ADEDTBL1"
    4 bytes   format version (little-endian uint32)
    8 bytes   payload length (uint64)
    32 bytes  sha256 of the payload
    payload   numpy .npz (uncompressed): keys, offsets, succ, weight, meta (JSON as bytes)

A file that is truncated, corrupt, of another version or of another tokenizer is renamed
aside (``*.corrupt-<time>``) and an empty table is used instead: never a crash, never a
silent mix of two vocabularies.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic_file import write_atomically
from .trigram import FrozenLayer

MAGIC = b"ADEDTBL1"
VERSION = 1
_HEADER = struct.Struct("<8sIQ32s")


class TableFileError(ValueError):
    pass


@dataclass
class LoadResult:
    layer: FrozenLayer
    problem: str | None = None  # what was wrong with the file, if it was set aside


def table_path(directory: Path, fingerprint: str, layer: str) -> Path:
    return directory / f"{fingerprint}.{layer}.adedtable"


def save_table(path: Path, layer: FrozenLayer, fingerprint: str, n_vocab: int) -> None:
    buf = io.BytesIO()
    meta = json.dumps({"fingerprint": fingerprint, "n_vocab": n_vocab,
                       "saved": time.strftime("%Y-%m-%dT%H:%M:%S")}).encode()
    np.savez(buf, keys=layer.keys, offsets=layer.offsets, succ=layer.succ, weight=layer.weight,
             meta=np.frombuffer(meta, dtype=np.uint8))
    payload = buf.getvalue()
    header = _HEADER.pack(MAGIC, VERSION, len(payload), hashlib.sha256(payload).digest())
    write_atomically(path, header + payload)


def read_table(path: Path, fingerprint: str, n_vocab: int) -> FrozenLayer:
    """Raises TableFileError on anything but a valid table of this tokenizer."""
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        raise TableFileError("file is truncated")
    magic, version, length, digest = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TableFileError("not an ADED table file")
    if version != VERSION:
        raise TableFileError(f"table format version {version}, this program reads {VERSION}")
    payload = data[_HEADER.size:]
    if len(payload) != length:
        raise TableFileError("file is truncated")
    if hashlib.sha256(payload).digest() != digest:
        raise TableFileError("checksum mismatch (file is corrupt)")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes())
            layer = FrozenLayer(z["keys"], z["offsets"], z["succ"], z["weight"])
    except (ValueError, KeyError, OSError) as exc:
        raise TableFileError(f"unreadable payload: {exc}") from exc
    if meta.get("fingerprint") != fingerprint or meta.get("n_vocab") != n_vocab:
        raise TableFileError("table belongs to a different tokenizer")
    if layer.offsets.size != layer.keys.size + 1 or layer.succ.size != layer.weight.size \
            or (layer.succ.size and (layer.succ.min() < 0 or layer.succ.max() >= n_vocab)):
        raise TableFileError("inconsistent arrays")
    return layer


def load_table(path: Path, fingerprint: str, n_vocab: int) -> LoadResult:
    if not path.exists():
        return LoadResult(FrozenLayer())
    try:
        return LoadResult(read_table(path, fingerprint, n_vocab))
    except (TableFileError, OSError) as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.replace(aside)
        except OSError:
            aside = path
        return LoadResult(FrozenLayer(), f"{path.name}: {exc}; set aside as {aside.name}, "
                                         "starting an empty table")
