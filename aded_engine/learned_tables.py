"""What a model has learned, kept on disk across sessions, in the tables folder:

    <fingerprint>.history.adedtable   per tokenizer: finished exchanges (forgotten on delete)
    <fingerprint>.corpus.adedtable    per tokenizer: documents the user imported
    tokenizers.json                   fingerprint -> the model file last used with it, so a
                                      table whose model is not loaded can still forget
    acceptance.json                   "<model file name>:<size>" -> its AcceptanceCalibration

Models that share a vocabulary share its tables (table_store.py has the file format).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .backend import LlamaVocab, ModelLoadError
from .cost import AcceptanceCalibration
from .json_map import read_json_entry, write_json_entry
from .paths import tables_dir
from .table_store import load_table, save_table, table_path
from .trigram import FrozenLayer, LearnedLayers, TableSettings, learn_tokens

LAYERS = ("history", "corpus")


class TableUpdateError(RuntimeError):
    """A saved table could not be updated (its model file is gone, or unreadable)."""


def _tokenizers_file() -> Path:
    return tables_dir() / "tokenizers.json"


def _calibration_file() -> Path:
    return tables_dir() / "acceptance.json"


def text_runs(vocab: LlamaVocab, texts: Sequence[str]) -> list[list[int]]:
    """Token runs of messages as the tables learn them (no special tokens)."""
    return [vocab.tokenize(t, add_special=False, parse_special=False) for t in texts if t]


class LearnedTables:
    """One tokenizer's learned layers, loaded from disk and saved after every change.

    ``layers`` is shared with every drafter of the model: learning replaces its fields, it
    never mutates a layer. ``problems`` says which files were damaged and set aside.
    """

    def __init__(self, vocab: LlamaVocab, layers: Sequence[str] = LAYERS):
        self.vocab = vocab
        self.fingerprint = vocab.vocab_fingerprint
        self.problems: list[str] = []
        self.layers = LearnedLayers(**{name: self._load(name) for name in layers})
        # how often this model accepts drafts: learned with use, like the tables
        self.calibration_key = f"{vocab.path.name}:{vocab.path.stat().st_size}"

    def _path(self, name: str) -> Path:
        return table_path(tables_dir(), self.fingerprint, name)

    def _load(self, name: str) -> FrozenLayer:
        result = load_table(self._path(name), self.fingerprint, self.vocab.n_vocab)
        if result.problem:
            self.problems.append(result.problem)
        return result.layer

    def _learn(self, name: str, texts: Sequence[str], settings: TableSettings, sign: float) -> int:
        """Add (+1) or remove (-1) these texts' n-grams in one layer and save it; returns
        the tokens read."""
        runs = text_runs(self.vocab, texts)
        layer = learn_tokens(getattr(self.layers, name), runs, settings, sign)
        setattr(self.layers, name, layer)
        save_table(self._path(name), layer, self.fingerprint, self.vocab.n_vocab)
        write_json_entry(_tokenizers_file(), self.fingerprint, str(self.vocab.path))
        return sum(len(r) for r in runs)

    def learn(self, texts: Sequence[str], settings: TableSettings) -> None:
        """A finished exchange joins the history layer."""
        self._learn("history", texts, settings, +1.0)

    def forget(self, texts: Sequence[str], settings: TableSettings) -> None:
        """Remove what ``learn`` added for these texts (a deleted conversation)."""
        self._learn("history", texts, settings, -1.0)

    def import_corpus(self, texts: Sequence[str], settings: TableSettings) -> int:
        """The user's own documents join the corpus layer; returns the tokens learned."""
        return self._learn("corpus", texts, settings, +1.0)

    def reset(self) -> None:
        """Forget everything learned for this tokenizer and this model's calibration."""
        for name in LAYERS:
            setattr(self.layers, name, FrozenLayer())
            self._path(name).unlink(missing_ok=True)
        write_json_entry(_calibration_file(), self.calibration_key, None)

    def load_calibration(self) -> AcceptanceCalibration:
        """The saved calibration (a fresh one if none, or if the record is damaged)."""
        calibration = AcceptanceCalibration()
        saved = read_json_entry(_calibration_file(), self.calibration_key)
        if saved is not None:
            calibration.load_json(saved)
        return calibration

    def save_calibration(self, calibration: AcceptanceCalibration) -> None:
        write_json_entry(_calibration_file(), self.calibration_key, calibration.to_json())


def forget_in_saved_table(fingerprint: str, texts: Sequence[str],
                          settings: TableSettings = TableSettings()) -> None:
    """``LearnedTables.forget`` for a tokenizer whose model is not loaded: loads only its
    vocabulary (from the model file recorded for it) and its history layer."""
    model = read_json_entry(_tokenizers_file(), fingerprint)
    if not isinstance(model, str) or not Path(model).is_file():
        raise TableUpdateError(f"the model file of this learned table ({model or 'unknown'}) "
                               "is gone; use Model > Reset learned tables to clear it")
    try:
        vocab = LlamaVocab(model)
    except ModelLoadError as exc:
        raise TableUpdateError(str(exc)) from exc
    try:
        if vocab.vocab_fingerprint != fingerprint:
            raise TableUpdateError(f"{Path(model).name} no longer has this table's tokenizer")
        LearnedTables(vocab, layers=("history",)).forget(texts, settings)
    finally:
        vocab.close()
