"""A loaded model with its tri-gram tables and one conversation's KV cache: the engine's
front door for the app, the CLI and the benchmark.

    session = ChatSession("model.gguf")
    reply = session.generate([{"role": "user", "content": "Hi"}], SamplingSettings(),
                             on_event=lambda ev: print(ev.text, end=""))
    session.learn_exchange(["Hi", reply.text])   # history layer, saved to disk
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from .backend import BackendSettings, LlamaBackend
from .chat_template import ChatFormatter
from .cost import GPU_SIZES, CostCurve, backend_cost_curve
from .decode import ReplyStats, StepEvent, decode_reply
from .prefill import PrefillProgress, prefill
from .learned_tables import LearnedTables
from .load_phases import LoadPhases
from .model_speeds import record_reply
from .paths import cache_dir
from .probe import safe_mode
from .prompt_pieces import PromptPieces
from .proposer import AdedSettings, TreeProposer
from .sampling import Sampler, SamplingSettings
from .set_aside import take_notes
from .text_check import check_messages
from .thread_governor import ThreadGovernor, thread_counts
from .trigram import LearnedLayers, TableSettings, TrigramDrafter


def cost_cache_file() -> Path:
    """The batch-cost curves measured on this machine, per model and settings (cost.py)."""
    return cache_dir() / "batch-cost.json"


class ContextOverflowError(ValueError):
    """The newest message alone does not fit the context; nothing was generated."""


@dataclass(frozen=True)
class SessionSettings:
    backend: BackendSettings = BackendSettings()
    aded: AdedSettings = AdedSettings()
    table: TableSettings = TableSettings()


@dataclass
class FitResult:
    messages: list[dict]
    dropped: int  # oldest non-system messages left out to fit the context
    prompt_tokens: list[int]


@dataclass
class StreamEvent:
    text: str  # new text (whole characters only)
    pieces: list[tuple[str, bool]]  # (text of a token, came from an accepted draft)
    step: StepEvent


@dataclass
class Reply:
    text: str
    tokens: list[int]
    stats: ReplyStats
    fit: FitResult | None = None  # None: decoded from a token prompt, not from messages
    logits: list = field(default_factory=list, repr=False)


class TextStream:
    """Token ids in, text out, never half a UTF-8 character (a multi-byte character split
    over several tokens appears with the token that completes it)."""

    def __init__(self, piece: Callable[[int], bytes]):
        self._piece = piece
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, token: int) -> str:
        return self._utf8.decode(self._piece(token))

    def flush(self) -> str:
        return self._utf8.decode(b"", final=True)


class ChatSession:
    """One model (``backend``), what it learned (``tables``), its drafters (``proposer``,
    ``plain``) and what the KV cache holds of the conversation (``kv_tokens``)."""

    def __init__(self, model_path: str | Path, settings: SessionSettings = SessionSettings(),
                 progress: Callable[[float, str], None] | None = None):
        """``progress(fraction, phase label)`` hears the load's phases (load_phases.py);
        ``load_seconds`` keeps how long each took."""
        phases = LoadPhases(progress)
        # The first use of a model file, llama.cpp build and CPU is tried in a child process:
        # a native crash there picks a safe configuration instead of killing this process.
        phases.begin("probe")
        backend_settings, self.load_note = safe_mode(model_path, settings.backend)
        settings = replace(settings, backend=backend_settings)
        self.settings = settings
        phases.begin("weights")

        def on_weights(fraction: float) -> None:
            if phases.current == "weights":
                phases.within(fraction)
                if fraction >= 1.0:  # llama.cpp goes on to make the context
                    phases.begin("context")
        self.backend = LlamaBackend(model_path, settings.backend, on_weights)
        b = self.backend
        self.formatter = ChatFormatter(b.chat_template, b.token_text(b.bos) if b.bos >= 0 else "",
                                       "")
        phases.begin("tokenizer")
        self.fingerprint = b.vocab_fingerprint
        phases.begin("tables")
        self.tables = LearnedTables(b)
        phases.begin("cost")
        self.curve = backend_cost_curve(b, cost_cache_file())
        # on a CPU another program can take a core: fewer threads may then be faster
        self.governor = ThreadGovernor(thread_counts(b.n_threads), self.curve.relative,
                                       b.set_threads) if b.device_name == "CPU" else None
        phases.done()
        self.load_seconds = phases.seconds
        self.kv_tokens: list[int] = []  # exactly what the KV cache's sequence 0 holds
        self.last_prefill = 0  # tokens evaluated to prepare the last reply's prompt
        self._renew_proposers()
        # files found damaged while loading (tables, calibration, batch costs, verdicts):
        # set aside, defaults used instead
        self.problems = take_notes()

    # --- description -------------------------------------------------------------------
    @property
    def can_draft(self) -> bool:
        """False where batches of more than one row crash (probe.py): plain decoding only."""
        return not self.settings.backend.single_row_batches

    @property
    def info(self) -> dict:
        b = self.backend
        return {"model": b.path.name, "path": str(b.path), "description": b.description,
                "device": b.device_name, "threads": b.n_threads,
                "gpu_layers": self.settings.backend.n_gpu_layers, "n_ctx": b.n_ctx,
                # the context asked for, and the model's trained one that can cap it
                "n_ctx_asked": self.settings.backend.n_ctx, "n_ctx_train": b.n_ctx_train,
                "n_vocab": b.n_vocab, "chat_template": "fallback (ChatML)" if
                self.formatter.is_fallback else "from the model",
                "single_token_ms": round(self.curve.single_token_ms, 2),
                "fingerprint": self.fingerprint, "load_seconds": dict(self.load_seconds),
                "load_note": self.load_note}

    # --- batch cost ----------------------------------------------------------------------
    def measure_again(self) -> CostCurve:
        """Settings › Measure this machine again: the cached batch-cost curve dropped and
        measured now, as at a start (the full thread count, whatever the governor chose
        meanwhile: the cache is keyed by it). A steady curve is cached and used from the next
        step on; one whose timings scattered (a busy machine) is returned but neither cached
        nor used: the curve in use is better than one a busy spell flattened."""
        b = self.backend
        # the scratch rows go after the conversation (cost.measure_cost_curve, from position
        # 64 on); without room for them, the next reply reads its prompt again
        if max(64, len(self.kv_tokens)) + GPU_SIZES[-1] > b.n_ctx:
            self.kv_tokens = []
            b.clear()
        in_use = b.n_threads
        full = self.governor.counts[0] if self.governor is not None else in_use
        if full != in_use:
            b.set_threads(full)
        try:
            curve = backend_cost_curve(b, cost_cache_file(), fresh=True)
        finally:
            if full != in_use:
                b.set_threads(in_use)
        if curve.steady:
            self.curve.take(curve)
        return curve

    # --- tables ------------------------------------------------------------------------
    @property
    def learned(self) -> LearnedLayers:
        return self.tables.layers

    @property
    def table_problems(self) -> list[str]:
        """Files found damaged at load (set aside; empty tables or defaults used instead)."""
        return self.problems

    def new_proposer(self, aded: AdedSettings) -> TreeProposer:
        """A drafter with its own live table and calibration over this model's tables
        (the benchmark runs several side by side)."""
        if not self.can_draft:
            aded = replace(aded, enabled=False)
        drafter = TrigramDrafter(self.settings.table, self.learned, adapt=aded.adapt)
        return TreeProposer(drafter, aded, self.curve, self.tables.load_calibration())

    def _renew_proposers(self) -> None:
        """A fresh ADED drafter (empty conversation layer, calibration as saved); the plain
        one is made again when next asked for."""
        self.proposer = self.new_proposer(self.settings.aded)
        self._sampled = False  # the proposer's calibration is greedy replies' (learned_tables)
        self._plain = None

    def reconfigure(self, aded: AdedSettings, table: TableSettings) -> None:
        """New ADED settings without reloading the model (the live drafter starts afresh;
        the learned tables and the calibration stay)."""
        self.settings = replace(self.settings, aded=aded, table=table)
        self._renew_proposers()

    @property
    def drafter(self) -> TrigramDrafter:
        return self.proposer.drafter

    def learn_exchange(self, texts: Sequence[str], replacing: Sequence[str] = (),
                       source: str | None = None) -> None:
        """Add finished messages to this tokenizer's history table and save it.
        ``source`` (provenance.py) records what they taught, so ``forget_sources`` takes
        exactly that out again; learning a source again replaces what it taught before.
        ``replacing``: texts learned before without a source that these take the place of
        (a reply that was continued is learned again whole)."""
        if replacing:
            self.tables.forget(replacing, self.settings.table)
        if texts:
            self.tables.learn(texts, self.settings.table, source)

    def forget_sources(self, keep: Callable[[str], bool], layer: str = "history") -> int:
        """Forget exactly what every source ``keep`` refuses taught this model's table (on
        disk and in memory: the live drafter and the KV cache start afresh when anything was
        forgotten); returns how many sources were forgotten."""
        gone = self.tables.forget_sources(layer, keep, self.settings.table)
        if gone:
            self._renew_proposers()
            self.kv_tokens = []
            self.backend.clear()
        return len(gone)

    def forget_exchange(self, texts: Sequence[str]) -> None:
        """Remove what ``learn_exchange`` added for these texts (a deleted conversation),
        from the table on disk and from the live conversation layer and KV cache."""
        self.tables.forget(texts, self.settings.table)
        self._renew_proposers()
        self.kv_tokens = []
        self.backend.clear()

    def reset_tables(self) -> None:
        """Forget everything learned for this tokenizer (the files are deleted) and how
        often this model accepted drafts."""
        self.tables.reset()
        self._renew_proposers()

    # --- prompts -----------------------------------------------------------------------
    def prompt_tokens(self, messages: list[dict], continue_reply: bool = False) -> list[int]:
        """The prompt for the next reply; ``continue_reply``: the last message is a reply cut
        short (length limit, crash), and the prompt ends inside it so the model goes on."""
        return self._pieces().tokens(messages, continue_reply)

    def _pieces(self) -> PromptPieces:
        """Tokens of prompts, each message's text tokenized once and never as control
        tokens (prompt_pieces.py)."""
        b = self.backend
        return PromptPieces(self.formatter, lambda text, special, parse: b.tokenize(
            text, add_special=special, parse_special=parse), b.add_bos)

    def fit(self, messages: list[dict], max_tokens: int,
            continue_reply: bool = False) -> FitResult:
        """Drop the oldest turns (never the system prompt, never the newest message, nor,
        when continuing a reply, the message it answers) until the prompt leaves room for the
        reply. A user message goes with the replies after it, so the kept turns still start
        with a user message: templates such as Mistral's and Gemma's refuse a conversation
        whose roles do not alternate."""
        room = self.backend.n_ctx - min(max_tokens, self.backend.n_ctx // 4)
        check_messages(messages)
        pieces = self._pieces()
        newest = 2 if continue_reply else 1
        # the newest message alone first: one too long for the context is refused at once,
        # a huge one after reading its beginning only (a prefix never has more tokens than
        # the whole, give or take the one cut at its end)
        newest_text = messages[-1]["content"] if messages else ""
        head = 16 * room  # characters: far more than room tokens of any text
        alone = len(pieces.content_tokens(newest_text[:head]))
        at_least = len(newest_text) > head  # ``alone`` counts only the beginning
        if alone <= room + 1 and at_least:
            alone, at_least = len(pieces.content_tokens(newest_text)), False
        kept, dropped = list(messages), 0
        while True:
            n = alone if alone > room + 1 else pieces.length(kept, continue_reply)
            if n <= room:
                return FitResult(kept, dropped, pieces.tokens(kept, continue_reply))
            removable = [i for i, m in enumerate(kept[:-newest]) if m.get("role") != "system"]
            if not removable or alone > room + 1:
                many = f"more than {n - 1:,}" if at_least else n
                raise ContextOverflowError(
                    f"the message is {many} tokens long but the context holds "
                    f"{self.backend.n_ctx} (with {self.backend.n_ctx - room} kept for the "
                    "reply); shorten it or raise the context size")
            del kept[removable[0]]
            dropped += 1
            while (removable[0] < len(kept) - 1
                   and kept[removable[0]].get("role") not in ("user", "system")):
                del kept[removable[0]]
                dropped += 1

    # --- generation --------------------------------------------------------------------
    def generate(self, messages: list[dict], sampling: SamplingSettings = SamplingSettings(),
                 on_event: Callable[[StreamEvent], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False,
                 proposer: TreeProposer | None = None, keep_logits: bool = False,
                 on_fit: Callable[[FitResult], None] | None = None,
                 on_prefill: Callable[[PrefillProgress], None] | None = None,
                 continue_reply: bool = False) -> Reply:
        """Reply to a conversation: fit it to the context (``on_fit`` hears how, before
        decoding starts), then decode as ``generate_from_tokens`` does. ``continue_reply``:
        go on with the last message, a reply cut short; the reply is what comes after it."""
        fit = self.fit(messages, sampling.max_tokens, continue_reply)
        if on_fit is not None:
            on_fit(fit)
        reply = self.generate_from_tokens(fit.prompt_tokens, sampling, on_event, should_stop,
                                          proposer, keep_logits, on_prefill)
        return replace(reply, fit=fit)

    def generate_from_tokens(self, prompt: list[int], sampling: SamplingSettings = SamplingSettings(),
                             on_event: Callable[[StreamEvent], None] | None = None,
                             should_stop: Callable[[], bool] = lambda: False,
                             proposer: TreeProposer | None = None,
                             keep_logits: bool = False,
                             on_prefill: Callable[[PrefillProgress], None] | None = None) -> Reply:
        """Reply to a tokenized prompt. ``proposer``: default the session's ADED drafter;
        ``session.plain`` decodes one token per call (the baseline). ``on_prefill`` hears how
        far the prompt has been read; Stop works there too (an empty "cancelled" reply)."""
        proposer = proposer or self.proposer
        if proposer is self.proposer and self._sampled != (not sampling.greedy):
            self._sampled = not sampling.greedy  # the calibration of this kind of reply
            proposer.calibration = self.tables.load_calibration(self._sampled)
        if not self._prefill(prompt, on_prefill, should_stop):
            return Reply("", [], ReplyStats(finish_reason="cancelled"))
        text = list(prompt)
        proposer.start(text)
        stream = TextStream(self.backend.piece)
        parts: list[str] = []

        def on_step(ev: StepEvent) -> None:
            pieces = [(stream.feed(t), d) for t, d in zip(ev.tokens, ev.from_draft)]
            delta = "".join(p for p, _ in pieces)
            parts.append(delta)
            if on_event:
                on_event(StreamEvent(delta, pieces, ev))

        logits: list | None = [] if keep_logits else None
        stats = decode_reply(self.backend, text, proposer, Sampler(sampling), sampling.max_tokens,
                             on_step, should_stop, logits, self.governor)
        self.kv_tokens = text[:-1]
        if proposer is self.proposer and proposer.settings.enabled:
            self.tables.save_calibration(proposer.calibration, self._sampled)
            record_reply(self.backend.path, stats)
        parts.append(stream.flush())
        return Reply("".join(parts), text[len(prompt):], stats, logits=logits or [])

    @property
    def plain(self) -> TreeProposer:
        """Plain decoding through the same loop (it still keeps the cost curve current)."""
        if self._plain is None:
            self._plain = self.new_proposer(AdedSettings(enabled=False))
        return self._plain

    def _prefill(self, prompt: list[int], on_progress, should_stop) -> bool:
        """Make the KV cache hold prompt[:-1], evaluating only what it does not hold yet, in
        pieces (prefill.py); False when stopped part-way (``kv_tokens`` says how far)."""
        self.kv_tokens, self.last_prefill = prefill(self.backend, self.kv_tokens, prompt[:-1],
                                                    on_progress, should_stop)
        return len(self.kv_tokens) == len(prompt) - 1

    def close(self) -> None:
        self.backend.close()
