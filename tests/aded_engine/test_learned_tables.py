"""Learned tables on disk through a real session: damaged files, the acceptance
calibration, and a table whose model is not loaded."""

from pathlib import Path

import numpy as np
import pytest

from aded_engine.backend import BackendSettings, LlamaVocab
from aded_engine.cost import AcceptanceCalibration
from aded_engine.json_map import read_json_entry
from aded_engine.learned_tables import (LearnedTables, TableUpdateError, forget_in_saved_table,
                                        text_runs)
from aded_engine.paths import tables_dir
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings
from aded_engine.trigram import TableSettings, ctx_key


def test_imported_text_and_calibration_persist_until_reset(demo_model_path):
    vocab = LlamaVocab(demo_model_path)
    text = "Quokkas of Rottnest Island smile for photographs."
    tokens = vocab.tokenize(text, parse_special=False)
    taught = LearnedTables(vocab).teach("corpus", text_runs(vocab, [text, ""]), TableSettings(),
                                        "doc:quokka", "quokka.txt")
    assert taught == len(tokens)
    calibration = AcceptanceCalibration()
    calibration.observe(0.5, 0, True)
    LearnedTables(vocab).save_calibration(calibration)

    again = LearnedTables(vocab)
    assert again.layers.corpus.successors(ctx_key(tokens[0], tokens[1])) == {tokens[2]: 1.0}
    assert [(s.name, s.tokens) for s in again.sources["corpus"].values()] == [("quokka.txt", len(tokens))]
    assert again.load_calibration().tried.sum() == 1
    assert read_json_entry(tables_dir() / "tokenizers.json", vocab.vocab_fingerprint) == str(vocab.path)
    again.reset()
    assert len(again.layers.corpus) == 0 and not list(tables_dir().glob("*.adedtable"))
    assert LearnedTables(vocab).load_calibration().tried.sum() == 0
    vocab.close()


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
    path.write_text('{"' + again.tables.calibration_key + '": {"tried": [[1]], "accepted": [[2]]}}')
    damaged = ChatSession(demo_model_path, settings)
    assert damaged.proposer.calibration.tried.sum() == 0
    damaged.close()
    path.write_text("not json")
    last = ChatSession(demo_model_path, settings)
    assert last.proposer.calibration.tried.sum() == 0
    last.close()


def test_a_table_forgets_while_its_model_is_not_loaded(demo_model_path, tmp_path):
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


def test_greedy_and_sampled_replies_keep_their_own_calibration(demo_model_path):
    vocab = LlamaVocab(demo_model_path)
    greedy, sampled = AcceptanceCalibration(), AcceptanceCalibration()
    greedy.observe(0.9, 0, True)
    for _ in range(2):
        sampled.observe(0.9, 0, False)  # a draw matched the draft less often
    LearnedTables(vocab).save_calibration(greedy)
    LearnedTables(vocab).save_calibration(sampled, sampled=True)
    again = LearnedTables(vocab)
    assert (again.load_calibration().tried.sum(), again.load_calibration().accepted.sum()) == (1, 1)
    back = again.load_calibration(sampled=True)
    assert (back.tried.sum(), back.accepted.sum()) == (2, 0)
    again.reset()
    assert again.load_calibration().tried.sum() == again.load_calibration(True).tried.sum() == 0
    vocab.close()


def test_a_session_drafts_sampled_replies_with_the_sampled_calibration(demo_model_path):
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=512,
                                                                             n_threads=1)))
    messages = [{"role": "user", "content": "Count from 1 to 20: 1, 2, 3"}]
    s.generate(messages, SamplingSettings(max_tokens=32))
    greedy = s.tables.load_calibration().tried.sum()
    assert greedy > 0 and s.tables.load_calibration(sampled=True).tried.sum() == 0
    s.generate(messages, SamplingSettings(temperature=0.7, max_tokens=32, seed=3))
    assert s.tables.load_calibration().tried.sum() == greedy  # greedy's own is untouched
    assert s.proposer.calibration.tried.sum() == s.tables.load_calibration(True).tried.sum()
    s.generate(messages, SamplingSettings(max_tokens=8))  # greedy again: its own comes back
    assert s.proposer.calibration.tried.sum() >= greedy
    assert s.tables.load_calibration().tried.sum() == s.proposer.calibration.tried.sum()
    s.close()
