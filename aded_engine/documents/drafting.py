"""ADED learns the whole attached documents, not only the part the prompt holds.

    layer = learn_documents(session, docs, question)   # every drafter of the session sees it
    layer.note                                         # what it took of a very large file

A ``DocumentLayer`` gives the drafter the documents' tri-grams (a table layer like the
conversation's) and their n-grams, with where each occurs: for the evidence a draft has (how
long a run of document text it continues: a reply quoting the document is accepted like a
reply quoting the prompt) and for copy chains (the document text that followed the reply's
last tokens), so a reply that quotes a page the context had no room for is still drafted.

Memory is bounded: at most ``MAX_DOC_TOKENS`` tokens of one document and ``MAX_TOKENS`` in
all (about 100 bytes a token: the text, a hash and a position per n-gram size, the table).
From a larger document it takes the chunks that best match the question first, then evenly
spaced ones. Text is tokenized with the model's tokenizer without parsing special tokens: a
document that contains ``<|im_start|>`` teaches the text, not the control token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..trigram import FrozenLayer, NgramIndex, TableSettings, learn_tokens
from .extract import Document
from .fitting import pick_chunks
from .index import ChunkIndex, chunk_document

MAX_DOC_TOKENS = 150_000
MAX_TOKENS = 300_000
CHARS_PER_TOKEN = 4.0  # at most, in any text: longer ones are not tokenized whole (a 20 MB log)

# occurrences of one n-gram checked for a match, latest first (hash collisions aside, any
# occurrence matches; the bound keeps a common 3-gram from costing a scan of thousands)
_CANDIDATES = 8
_P = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the n-gram hash (mod 2**64)
_MASK = (1 << 64) - 1


def ngram_hashes(run: np.ndarray, n: int) -> np.ndarray:
    """The hash of every n-token window of a run (polynomial, mod 2**64)."""
    m = run.size - n + 1
    if m <= 0:
        return np.empty(0, np.uint64)
    h = np.zeros(m, np.uint64)
    for j in range(n):
        h = h * _P + (run[j:j + m] + np.uint64(1))
    return h


def _hash(tokens: Sequence[int]) -> int:
    h = 0
    for t in tokens:
        h = (h * int(_P) + t + 1) & _MASK
    return h


@dataclass
class DocumentLayer:
    """The documents' n-grams for one conversation (not saved: attachments are).

    Table-layer interface (``successors``, ``unit``) for ``TrigramDrafter.distribution``;
    ``match_length`` and ``continuation`` like ``NgramIndex``'s, for the drafter's evidence
    and its copy chains."""

    layer: FrozenLayer
    text: np.ndarray  # every learned run, each followed by -1 (int32)
    # n -> hashes of the text's n-grams, sorted (windows across a -1 included: no text's
    # tail matches them), and the position just after each of those n-grams (int32)
    hashes: dict[int, np.ndarray]
    ends: dict[int, np.ndarray]
    tokens: int  # tokens learned
    note: str = ""  # what was left out of very large documents; "" when nothing was
    signature: tuple = field(default=(), repr=False)

    unit = 1.0

    @classmethod
    def from_runs(cls, runs: Sequence[Sequence[int]], settings: TableSettings = TableSettings(),
                  note: str = "", signature: tuple = ()) -> "DocumentLayer":
        arrays = [np.asarray(r, np.int64) for r in runs if len(r)]
        layer = learn_tokens(FrozenLayer(), arrays, settings)
        text = np.concatenate([np.append(a, -1) for a in arrays] or [np.empty(0, np.int64)])
        hashes, ends = {}, {}
        for n in NgramIndex.SIZES:
            h = ngram_hashes(text.astype(np.uint64), n)
            order = np.argsort(h, kind="stable")  # equal hashes stay in text order
            hashes[n], ends[n] = h[order], (order + n).astype(np.int32)
        text = text.astype(np.int32)
        return cls(layer, text, hashes, ends, sum(a.size for a in arrays), note, signature)

    def successors(self, key: int) -> dict[int, float] | None:
        return self.layer.successors(key)

    def _find(self, tokens: Sequence[int], n: int, continued: bool = False) -> int:
        """The position after the latest occurrence of the last n tokens in a document (with
        ``continued``: one that a token follows, not the end of a document), or -1."""
        seen = self.hashes[n]
        h = np.uint64(_hash(tokens[-n:]))
        lo, hi = int(np.searchsorted(seen, h)), int(np.searchsorted(seen, h, side="right"))
        want = list(tokens[-n:])
        for i in range(hi - 1, max(lo, hi - _CANDIDATES) - 1, -1):  # latest first
            end = int(self.ends[n][i])
            if (self.text[end - n:end].tolist() == want
                    and not (continued and (end >= self.text.size or self.text[end] < 0))):
                return end
        return -1

    def match_length(self, tokens: Sequence[int]) -> int:
        """The largest size n such that the last n tokens occur in a document (0 if not
        even the last three do)."""
        best = 0
        for n in NgramIndex.SIZES:
            if len(tokens) < n or self._find(tokens, n) < 0:
                break
            best = n
        return best

    def continuation(self, tokens: Sequence[int], limit: int) -> tuple[int, list[int]]:
        """(n, the up to ``limit`` document tokens after the latest occurrence of the
        longest n-gram ending ``tokens`` that a document holds and goes on after); (0, [])
        when there is none for the last three."""
        for n in reversed(NgramIndex.SIZES):
            end = self._find(tokens, n, continued=True) if len(tokens) >= n else -1
            if end >= 0:
                after = self.text[end:end + limit].tolist()
                return n, after[:after.index(-1)] if -1 in after else after
        return 0, []

    def __len__(self) -> int:
        return len(self.layer)


def learn_documents(session, documents: Mapping[str, Document], question: str = "",
                    index: ChunkIndex | None = None, max_doc_tokens: int = MAX_DOC_TOKENS,
                    max_tokens: int = MAX_TOKENS) -> DocumentLayer | None:
    """Give every drafter of ``session`` (a ChatSession) the documents of the conversation
    (key -> Document; all of them, not only this message's); None and nothing when there
    are none. The same documents again reuse the layer already built. ``index``: chunks to
    rank by the question when a document is too large to take whole."""
    if not documents:
        session.learned.documents = None
        return None
    per_doc = max(1, min(max_doc_tokens, max_tokens // len(documents)))
    signature = tuple((k, d.name, len(d.text), hash(d.text)) for k, d in documents.items())
    current = session.learned.documents
    large = any(len(d.text) > per_doc * CHARS_PER_TOKEN for d in documents.values())
    if large:
        signature += (question, per_doc)
    if current is not None and current.signature == signature:
        return current
    runs, notes = [], []
    for key, doc in documents.items():
        doc_runs, note = document_runs(session.backend, key, doc, question, index, per_doc)
        runs += doc_runs
        if note:
            notes.append(note)
    layer = DocumentLayer.from_runs(runs, session.settings.table, "; ".join(notes), signature)
    session.learned.documents = layer
    return layer


def document_runs(vocab, key: str, doc: Document, question: str, index: ChunkIndex | None,
                  cap: int) -> tuple[list[list[int]], str]:
    """Token runs of one document, at most ``cap`` tokens, and a note when that is not all
    of it. ``vocab``: the model's tokenizer (LlamaVocab)."""
    if len(doc.text) <= cap * CHARS_PER_TOKEN:
        run = vocab.tokenize(doc.text, add_special=False, parse_special=False)
        if len(run) <= cap:
            return [run], ""
    chunks = index.chunks(key) if index is not None and index.has(key) else []
    chunks = chunks or chunk_document(key, doc)
    ranked = index.search(question, [key], limit=len(chunks)) if index is not None else []
    # characters per token of this document (digits of a log take a token each), so the
    # chunks chosen come close to the cap and the evenly spaced ones reach its end
    sample = "\n\n".join(c.text for c in chunks[::max(1, len(chunks) // 8)][:8])
    per_token = len(sample) / max(1, len(vocab.tokenize(sample, False, False)))
    chosen = pick_chunks(ranked, chunks, int(cap * per_token), lambda c: len(c.text))
    matched = {c.part for c in ranked}
    runs, total, learned_chars = [], 0, 0
    # the matching chunks first: when the estimate of characters per token was low, it is
    # the evenly spaced ones that get cut
    for group in ([c for c in chosen if c.part in matched],
                  [c for c in chosen if c.part not in matched]):
        for start, end in _merge_spans([(c.start, c.start + len(c.text)) for c in group],
                                       doc.text):
            if total >= cap:
                break
            run = vocab.tokenize(doc.text[start:end], add_special=False, parse_special=False)
            if len(run) > cap - total:
                run = run[:cap - total]
                end = start + len(vocab.detokenize(run))
            total += len(run)
            learned_chars += end - start
            runs.append(run)
    return runs, (f"{doc.name}: drafting learned {learned_chars / len(doc.text):.1%} of it "
                  f"({total:,} tokens: the parts that best match the question, then evenly "
                  "spaced ones)")


def _merge_spans(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Sorted spans, neighbours with only whitespace between them joined."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and not text[merged[-1][1]:s].strip():
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged
