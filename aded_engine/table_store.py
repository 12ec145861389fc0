"""Tri-gram tables on disk: one file per tokenizer and layer, versioned, checksummed, and
replaced atomically.

File layout::

    8 bytes   magic  b"ADEDTBL1"
    4 bytes   format version (little-endian uint32)
    8 bytes   payload length (uint64)
    32 bytes  sha256 of the payload
    payload   zip of .npy arrays, stored uncompressed (numpy's ``savez``):
              keys, offsets, succ, weight   the table (trigram.FrozenLayer)
              meta                          JSON as bytes: tokenizer, date, sources
              src_tokens, src_runs          what each source taught it (provenance.py;
                                            version 2 on, absent in version 1 files)

Everything is checked before it is used: the header, then every array's dtype, shape and
byte count against its .npy header *before* any memory is allocated for it (a few MB of
crafted file cannot claim gigabytes), then the arrays against each other (sorted keys,
offsets that add up, ids inside the vocabulary, finite positive weights). A file that fails
any check is renamed aside (set_aside.py) and an empty table is used instead: never a
crash, never a silent mix of two vocabularies.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic_file import write_atomically
from .provenance import ProvenanceError, Source, pack, unpack
from .set_aside import set_aside
from .trigram import FrozenLayer

MAGIC = b"ADEDTBL1"
VERSION = 2  # 2: with provenance; version 1 files are still read (no sources)
_HEADER = struct.Struct("<8sIQ32s")
# far above what TableSettings.max_entries (4M entries, ~100 MB) and a lifetime of
# conversations make, far below what would exhaust a machine's memory
MAX_FILE_BYTES = 1 << 30
ARRAYS = {"keys": np.uint64, "offsets": np.int64, "succ": np.int32, "weight": np.float32,
          "meta": np.uint8, "src_tokens": np.int32, "src_runs": np.int64}
PROVENANCE_ARRAYS = ("src_tokens", "src_runs")


class TableFileError(ValueError):
    pass


@dataclass
class TableFile:
    layer: FrozenLayer
    sources: dict[str, Source] = field(default_factory=dict)
    fingerprint: str = ""
    n_vocab: int = 0


@dataclass
class LoadResult:
    layer: FrozenLayer
    problem: str | None = None  # what was wrong with the file, if it was set aside
    sources: dict[str, Source] = field(default_factory=dict)


def table_path(directory: Path, fingerprint: str, layer: str) -> Path:
    return directory / f"{fingerprint}.{layer}.adedtable"


def save_table(path: Path, layer: FrozenLayer, fingerprint: str, n_vocab: int,
               sources: dict[str, Source] | None = None) -> None:
    """Write the table with what each source taught it, in one atomic replace (so what a
    table learned and the record of where it came from can never disagree)."""
    records, src_tokens, src_runs = pack(sources or {})
    meta = json.dumps({"fingerprint": fingerprint, "n_vocab": n_vocab,
                       "saved": time.strftime("%Y-%m-%dT%H:%M:%S"), "sources": records}).encode()
    buf = io.BytesIO()
    np.savez(buf, keys=layer.keys, offsets=layer.offsets, succ=layer.succ, weight=layer.weight,
             meta=np.frombuffer(meta, dtype=np.uint8), src_tokens=src_tokens, src_runs=src_runs)
    payload = buf.getvalue()
    header = _HEADER.pack(MAGIC, VERSION, len(payload), hashlib.sha256(payload).digest())
    write_atomically(path, header + payload)


def _payload(path: Path) -> tuple[int, bytes]:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise TableFileError(f"file is {size >> 20} MB, more than a table can be")
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        raise TableFileError("file is truncated")
    magic, version, length, digest = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TableFileError("not an ADED table file")
    if version not in (1, VERSION):
        raise TableFileError(f"table format version {version}, this program reads {VERSION}")
    payload = data[_HEADER.size:]
    if len(payload) != length:
        raise TableFileError("file is truncated")
    if hashlib.sha256(payload).digest() != digest:
        raise TableFileError("checksum mismatch (file is corrupt)")
    return version, payload


def _array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    """One 1-D array of the expected dtype, its size checked against the bytes the member
    really holds before anything is allocated (np.load would trust the header's shape)."""
    try:
        info = archive.getinfo(name + ".npy")
    except KeyError:
        raise TableFileError(f"no {name} array") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise TableFileError(f"{name} is compressed (tables are stored uncompressed)")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise TableFileError(f"{name}: unknown .npy version {version}")
        expected = np.dtype(ARRAYS[name]).newbyteorder("<")
        if dtype != expected or len(shape) != 1:
            raise TableFileError(f"{name} is {dtype} of shape {shape}, not 1-D {expected}")
        nbytes = shape[0] * dtype.itemsize
        if nbytes != info.file_size - f.tell():
            raise TableFileError(f"{name} claims {nbytes} bytes, the file holds "
                                 f"{info.file_size - f.tell()}")
        return np.frombuffer(f.read(nbytes), dtype=dtype).astype(ARRAYS[name])


def _check_layer(layer: FrozenLayer, n_vocab: int) -> None:
    keys, offsets, succ, weight = layer.keys, layer.offsets, layer.succ, layer.weight
    if offsets.size != keys.size + 1 or succ.size != weight.size or offsets[0] != 0 \
            or offsets[-1] != succ.size:
        raise TableFileError("inconsistent arrays")
    if np.any(np.diff(offsets) <= 0) or np.any(keys[1:] <= keys[:-1]):
        raise TableFileError("contexts are not sorted, unique and non-empty")
    if succ.size and (succ.min() < 0 or succ.max() >= n_vocab):
        raise TableFileError("a successor is outside the vocabulary")
    prev = keys >> np.uint64(32)  # previous token + 1 (0: a bigram context)
    last = keys & np.uint64(0xFFFFFFFF)  # the token right before the successor
    if keys.size and (int(prev.max()) > n_vocab or int(last.max()) >= n_vocab):
        raise TableFileError("a context is outside the vocabulary")
    if not np.all(np.isfinite(weight)) or np.any(weight <= 0):
        raise TableFileError("weights are not finite positive counts")


def read_table_file(path: Path) -> TableFile:
    """Raises TableFileError on anything but a valid table file (of any tokenizer)."""
    version, payload = _payload(path)
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            meta = json.loads(_array(archive, "meta").tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or not isinstance(meta.get("fingerprint"), str) \
                    or not isinstance(meta.get("n_vocab"), int) or meta["n_vocab"] <= 0:
                raise TableFileError("meta is not a record of the tokenizer")
            n_vocab = meta["n_vocab"]
            layer = FrozenLayer(*(_array(archive, k)
                                  for k in ("keys", "offsets", "succ", "weight")))
            _check_layer(layer, n_vocab)
            sources = {}
            if version >= 2:
                arrays = [_array(archive, k) for k in PROVENANCE_ARRAYS]
                sources = unpack(meta.get("sources"), *arrays, n_vocab)
    except TableFileError:
        raise
    except ProvenanceError as exc:
        raise TableFileError(f"provenance: {exc}") from exc
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, MemoryError,
            struct.error, RecursionError) as exc:
        raise TableFileError(f"unreadable payload: {type(exc).__name__}: {exc}") from exc
    return TableFile(layer, sources, meta["fingerprint"], n_vocab)


def read_table(path: Path, fingerprint: str, n_vocab: int) -> FrozenLayer:
    """Raises TableFileError on anything but a valid table of this tokenizer."""
    return _read_own(path, fingerprint, n_vocab).layer


def _read_own(path: Path, fingerprint: str, n_vocab: int) -> TableFile:
    table = read_table_file(path)
    if table.fingerprint != fingerprint or table.n_vocab != n_vocab:
        raise TableFileError("table belongs to a different tokenizer")
    return table


def load_table(path: Path, fingerprint: str, n_vocab: int) -> LoadResult:
    if not path.exists():
        return LoadResult(FrozenLayer())
    try:
        table = _read_own(path, fingerprint, n_vocab)
        return LoadResult(table.layer, sources=table.sources)
    except (TableFileError, OSError) as exc:
        return LoadResult(FrozenLayer(), set_aside(path, str(exc), "starting an empty table"))
