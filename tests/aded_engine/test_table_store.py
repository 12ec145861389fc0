"""Table files: round trip, corruption, foreign tokenizers."""

import numpy as np
import pytest

from aded_engine.table_store import TableFileError, load_table, read_table, save_table
from aded_engine.trigram import FrozenLayer, TableSettings, ctx_key, learn_tokens

FP = "f" * 32


def sample_layer():
    return learn_tokens(FrozenLayer(), [[1, 2, 3, 1, 2, 4, 200_000, 7]], TableSettings())


def test_round_trip(tmp_path):
    path = tmp_path / "t.adedtable"
    layer = sample_layer()
    save_table(path, layer, FP, 262_144)
    back = read_table(path, FP, 262_144)
    for a, b in zip((layer.keys, layer.offsets, layer.succ, layer.weight),
                    (back.keys, back.offsets, back.succ, back.weight)):
        assert np.array_equal(a, b)
    assert back.successors(ctx_key(4, 200_000)) == {7: 1.0}


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-10], "truncated"),
    (lambda b: b[:-5] + bytes([b[-5] ^ 0xFF]) + b[-4:], "checksum"),
    (lambda b: b"NOTATABL" + b[8:], "not an ADED table"),
    (lambda b: b[:8] + (99).to_bytes(4, "little") + b[12:], "version 99"),
    (lambda b: b[:20], "truncated"),
])
def test_damaged_file_is_set_aside_not_fatal(tmp_path, damage, message):
    path = tmp_path / "t.adedtable"
    save_table(path, sample_layer(), FP, 262_144)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(TableFileError, match=message):
        read_table(path, FP, 262_144)
    result = load_table(path, FP, 262_144)
    assert len(result.layer) == 0 and message.split()[0] in result.problem
    assert not path.exists() and list(tmp_path.glob("t.adedtable.corrupt-*"))


def test_other_tokenizer_is_refused(tmp_path):
    path = tmp_path / "t.adedtable"
    save_table(path, sample_layer(), FP, 262_144)
    with pytest.raises(TableFileError, match="different tokenizer"):
        read_table(path, "0" * 32, 262_144)
    with pytest.raises(TableFileError, match="different tokenizer"):
        read_table(path, FP, 49_152)


# --- files that pass the checksum but are not what a table can be (crafted, or written by
# another program): each is set aside with its reason, never loaded, never a crash ----------

def craft(path, arrays: dict, meta=None, version=2, compressed=False):
    """A table file whose payload is exactly these arrays (and meta), checksum correct."""
    import hashlib
    import io
    import json

    from aded_engine.table_store import _HEADER, MAGIC
    meta = {"fingerprint": FP, "n_vocab": 262_144, "sources": []} if meta is None else meta
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(
        buf, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
    payload = buf.getvalue()
    path.write_bytes(_HEADER.pack(MAGIC, version, len(payload), hashlib.sha256(payload).digest())
                     + payload)


def layer_arrays(layer=None, **changes):
    layer = layer or sample_layer()
    arrays = dict(keys=layer.keys, offsets=layer.offsets, succ=layer.succ, weight=layer.weight,
                  src_tokens=np.empty(0, np.int32), src_runs=np.zeros(1, np.int64))
    arrays.update(changes)
    return arrays


def huge_claim(tmp_path):
    """A .npy member whose header claims 2**31 weights while it holds 16 bytes (np.load
    would allocate 8 GB before noticing)."""
    import io
    import zipfile
    base = tmp_path / "base.adedtable"
    craft(base, layer_arrays())
    data = base.read_bytes()[52:]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "weight.npy":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {"descr": "<f4", "fortran_order": False, "shape": (2**31,)})
                body = header.getvalue() + b"\0" * 16
            dst.writestr(info.filename, body)
    return out.getvalue()


def wrap(path, payload, version=2):
    import hashlib

    from aded_engine.table_store import _HEADER, MAGIC
    path.write_bytes(_HEADER.pack(MAGIC, version, len(payload), hashlib.sha256(payload).digest())
                     + payload)


