"""What a model has learned, kept on disk across sessions, in the tables folder:

    <fingerprint>.history.adedtable   per tokenizer: finished exchanges (forgotten on delete)
    <fingerprint>.corpus.adedtable    per tokenizer: documents the user imported
                                      (each file also holds what each source taught it, so
                                      forgetting a source is exact: provenance.py)
    tokenizers.json                   fingerprint -> the model file last used with it, so a
                                      table learned before sources were recorded can still
                                      forget by text
    acceptance.json                   "<model file name>:<size>" -> its AcceptanceCalibration

Models that share a vocabulary share its tables (table_store.py has the file format).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from .backend import LlamaVocab, ModelLoadError
from .calibration_seed import seeded_calibration
from .cost import AcceptanceCalibration
from .json_map import read_json_entry, write_json_entry
from .paths import tables_dir
from .probe import check_tokenizer
from .provenance import Source, drop_sources, new_source
from .set_aside import set_aside
from .table_store import TableFileError, load_table, read_table_file, save_table, table_path
from .text_check import check_text
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
    return [vocab.tokenize(check_text(t, "a learned text"), add_special=False, parse_special=False)
            for t in texts if t]


class LearnedTables:
    """One tokenizer's learned layers, loaded from disk and saved after every change.

    ``layers`` is shared with every drafter of the model: learning replaces its fields, it
    never mutates a layer. ``sources`` holds, per layer, what each source taught it
    (provenance.py), saved in the same file. ``problems`` says which files were damaged and
    set aside.
    """

    def __init__(self, vocab: LlamaVocab, layers: Sequence[str] = LAYERS):
        self.vocab = vocab
        self.fingerprint = vocab.vocab_fingerprint
        self.problems: list[str] = []
        self.sources: dict[str, dict[str, Source]] = {}
        self.layers = LearnedLayers(**{name: self._load(name) for name in layers})
        # how often this model accepts drafts: learned with use, like the tables
        self.calibration_key = f"{vocab.path.name}:{vocab.path.stat().st_size}"

    def _path(self, name: str) -> Path:
        return table_path(tables_dir(), self.fingerprint, name)

    def _load(self, name: str) -> FrozenLayer:
        result = load_table(self._path(name), self.fingerprint, self.vocab.n_vocab)
        if result.problem:
            self.problems.append(result.problem)
        self.sources[name] = result.sources
        return result.layer

    def _save(self, name: str, layer: FrozenLayer) -> None:
        setattr(self.layers, name, layer)
        save_table(self._path(name), layer, self.fingerprint, self.vocab.n_vocab,
                   self.sources[name])
        write_json_entry(_tokenizers_file(), self.fingerprint, str(self.vocab.path))

    def _learn(self, name: str, texts: Sequence[str], settings: TableSettings, sign: float) -> int:
        """Add (+1) or remove (-1) these texts' n-grams in one layer, recording no source,
        and save it; returns the tokens read."""
        runs = text_runs(self.vocab, texts)
        self._save(name, learn_tokens(getattr(self.layers, name), runs, settings, sign))
        return sum(len(r) for r in runs)

    def teach(self, name: str, runs: Sequence[Sequence[int]], settings: TableSettings,
              source: str, title: str = "") -> int:
        """Learn token runs into a layer as ``source`` (a source learned again replaces what
        it taught before: a reply continued, a document imported twice); returns tokens."""
        layer = getattr(self.layers, name)
        old = self.sources[name].pop(source, None)
        if old is not None:
            layer = learn_tokens(layer, old.runs, settings, -1.0)
        learned = new_source(source, title, runs)
        self.sources[name][source] = learned
        self._save(name, learn_tokens(layer, learned.runs, settings, +1.0))
        return learned.tokens

    def forget_sources(self, name: str, keep: Callable[[str], bool],
                       settings: TableSettings) -> list[Source]:
        """Take out exactly what every source ``keep`` refuses taught the layer; returns
        those sources (nothing is saved when there are none)."""
        layer, gone = drop_sources(getattr(self.layers, name), self.sources[name], keep, settings)
        if gone:
            self._save(name, layer)
        return gone

    def learn(self, texts: Sequence[str], settings: TableSettings, source: str | None = None,
              title: str = "") -> None:
        """A finished exchange joins the history layer; with ``source`` it can be forgotten
        exactly (``forget_sources``)."""
        if source is None:
            self._learn("history", texts, settings, +1.0)
        else:
            self.teach("history", text_runs(self.vocab, texts), settings, source, title)

    def forget(self, texts: Sequence[str], settings: TableSettings) -> None:
        """Remove what ``learn`` added for these texts without a source (tables learned
        before sources were recorded): as exact as the texts are."""
        self._learn("history", texts, settings, -1.0)

    def reset(self) -> None:
        """Forget everything learned for this tokenizer and this model's calibration."""
        for name in LAYERS:
            setattr(self.layers, name, FrozenLayer())
            self.sources[name] = {}
            self._path(name).unlink(missing_ok=True)
        for sampled in (False, True):
            write_json_entry(_calibration_file(), self.calibration_entry(sampled), None)

    def calibration_entry(self, sampled: bool) -> str:
        # Greedy and sampled replies accept drafts at different rates (a sampled draw
        # matches a draft only as often as the model gives it that probability): each
        # keeps its own calibration, or greedy use would make sampled replies over-draft.
        return self.calibration_key + (":sampled" if sampled else "")

    def load_calibration(self, sampled: bool = False) -> AcceptanceCalibration:
        """The saved calibration of greedy or of sampled replies (if none, or if the record
        is damaged: the one this model ships with, calibration_seed.py, or a fresh one)."""
        entry = self.calibration_entry(sampled)
        saved = read_json_entry(_calibration_file(), entry,
                                valid=lambda e: AcceptanceCalibration().load_json(e))
        if saved is None:
            return seeded_calibration(entry)
        calibration = AcceptanceCalibration()
        calibration.load_json(saved)
        return calibration

    def save_calibration(self, calibration: AcceptanceCalibration, sampled: bool = False) -> None:
        write_json_entry(_calibration_file(), self.calibration_entry(sampled),
                         calibration.to_json())


