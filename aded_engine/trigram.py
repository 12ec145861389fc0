"""The tri-gram table that approximates the model's own output distribution.

A context is the two previous tokens (a, b); the table keeps, per context, its top-k
successors with weights. A context that was never seen backs off to the one-token context
(b) -- never to a fixed token. Contexts are packed into one integer::

    key(a, b) = (a + 1) << 32 | b        trigram context
    key(-1, b) = b                        bigram (backoff) context

Three kinds of layer are combined when drafting (``TrigramDrafter.distribution``):
  * the conversation: prompt + reply so far, updated with every verified token (CountLayer);
  * history: everything learned from this tokenizer's past conversations (FrozenLayer, on disk);
  * seed corpora the user imported (FrozenLayer, on disk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

BIGRAM = -1


def ctx_key(a: int, b: int) -> int:
    return ((a + 1) << 32) | b


def ngram_triples(tokens: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (context key, successor) pairs of a token run, trigram and bigram contexts.

    >>> k, s = ngram_triples([5, 6, 7]);  # trigram (5,6)->7, bigrams (5)->6, (6)->7
    """
    t = np.asarray(tokens, dtype=np.int64)
    if t.size < 2:
        return np.empty(0, np.uint64), np.empty(0, np.int32)
    tri_keys = ((t[:-2] + 1) << 32) | t[1:-1]
    bi_keys = t[:-1]
    keys = np.concatenate([tri_keys, bi_keys]).astype(np.uint64)
    succ = np.concatenate([t[2:], t[1:]]).astype(np.int32)
    return keys, succ


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token runs."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class CountLayer:
    """A small mutable table: key -> {successor: weight}. Used for the live conversation.

    ``decay`` < 1 weighs recent observations more (counts with exponential recency decay,
    implemented by growing the increment instead of shrinking every count).
    """

    def __init__(self, decay: float = 1.0):
        self.table: dict[int, dict[int, float]] = {}
        self.decay = decay
        self._increment = 1.0

    def add(self, tokens: Sequence[int], start: int = 0) -> None:
        """Count the n-grams whose successor is tokens[i] for i >= max(start, 1)."""
        table = self.table
        for i in range(max(start, 1), len(tokens)):
            c = tokens[i]
            b = tokens[i - 1]
            inc = self._increment
            if self.decay < 1.0:
                self._increment /= self.decay
            for key in (ctx_key(tokens[i - 2], b), b) if i >= 2 else (b,):
                succ = table.get(key)
                if succ is None:
                    table[key] = {c: inc}
                else:
                    succ[c] = succ.get(c, 0.0) + inc
        if self._increment > 1e12:  # renormalise before floats lose precision
            scale = 1.0 / self._increment
            for succ in table.values():
                for c in succ:
                    succ[c] *= scale
            self._increment = 1.0

    def successors(self, key: int) -> dict[int, float] | None:
        return self.table.get(key)

    @property
    def unit(self) -> float:
        """The weight one new observation would get now."""
        return self._increment

    def __len__(self) -> int:
        return len(self.table)