@pytest.mark.parametrize("make, message", [
    (lambda p, t: wrap(p, b"PK\x03\x04 not a zip at all" * 100), "BadZipFile"),
    (lambda p, t: craft(p, layer_arrays(), meta=[FP, 262_144]), "meta is not a record"),
    (lambda p, t: craft(p, layer_arrays(), meta={"fingerprint": FP, "n_vocab": "big"}),
     "meta is not a record"),
    (lambda p, t: craft(p, layer_arrays(weight=sample_layer().weight.astype(np.float64))),
     "weight is float64"),
    (lambda p, t: craft(p, layer_arrays(succ=sample_layer().succ.reshape(1, -1))), "shape"),
    (lambda p, t: craft(p, layer_arrays(weight=np.full(len(sample_layer()), np.nan, np.float32))),
     "finite positive"),
    (lambda p, t: craft(p, layer_arrays(weight=-sample_layer().weight)), "finite positive"),
    (lambda p, t: craft(p, layer_arrays(keys=sample_layer().keys[::-1].copy())), "sorted"),
    (lambda p, t: craft(p, layer_arrays(offsets=sample_layer().offsets + 1)), "inconsistent"),
    (lambda p, t: craft(p, layer_arrays(succ=sample_layer().succ + 300_000)),
     "outside the vocabulary"),
    (lambda p, t: craft(p, {k: v for k, v in layer_arrays().items() if k != "succ"}), "no succ"),
    (lambda p, t: craft(p, layer_arrays(), compressed=True), "compressed"),
    (lambda p, t: wrap(p, huge_claim(t)), "claims 8589934592 bytes"),
    (lambda p, t: craft(p, layer_arrays(src_tokens=np.array([1, 2], np.int32),
                                        src_runs=np.array([0, 2], np.int64))),
     "runs no source names"),
    (lambda p, t: craft(p, layer_arrays(), meta={"fingerprint": FP, "n_vocab": 262_144,
                                                 "sources": [{"id": "a", "runs": 3}]}),
     "malformed"),
])
def test_crafted_file_is_set_aside(tmp_path, make, message):
    path = tmp_path / "t.adedtable"
    make(path, tmp_path)
    with pytest.raises(TableFileError, match=message):
        read_table(path, FP, 262_144)
    result = load_table(path, FP, 262_144)
    assert len(result.layer) == 0 and not result.sources and "set aside" in result.problem
    assert not path.exists() and list(tmp_path.glob("t.adedtable.corrupt-*"))


def test_a_file_larger_than_any_table_is_not_read(tmp_path, monkeypatch):
    from aded_engine import table_store
    path = tmp_path / "t.adedtable"
    save_table(path, sample_layer(), FP, 262_144)
    monkeypatch.setattr(table_store, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(TableFileError, match="more than a table can be"):
        read_table(path, FP, 262_144)


def test_sources_round_trip_and_version_1_files_still_read(tmp_path):
    from aded_engine.provenance import new_source
    from aded_engine.table_store import read_table_file
    path = tmp_path / "t.adedtable"
    sources = {s.id: s for s in (new_source("chat:7:1.5", "a reply", [[1, 2, 3], [4, 5]]),
                                 new_source("doc:x", "notes.txt", [[9] * 10]),
                                 new_source("empty", "", []))}
    save_table(path, sample_layer(), FP, 262_144, sources)
    back = read_table_file(path)
    assert list(back.sources) == list(sources)
    for sid, s in sources.items():
        assert [r.tolist() for r in back.sources[sid].runs] == [r.tolist() for r in s.runs]
        assert (back.sources[sid].name, back.sources[sid].tokens) == (s.name, s.tokens)
    v1 = tmp_path / "v1.adedtable"
    craft(v1, {k: v for k, v in layer_arrays().items() if not k.startswith("src_")},
          meta={"fingerprint": FP, "n_vocab": 262_144}, version=1)
    old = load_table(v1, FP, 262_144)
    assert old.problem is None and len(old.layer) == len(sample_layer()) and old.sources == {}
