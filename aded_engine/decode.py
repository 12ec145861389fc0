"""The draft -> verify -> accept loop, and the statistics it reports.

Token bookkeeping, the one invariant of this module: ``text`` is every token of the
conversation so far; the KV cache (sequence 0) holds ``text[:-1]``; the last token is the
"root" that the next verification evaluates together with its draft tree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Callable

from .cost import PlainStepClock
from .machine_load import cpu_wait_ns, load_ratio, was_busy
from .proposer import TreeProposer
from .search import DraftTree
from .sampling import Sampler
from .thread_governor import ThreadGovernor
from .verify import verify_tree


@dataclass
class StepStats:
    nodes: int  # draft nodes verified with the root in one llama_decode
    accepted: int  # drafted tokens accepted
    emitted: int  # tokens added to the text by this step (accepted + the verifier's own)
    draft_ms: float
    verify_ms: float
    step_ms: float


@dataclass
class DecodeCounts:
    """What some decoding did, summed: one reply's, or a benchmark method's over many."""

    tokens: int = 0
    seconds: float = 0.0
    calls: int = 0  # llama_decode calls (one per step)
    ended: int = 0  # end-of-generation tokens produced (not in ``tokens``: not reply text)
    nodes: int = 0
    accepted: int = 0
    draft_ms: float = 0.0

    def add(self, other: DecodeCounts) -> None:
        for f in fields(DecodeCounts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_call(self) -> float:
        """Tokens the calls produced, per call: the end-of-generation token counts as
        produced by its call (that call chose it, as another call chooses a text token), so a
        reply that ends by itself after a step with no accepted draft is not counted below one
        token per call. Never below 1.0 when there were calls: every call produces at least
        one token (its root's next token)."""
        return (self.tokens + self.ended) / self.calls if self.calls else 0.0

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.nodes if self.nodes else 0.0

    @property
    def draft_share(self) -> float:
        return self.draft_ms / (1000 * self.seconds) if self.seconds > 0 else 0.0


@dataclass
class ReplyStats(DecodeCounts):
    verify_ms: float = 0.0
    baseline_ms_per_token: float = 0.0  # one plain step here, now (PlainStepClock)
    plain_ms: float = 0.0  # what plain decoding's steps would have cost for these tokens
    finish_reason: str = ""  # "stop" | "length" | "cancelled" | "context"
    steps: list[StepStats] = field(default_factory=list, repr=False)
    # whether other programs slowed the reply (machine_load.py): each call's ms per one-row
    # equivalent, and the calls the thread governor made on fewer threads by its choice
    row_ms: list[float] = field(default_factory=list, repr=False)
    reduced_calls: int = 0
    waited_share: float | None = None  # CPU wait of runnable threads over threads x time

    MIN_TOKENS_FOR_SPEEDUP = 16

    @property
    def speedup(self) -> float | None:
        """Time plain decoding would have taken for these tokens (each step's tokens at the
        plain-step cost measured at that moment, plus this loop's own per-step overhead)
        over the time taken; None until enough tokens were seen to say."""
        if self.tokens < self.MIN_TOKENS_FOR_SPEEDUP or self.seconds <= 0:
            return None
        overhead_ms = max(0.0, 1000 * self.seconds - self.draft_ms - self.verify_ms) / self.calls
        measured = (self.plain_ms + self.tokens * overhead_ms) / (1000 * self.seconds)
        # no draft accepted: plain decoding at best, whatever the baseline's noise says
        # (a load that came and went must not read as a gain); drafts that all failed cost
        return measured if self.accepted else min(1.0, measured)

    @property
    def load_ratio(self) -> float | None:
        """The calls' mean time over their fast ones; None until enough calls to say."""
        return load_ratio(self.row_ms)

    @property
    def busy(self) -> bool:
        """Other programs loaded the machine enough to slow this reply down."""
        return was_busy(self.load_ratio, self.reduced_calls, self.calls, self.waited_share)

    def summary(self) -> dict:
        return {"tokens": self.tokens, "seconds": round(self.seconds, 4),
                "tokens_per_s": round(self.tokens_per_s, 2), "calls": self.calls,
                "tokens_per_call": round(self.tokens_per_call, 3),
                "nodes_verified": self.nodes, "drafts_accepted": self.accepted,
                "acceptance_rate": round(self.acceptance_rate, 3),
                "draft_share": round(self.draft_share, 4),
                "speedup": None if self.speedup is None else round(self.speedup, 3),
                "load_ratio": None if self.load_ratio is None else round(self.load_ratio, 2),
                "busy": self.busy, "finish_reason": self.finish_reason}


@dataclass
class StepEvent:
    tokens: list[int]  # new tokens of this step (end-of-generation token excluded)
    from_draft: list[bool]  # per token: was it a drafted token the verifier accepted
    step: StepStats
    reply: ReplyStats


def decode_reply(backend, text: list[int], proposer: TreeProposer, sampler: Sampler,
                 max_tokens: int, on_step: Callable[[StepEvent], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False,
                 keep_logits: list | None = None,
                 governor: ThreadGovernor | None = None) -> ReplyStats:
    """Generate up to ``max_tokens`` tokens after ``text`` (extended in place).

    ``keep_logits``: if a list is given, the logits row that chose each emitted token is
    appended to it (for tests that check every token against the verifier). ``governor``
    hears every step's rows and time, and may change the thread count between steps.
    """
    clock = PlainStepClock(proposer.curve.single_token_ms)
    stats = ReplyStats(baseline_ms_per_token=clock.ms)
    last_n = sampler.settings.repeat_last_n
    # a tree row's history is the text, then the path to it
    pick = None if sampler.settings.argmax_only else (
        lambda row, path: sampler.pick(row, text[-last_n:] + path))
    start = time.perf_counter()
    waited_before = cpu_wait_ns()
    while stats.tokens < max_tokens:
        if should_stop():
            stats.finish_reason = "cancelled"
            break
        if len(text) + 1 >= backend.n_ctx:
            stats.finish_reason = "context"
            break
        t0 = time.perf_counter()
        tree = DraftTree() if clock.due() else proposer.propose(text)
        room = backend.n_ctx - len(text) - 1
        if len(tree) > room:
            tree = tree.subset([i for i, d in enumerate(tree.depths()) if d <= room][:room])
        reduced = governor is not None and governor.reduced  # before it hears this call
        t1 = time.perf_counter()
        result = verify_tree(backend, len(text) - 1, text[-1], tree, pick)
        t2 = time.perf_counter()
        verify_ms = (t2 - t1) * 1000
        proposer.learn(tree, result, verify_ms)
        clock.record(len(tree), verify_ms)
        if governor is not None:
            governor.record(1 + len(tree), verify_ms)

        new = result.tokens[:max_tokens - stats.tokens]
        for i, tok in enumerate(new):
            if backend.is_eog(tok):
                new = new[:i]
                stats.finish_reason = "stop"
                stats.ended = 1  # chosen by this call: counted in tokens_per_call
                break
        if keep_logits is not None:
            keep_logits.extend(result.logits[r].copy() for r in result.path_rows[:len(new)])
        n_drafted = min(len(result.accepted_nodes), len(new))
        text.extend(new)
        if len(new) < len(result.tokens):  # cut short: the cache must not run ahead of text
            backend.seq_rm(0, len(text) - 1, -1)
        proposer.observe(new)

        step = StepStats(len(tree), len(result.accepted_nodes), len(new), (t1 - t0) * 1000,
                         verify_ms, (time.perf_counter() - t0) * 1000)
        stats.calls += 1
        stats.tokens += len(new)
        stats.nodes += step.nodes
        stats.accepted += step.accepted
        stats.draft_ms += step.draft_ms
        stats.verify_ms += step.verify_ms
        stats.row_ms.append(verify_ms / proposer.curve.relative(1 + step.nodes))
        stats.reduced_calls += reduced
        stats.steps.append(step)
        stats.seconds = time.perf_counter() - start
        stats.baseline_ms_per_token = clock.ms
        stats.plain_ms += len(new) * clock.ms
        if on_step:
            on_step(StepEvent(new, [True] * n_drafted + [False] * (len(new) - n_drafted), step, stats))
        if stats.finish_reason:
            break
    else:
        stats.finish_reason = "length"
    stats.seconds = time.perf_counter() - start
    waited_after = cpu_wait_ns()
    if waited_before is not None and waited_after is not None and stats.seconds > 0:
        stats.waited_share = (waited_after - waited_before) / (
            1e9 * stats.seconds * max(1, backend.n_threads))
    return stats