class NgramIndex:
    """Where n-grams of a few lengths occur in a token run (the conversation), so that the
    longest earlier match ending at a draft token is found with a handful of dict lookups,
    and the text that followed that earlier occurrence can be drafted as a chain."""

    SIZES = (3, 4, 6, 8, 12)

    def __init__(self) -> None:
        # n -> n-gram -> the positions just after its two latest occurrences (-1: none)
        self.ends: dict[int, dict[tuple[int, ...], tuple[int, int]]] = {n: {} for n in self.SIZES}

    def add(self, tokens: Sequence[int], start: int = 0) -> None:
        """Index the n-grams ending at tokens[i] for i >= start."""
        for i in range(start, len(tokens)):
            for n in self.SIZES:
                if i + 1 < n:
                    break
                seen = self.ends[n]
                gram = tuple(tokens[i + 1 - n:i + 1])
                seen[gram] = (seen.get(gram, (-1, -1))[1], i + 1)

    def match_length(self, tokens: Sequence[int]) -> int:
        """The largest size n such that the last n tokens occurred as a run before (0 if
        not even the last three did). Seen n-grams nest, so the search stops at a miss."""
        best = 0
        for n in self.SIZES:
            if len(tokens) < n or tuple(tokens[-n:]) not in self.ends[n]:
                break
            best = n
        return best

    def continuation(self, tokens: Sequence[int], limit: int) -> tuple[int, list[int]]:
        """(n, what followed) for the longest n-gram ending ``tokens`` (the indexed run
        itself) that occurred earlier in it: the up to ``limit`` tokens after its latest
        earlier occurrence; (0, []) when the last three tokens are new."""
        end = len(tokens)
        for n in reversed(self.SIZES):
            if end < n:
                continue
            previous, latest = self.ends[n].get(tuple(tokens[-n:]), (-1, -1))
            after = latest if latest < end else previous  # ``latest`` is the end itself
            if after >= 0:
                return n, list(tokens[after:after + limit])
        return 0, []


@dataclass
class FrozenLayer:
    """A compact table in sorted arrays (CSR): loads in milliseconds, lookups by bisection.

    keys:    (n_ctx,)  uint64, sorted, unique
    offsets: (n_ctx+1,) int64, successors of keys[i] are succ[offsets[i]:offsets[i+1]]
    succ:    (n_entries,) int32, within a context sorted by weight descending
    weight:  (n_entries,) float32, counts (history learns by adding and forgetting counts)
    """

    keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    succ: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    weight: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))

    unit = 1.0  # one observation

    def __len__(self) -> int:
        return int(self.succ.size)

    def successors(self, key: int) -> dict[int, float] | None:
        keys = self.keys
        i = int(np.searchsorted(keys, np.uint64(key)))
        if i >= keys.size or int(keys[i]) != key:
            return None
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return dict(zip(self.succ[lo:hi].tolist(), self.weight[lo:hi].tolist()))

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = np.diff(self.offsets)
        return np.repeat(self.keys, counts), self.succ, self.weight

    @classmethod
    def from_triples(cls, keys: np.ndarray, succ: np.ndarray, weight: np.ndarray,
                     top_k: int, max_entries: int) -> "FrozenLayer":
        """Sum duplicate (key, successor) weights, drop non-positive ones, keep the top_k
        successors per context, then the max_entries strongest entries overall."""
        if keys.size == 0:
            return cls()
        pair = np.lexsort((succ, keys))
        keys, succ, weight = keys[pair], succ[pair], weight[pair].astype(np.float64)
        new_pair = np.empty(keys.size, bool)
        new_pair[0] = True
        new_pair[1:] = (keys[1:] != keys[:-1]) | (succ[1:] != succ[:-1])
        starts = np.flatnonzero(new_pair)
        keys, succ = keys[starts], succ[starts]
        weight = np.add.reduceat(weight, starts)
        alive = weight > 1e-6
        keys, succ, weight = keys[alive], succ[alive], weight[alive]
        # order by context, then weight descending, then token (deterministic ties)
        order = np.lexsort((succ, -weight, keys))
        keys, succ, weight = keys[order], succ[order], weight[order]
        rank = _rank_within_groups(keys)
        keep = rank < top_k
        if keep.sum() > max_entries:  # prune the weakest entries overall
            threshold = np.sort(weight[keep])[-max_entries]
            keep &= weight >= threshold
            keep &= np.cumsum(keep) <= max_entries
        keys, succ, weight = keys[keep], succ[keep], weight[keep]
        uniq, first = np.unique(keys, return_index=True)
        offsets = np.append(first, keys.size).astype(np.int64)
        return cls(uniq.astype(np.uint64), offsets, succ.astype(np.int32), weight.astype(np.float32))

    def plus(self, keys: np.ndarray, succ: np.ndarray, weight: np.ndarray | float,
             top_k: int, max_entries: int) -> "FrozenLayer":
        """This table with extra (possibly negative, to forget) weights added."""
        k0, s0, w0 = self.triples()
        w = np.broadcast_to(np.asarray(weight, np.float32), keys.shape)
        return FrozenLayer.from_triples(np.concatenate([k0, keys.astype(np.uint64)]),
                                        np.concatenate([s0, succ.astype(np.int32)]),
                                        np.concatenate([w0, w]), top_k, max_entries)


