"""Tables on disk: round trip, corruption, foreign tokenizers; and through a real session."""

from pathlib import Path

import numpy as np
import pytest

from aded_engine.backend import BackendSettings
from aded_engine.paths import tables_dir
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings
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


def test_session_learns_persists_and_forgets(demo_model_path):
    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    secret = "The zebra password is violet-cactus-42."
    s.learn_exchange(["hello", secret])
    tokens = s.backend.tokenize(secret, parse_special=False)
    files = list(tables_dir().glob(f"{s.fingerprint}.history.adedtable"))
    assert len(files) == 1
    s.close()

    again = ChatSession(demo_model_path, settings)
    again.drafter.start(tokens[:2])
    assert again.drafter.distribution(tokens[0], tokens[1])[0][0] == tokens[2]
    again.forget_exchange(["hello", secret])
    assert again.learned.history.successors(ctx_key(tokens[0], tokens[1])) is None
    assert len(again.learned.history) == 0
    again.close()
    reloaded = ChatSession(demo_model_path, settings)
    assert len(reloaded.learned.history) == 0
    reloaded.close()


def test_corrupt_table_on_disk_does_not_stop_the_session(demo_model_path):
    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    s.learn_exchange(["some words to learn from"])
    path = next(tables_dir().glob("*.history.adedtable"))
    s.close()
    path.write_bytes(path.read_bytes()[:100])
    again = ChatSession(demo_model_path, settings)
    assert again.table_problems and "set aside" in again.table_problems[0]
    assert len(again.learned.history) == 0
    again.close()


def test_table_load_measurement_reports_a_real_table():
    from aded_engine.bench import measure_table_load
    r = measure_table_load(20_000)
    assert r["history_tokens"] == 20_000 and r["entries"] > 1_000
    assert r["file_mb"] > 0 and r["load_s"] > 0


def test_acceptance_calibration_is_kept_per_model(demo_model_path):
    """What the verifier accepted is learned across sessions (the app gets faster with
    use); a damaged record starts afresh, and resetting the tables forgets it too."""
    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    s.generate([{"role": "user", "content": "Count from 1 to 20: 1, 2, 3"}],
               SamplingSettings(max_tokens=48))
    learned = s.proposer.calibration.tried.copy()
    assert learned.sum() > 0  # the reply drafted something
    s.close()

    again = ChatSession(demo_model_path, settings)
    assert np.array_equal(again.proposer.calibration.tried, learned)
    assert again.plain.calibration is not again.proposer.calibration
    again.reset_tables()
    assert again.proposer.calibration.tried.sum() == 0
    again.close()

    path = tables_dir() / "acceptance.json"
    path.write_text('{"' + again._calibration_key + '": {"tried": [[1]], "accepted": [[2]]}}')
    damaged = ChatSession(demo_model_path, settings)
    assert damaged.proposer.calibration.tried.sum() == 0
    damaged.close()
    path.write_text("not json")
    last = ChatSession(demo_model_path, settings)
    assert last.proposer.calibration.tried.sum() == 0
    last.close()


def test_a_table_forgets_while_its_model_is_not_loaded(demo_model_path, tmp_path):
    from aded_engine.session import TableUpdateError, forget_in_saved_table

    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    fingerprint = s.fingerprint
    s.learn_exchange(["hello", "The zebra password is violet-cactus-42."])
    s.close()
    forget_in_saved_table(fingerprint, ["hello", "The zebra password is violet-cactus-42."])
    again = ChatSession(demo_model_path, settings)
    assert len(again.learned.history) == 0
    again.close()

    moved = tmp_path / "moved.gguf"
    moved.write_bytes(Path(demo_model_path).read_bytes())
    other = ChatSession(moved, settings)
    other.learn_exchange(["this table's model is now recorded as moved.gguf"])
    other.close()
    moved.unlink()
    with pytest.raises(TableUpdateError, match="Reset learned tables"):
        forget_in_saved_table(fingerprint, ["hello"])
