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