def forget_in_saved_table(fingerprint: str, texts: Sequence[str],
                          settings: TableSettings = TableSettings()) -> None:
    """``LearnedTables.forget`` for a tokenizer whose model is not loaded: loads only its
    vocabulary (from the model file recorded for it) and its history layer."""
    model = read_json_entry(_tokenizers_file(), fingerprint, valid=lambda m: isinstance(m, str))
    if not isinstance(model, str) or not Path(model).is_file():
        raise TableUpdateError(f"the model file of this learned table ({model or 'unknown'}) "
                               "is gone; use Model > Reset learned tables to clear it")
    try:
        check_tokenizer(model)  # a crafted tokenizer aborts this process, not a child's
        vocab = LlamaVocab(model)
    except ModelLoadError as exc:
        raise TableUpdateError(str(exc)) from exc
    try:
        if vocab.vocab_fingerprint != fingerprint:
            raise TableUpdateError(f"{Path(model).name} no longer has this table's tokenizer")
        LearnedTables(vocab, layers=("history",)).forget(texts, settings)
    finally:
        vocab.close()


def forget_sources_on_disk(keep: Callable[[str], bool], skip: Sequence[str] = (),
                           settings: TableSettings = TableSettings(),
                           layer: str = "history") -> list[Source]:
    """``LearnedTables.forget_sources`` in every saved table of ``layer`` but those of the
    tokenizers in ``skip`` (the loaded model's, which forgets in memory too). Needs no model
    file: the sources themselves say what to subtract. A damaged file is set aside."""
    gone: list[Source] = []
    for path in sorted(tables_dir().glob(f"*.{layer}.adedtable")):
        fingerprint = path.name.split(".", 1)[0]
        if fingerprint in skip:
            continue
        try:
            table = read_table_file(path)
            if table.fingerprint != fingerprint:
                raise TableFileError("table belongs to a different tokenizer than its name says")
        except (TableFileError, OSError) as exc:
            set_aside(path, str(exc), "starting an empty table")
            continue
        layer, removed = drop_sources(table.layer, table.sources, keep, settings)
        if removed:
            save_table(path, layer, fingerprint, table.n_vocab, table.sources)
            gone.extend(removed)
    return gone
