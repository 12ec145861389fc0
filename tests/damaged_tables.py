"""A model's learned history table, saved with something learned and then cut short: the
damaged side file both the window's load notices (tests/app/mainwindow/) and the fault suite
(tests/faults/) load a model beside."""

from __future__ import annotations

from pathlib import Path

from aded_engine.backend import LlamaVocab
from aded_engine.paths import tables_dir
from aded_engine.provenance import new_source
from aded_engine.table_store import save_table, table_path
from aded_engine.trigram import FrozenLayer, TableSettings, learn_tokens


def damaged_history_table(model: Path) -> Path:
    """The model's history table, saved with something learned, then cut short."""
    vocab = LlamaVocab(model)
    runs = [vocab.tokenize("a reply to learn from", parse_special=False)]
    path = table_path(tables_dir(), vocab.vocab_fingerprint, "history")
    learned = new_source("chat:1:1.0", "", runs)
    save_table(path, learn_tokens(FrozenLayer(), runs, TableSettings()),
               vocab.vocab_fingerprint, vocab.n_vocab, {learned.id: learned})
    vocab.close()
    path.write_bytes(path.read_bytes()[:-7])
    return path