def _rank_within_groups(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal keys."""
    idx = np.arange(sorted_keys.size)
    new = np.empty(sorted_keys.size, bool)
    new[:1] = True
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_start = np.maximum.accumulate(np.where(new, idx, 0))
    return idx - group_start


def top_successors(probs: dict[int, float], top_k: int) -> list[tuple[int, float]]:
    """[(token, probability)] of the top_k, most likely first, ties by token id; rescaled
    only if boosts pushed the total above 1."""
    total = sum(probs.values())
    if total <= 0:
        return []
    scale = 1.0 / total if total > 1.0 else 1.0
    best = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    return [(t, p * scale) for t, p in best]


@dataclass(frozen=True)
class TableSettings:
    top_k: int = 12
    adaptation: str = "decay"  # "decay": recency-decayed counts; "paper": +0.04 boosts (ADED code)
    decay_half_life: float = 512.0  # tokens, for "decay"
    boost: float = 0.04  # "paper": per occurrence in the recent window
    boost_cap: float = 3.0
    boost_window: int = 16
    backoff: float = 0.3  # weight of a layer's bigram context when its trigram is unseen
    # pseudo-observations of "something else follows": a successor seen once gets 1/(1+1),
    # seen five times out of five 5/6, so the estimate carries how much evidence it has
    smoothing: float = 1.0
    layer_weights: tuple[float, float, float] = (4.0, 1.0, 0.5)  # conversation, history, corpus
    document_weight: float = 4.0  # documents attached to the conversation: as if in the prompt
    max_entries: int = 4_000_000  # bound on a persisted layer (about 16 bytes an entry)


@dataclass
class LearnedLayers:
    """The persisted layers, shared by every drafter of one model (replaced, not mutated,
    when they learn), and the documents attached to the current conversation (not saved;
    a ``documents.drafting.DocumentLayer``: successors like a layer, ``match_length`` and
    ``continuation`` like ``NgramIndex``)."""

    history: FrozenLayer = field(default_factory=FrozenLayer)
    corpus: FrozenLayer = field(default_factory=FrozenLayer)
    documents: object | None = None


class TrigramDrafter:
    """Combines the layers into one next-token distribution and adapts to verified tokens.

    Drafter interface: ``distribution(a, b)`` for the tree search, ``copy_chain(limit)`` for
    the text that followed the last tokens before, ``evidence(tokens)`` for the calibration,
    ``observe(tokens)`` after every verification, ``start(prompt_tokens)`` when a new reply
    begins.
    """

    def __init__(self, settings: TableSettings = TableSettings(),
                 learned: LearnedLayers | None = None, adapt: bool = True):
        self.settings = settings
        self.learned = learned or LearnedLayers()
        self.adapt = adapt
        decay = 0.5 ** (1.0 / settings.decay_half_life) if settings.adaptation == "decay" else 1.0
        self.conversation = CountLayer(decay)
        self.ngrams = NgramIndex()
        self.boosts: dict[int, dict[int, float]] = {}
        self.tokens: list[int] = []
        self._cache: dict[int, list[tuple[int, float]]] = {}

    def start(self, context_tokens: Sequence[int]) -> None:
        """A new reply: learn the whole context that is not learned yet (prompt + history of
        this conversation; the KV-reused prefix was learned before)."""
        common = common_prefix(self.tokens, context_tokens)
        if common < len(self.tokens):  # the conversation was edited: start the layer afresh
            self.conversation = CountLayer(self.conversation.decay)
            self.ngrams = NgramIndex()
            self.boosts.clear()
            common = 0
        self.tokens = list(context_tokens)
        self.conversation.add(self.tokens, common)
        self.ngrams.add(self.tokens, common)
        self._cache.clear()

    def observe(self, tokens: Sequence[int]) -> None:
        """Verified tokens were appended to the text."""
        start = len(self.tokens)
        self.tokens.extend(tokens)
        self.ngrams.add(self.tokens, start)
        if self.adapt:
            self.conversation.add(self.tokens, start)
            if self.settings.adaptation == "paper":
                self._boost_recent()
        self._cache.clear()

    def _boost_recent(self) -> None:
        """ADED's rule: every tri-gram in the recent window gains +boost, capped, no decay."""
        s = self.settings
        recent = self.tokens[-s.boost_window:]
        for i in range(2, len(recent)):
            succ = self.boosts.setdefault(ctx_key(recent[i - 2], recent[i - 1]), {})
            succ[recent[i]] = min(s.boost_cap, succ.get(recent[i], 0.0) + s.boost)

    def evidence(self, tokens: Sequence[int]) -> int:
        """How long a context the conversation has already seen the last token of ``tokens``
        (the text plus a draft path) follow: the length of the longest n-gram ending there
        that occurred before, in the conversation or in an attached document. The table's
        probability cannot tell a successor seen once from one the text is copying; the
        acceptance calibration uses this to tell them apart."""
        found = self.ngrams.match_length(tokens)
        documents = self.learned.documents
        if documents is not None and found < NgramIndex.SIZES[-1]:
            found = max(found, documents.match_length(tokens))
        return found

    def copy_chain(self, limit: int) -> list[int]:
        """The text that followed the longest earlier occurrence of the conversation's last
        tokens, in the conversation or in an attached document (the longer match wins, the
        conversation on a tie): what a reply that quotes, edits or repeats text goes on
        with. [] when not even the last three tokens occurred before."""
        n, chain = self.ngrams.continuation(self.tokens, limit)
        documents = self.learned.documents
        if documents is not None and n < NgramIndex.SIZES[-1]:
            m, quoted = documents.continuation(self.tokens, limit)
            if m > n and quoted:
                chain = quoted
        return chain

    def distribution(self, a: int, b: int) -> list[tuple[int, float]]:
        """Top-k [(token, probability)] after context (a, b); [] when nothing is known."""
        key = ctx_key(a, b)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        s = self.settings
        mixed: dict[int, float] = {}
        weight_sum = 0.0
        layers = list(zip((self.conversation, self.learned.history, self.learned.corpus),
                          s.layer_weights))
        if self.learned.documents is not None:
            layers.append((self.learned.documents, s.document_weight))
        for layer, w in layers:
            succ = layer.successors(key)
            weight = w
            if succ is None:
                succ = layer.successors(b)
                weight = w * s.backoff
            if not succ:
                continue
            weight_sum += weight
            scale = weight / (sum(succ.values()) + s.smoothing * layer.unit)
            for t, c in succ.items():
                mixed[t] = mixed.get(t, 0.0) + scale * c
        for t in mixed:
            mixed[t] /= weight_sum
        boosts = self.boosts.get(key)
        if mixed and boosts:
            for t, bonus in boosts.items():
                mixed[t] = mixed.get(t, 0.0) + bonus
        result = top_successors(mixed, s.top_k)
        self._cache[key] = result
        return result


def learn_tokens(layer: FrozenLayer, runs: Iterable[Sequence[int]], settings: TableSettings,
                 sign: float = 1.0) -> FrozenLayer:
    """Add (sign=+1) or forget (sign=-1) the n-grams of several token runs."""
    keys, succ = [], []
    for run in runs:
        k, s = ngram_triples(run)
        keys.append(k)
        succ.append(s)
    if not keys:
        return layer
    k = np.concatenate(keys)
    s = np.concatenate(succ)
    return layer.plus(k, s, np.float32(sign), settings.top_k, settings.max_entries)
