"""Which source taught a learned table what: the token runs each message or document added,
kept in the table's own file (table_store.py), so that forgetting a source subtracts exactly
what it added, with no tokenizer, no model and no copy of its text elsewhere.

A source id names where the text came from; its namespace is the part before the first
colon, and each part of the program sweeps only its own namespace:

    chat:<store uuid>:<message id>   a reply of the window's conversations (with its user text)
    doc:<uuid>                       a document taught through Teach from documents
    cli:<time>:<n>                   an exchange of ``aded chat``, a file of ``aded import-corpus``

Invariant: a layer's weight for any (context, successor) is at most the sum of what its
live sources contributed (pruning and forgetting only lower it), so once every source is
forgotten the layer is empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .trigram import FrozenLayer, TableSettings, learn_tokens


class ProvenanceError(ValueError):
    """The provenance stored in a table file does not add up."""


@dataclass(frozen=True)
class Source:
    id: str
    name: str  # what the user calls it: a file name, a conversation's title
    date: str  # when it was learned, ISO 8601
    runs: tuple[np.ndarray, ...]  # int32 token runs, exactly as learned

    @property
    def tokens(self) -> int:
        return sum(int(r.size) for r in self.runs)


def new_source(source_id: str, name: str, runs: Sequence[Sequence[int]]) -> Source:
    return Source(source_id, name, time.strftime("%Y-%m-%dT%H:%M:%S"),
                  tuple(np.asarray(r, np.int32) for r in runs))


def pack(sources: dict[str, Source]) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """(meta records, all tokens (int32), run offsets (int64, one more than the runs))."""
    records, runs = [], []
    for s in sources.values():
        records.append({"id": s.id, "name": s.name, "date": s.date, "runs": len(s.runs)})
        runs.extend(s.runs)
    lengths = np.array([r.size for r in runs], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    tokens = np.concatenate(runs).astype(np.int32) if runs else np.empty(0, np.int32)
    return records, tokens, offsets


def unpack(records, tokens: np.ndarray, offsets: np.ndarray, n_vocab: int) -> dict[str, Source]:
    """The inverse of ``pack``; raises ProvenanceError on anything that does not add up."""
    if not isinstance(records, list):
        raise ProvenanceError("sources is not a list")
    if offsets.size < 1 or offsets[0] != 0 or offsets[-1] != tokens.size \
            or np.any(np.diff(offsets) < 0):
        raise ProvenanceError("run offsets do not match the tokens")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= n_vocab):
        raise ProvenanceError("a source token is outside the vocabulary")
    out: dict[str, Source] = {}
    run = 0
    for r in records:
        named = isinstance(r, dict) and all(isinstance(r.get(k), str)
                                            for k in ("id", "name", "date"))
        if not (named and type(r.get("runs")) is int and r["runs"] >= 0) or r["id"] in out:
            raise ProvenanceError("a source record is malformed or repeated")
        end = run + r["runs"]
        if end > offsets.size - 1:
            raise ProvenanceError("sources name more runs than the file holds")
        out[r["id"]] = Source(r["id"], r["name"], r["date"],
                              tuple(tokens[offsets[i]:offsets[i + 1]] for i in range(run, end)))
        run = end
    if run != offsets.size - 1:
        raise ProvenanceError("the file holds runs no source names")
    return out


def drop_sources(layer: FrozenLayer, sources: dict[str, Source], keep: Callable[[str], bool],
                 settings: TableSettings) -> tuple[FrozenLayer, list[Source]]:
    """The layer without what the sources ``keep`` refuses taught it, and those sources
    (removed from ``sources``)."""
    gone = [s for sid, s in sources.items() if not keep(sid)]
    for s in gone:
        del sources[s.id]
    if gone:
        layer = learn_tokens(layer, [r for s in gone for r in s.runs], settings, -1.0)
    return layer, gone
