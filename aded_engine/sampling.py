"""Choosing the next token from one row of logits: greedy, or sampled with the usual filters,
after a repeat penalty over the tokens before it.

Plain decoding and ADED call the same function, so speculative sampling is lossless by
construction (see verify.py): the verifier draws from exactly the distribution below, and
each row of a draft tree is penalized by its own path's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 0.0  # 0: greedy
    top_k: int = 40  # 0: off
    top_p: float = 0.95  # 1: off
    min_p: float = 0.05  # 0: off
    seed: int | None = None
    max_tokens: int = 512
    repeat_penalty: float = 1.0  # 1: off; llama.cpp's penalty over the last tokens
    repeat_last_n: int = 64  # at least 1

    def __post_init__(self):
        if self.repeat_last_n < 1:
            raise ValueError(f"repeat_last_n must be at least 1, not {self.repeat_last_n}")

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    @property
    def argmax_only(self) -> bool:
        """Greedy with no penalty: the verifier can take every row's argmax in one pass."""
        return self.greedy and self.repeat_penalty == 1.0


# What the app samples chat replies with by default, as LM Studio and llama.cpp do: a
# mild repeat penalty over the last 64 tokens, because greedy replies of small models loop
# (aded-bench --sampling chat measures with these too).
CHAT_SAMPLING = SamplingSettings(temperature=0.7, top_k=40, top_p=0.95, min_p=0.05,
                                 repeat_penalty=1.1, repeat_last_n=64)


def penalized(logits: np.ndarray, recent: Sequence[int], penalty: float) -> np.ndarray:
    """llama.cpp's repeat penalty: each distinct token of ``recent`` has its logit divided by
    ``penalty`` where positive and multiplied where negative (a copy; ``logits`` is kept)."""
    if penalty == 1.0 or len(recent) == 0:
        return logits
    ids = np.unique(np.asarray(recent, dtype=np.int64))
    row = np.array(logits, dtype=np.float64)
    seen = row[ids]
    row[ids] = np.where(seen > 0, seen / penalty, seen * penalty)
    return row


def filtered_distribution(logits: np.ndarray, s: SamplingSettings) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, probabilities) after temperature, top-k, top-p and min-p.

    Only top-p needs the candidates sorted by probability; otherwise they stay in id order,
    which spares a sort of the whole vocabulary when top-k is off.
    """
    row = np.asarray(logits, dtype=np.float64)
    k = s.top_k if 0 < s.top_k < row.size else row.size
    ids = np.sort(np.argpartition(-row, k - 1)[:k]) if k < row.size else np.arange(row.size)
    z = row[ids] / s.temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    if s.top_p < 1.0:
        order = np.lexsort((ids, -p))  # most likely first, ties by id
        ids, p = ids[order], p[order]
        keep = int(np.searchsorted(np.cumsum(p), s.top_p)) + 1
        ids, p = ids[:keep], p[:keep]
    if s.min_p > 0.0:
        keep = p >= s.min_p * p.max()
        ids, p = ids[keep], p[keep]
    return ids, p / p.sum()


class Sampler:
    """``pick(logits_row, history) -> token``; holds the random generator of one reply.
    ``history``: the tokens before the one being chosen (only its tail is read)."""

    def __init__(self, settings: SamplingSettings):
        self.settings = settings
        self.rng = np.random.default_rng(settings.seed)

    def pick(self, logits: np.ndarray, history: Sequence[int] = ()) -> int:
        s = self.settings
        if s.repeat_penalty != 1.0:
            logits = penalized(logits, history[-s.repeat_last_n:], s.repeat_penalty)
        if s.greedy:
            return int(np.argmax(logits))
        ids, p = filtered_distribution(logits, s)
        return int(ids[self.rng.choice(p.size, p=p)])
