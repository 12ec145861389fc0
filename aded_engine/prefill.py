"""Reading a prompt into the KV cache in pieces, so that a long one reports its progress and
can be stopped.

A 3,600-token prompt takes minutes on a small CPU; evaluated in one go it would show nothing
and ignore Stop. Here it is evaluated ``chunk`` tokens at a time (llama.cpp's n_batch, the
most one ``llama_decode`` takes), with a report and a stop check between pieces.

Invariant: on return the KV cache's sequence 0 holds exactly the returned tokens, whether
the prompt was read whole or stopped part-way (the pieces read stay: a later prompt with
the same beginning goes on from there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from .trigram import common_prefix


@dataclass(frozen=True)
class PrefillProgress:
    done: int  # prompt tokens evaluated so far (of this prefill's new ones)
    total: int  # new tokens this prefill evaluates (those already cached are not counted)
    seconds: float  # since this prefill began

    @property
    def tokens_per_s(self) -> float | None:
        return self.done / self.seconds if self.done and self.seconds > 0 else None

    @property
    def seconds_left(self) -> float | None:
        rate = self.tokens_per_s
        return (self.total - self.done) / rate if rate else None


def prefill(backend, cached: Sequence[int], wanted: Sequence[int],
            on_progress: Callable[[PrefillProgress], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False,
            chunk: int | None = None) -> tuple[list[int], int]:
    """Make sequence 0 hold ``wanted``, given that it holds ``cached`` now, evaluating only
    what it does not hold yet. Returns what it holds on return (``wanted``, or a prefix of it
    when ``should_stop`` said so between two pieces) and how many tokens were evaluated.
    ``on_progress`` hears once before the first piece and after each."""
    keep = common_prefix(cached, wanted)
    if keep < len(cached) and not backend.seq_rm(0, keep, -1):
        backend.clear()  # e.g. sliding-window caches cannot drop a partial range
        keep = 0
    chunk = chunk or backend.settings.n_batch
    total = len(wanted) - keep
    start = time.perf_counter()

    def report(done: int) -> None:
        if on_progress is not None and total > 0:
            on_progress(PrefillProgress(done, total, time.perf_counter() - start))

    report(0)
    held = keep
    while held < len(wanted):
        if should_stop():
            break
        piece = wanted[held:held + chunk]
        backend.eval_prompt(piece, held)
        held += len(piece)
        report(held - keep)
    return list(wanted[:held]), held - keep
