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
from .cost import backend_cost_curve
from .decode import ReplyStats, StepEvent, decode_reply
from .learned_tables import LearnedTables
from .paths import cache_dir
from .probe import safe_mode
from .proposer import AdedSettings, TreeProposer
from .sampling import Sampler, SamplingSettings
from .trigram import LearnedLayers, TableSettings, TrigramDrafter, common_prefix


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
                 progress: Callable[[float], None] | None = None):
        # The first use of a model file, llama.cpp build and CPU is tried in a child process:
        # a native crash there picks a safe configuration instead of killing this process.
        backend_settings, self.load_note = safe_mode(model_path, settings.backend)
        settings = replace(settings, backend=backend_settings)
        self.settings = settings
        self.backend = LlamaBackend(model_path, settings.backend, progress)
        b = self.backend
        self.formatter = ChatFormatter(b.chat_template, b.token_text(b.bos) if b.bos >= 0 else "",
                                       "")
        self.fingerprint = b.vocab_fingerprint
        self.tables = LearnedTables(b)
        self.curve = backend_cost_curve(b, cache_dir() / "batch-cost.json")
        self.kv_tokens: list[int] = []  # exactly what the KV cache's sequence 0 holds
        self.last_prefill = 0  # tokens evaluated to prepare the last reply's prompt
        self._renew_proposers()

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
                "n_vocab": b.n_vocab, "chat_template": "fallback (ChatML)" if
                self.formatter.is_fallback else "from the model",
                "single_token_ms": round(self.curve.single_token_ms, 2),
                "load_note": self.load_note}

    # --- tables ------------------------------------------------------------------------
    @property
    def learned(self) -> LearnedLayers:
        return self.tables.layers

    @property
    def table_problems(self) -> list[str]:
        """Table files found damaged at load (set aside; empty tables used instead)."""
        return self.tables.problems

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
        self._plain = None

    def reconfigure(self, aded: AdedSettings, table: TableSettings) -> None:
        """New ADED settings without reloading the model (the live drafter starts afresh;
        the learned tables and the calibration stay)."""
        self.settings = replace(self.settings, aded=aded, table=table)
        self._renew_proposers()

    @property
    def drafter(self) -> TrigramDrafter:
        return self.proposer.drafter

    def learn_exchange(self, texts: Sequence[str]) -> None:
        """Add finished messages to this tokenizer's history table and save it."""
        self.tables.learn(texts, self.settings.table)

    def forget_exchange(self, texts: Sequence[str]) -> None:
        """Remove what ``learn_exchange`` added for these texts (a deleted conversation),
        from the table on disk and from the live conversation layer and KV cache."""
        self.tables.forget(texts, self.settings.table)
        self._renew_proposers()
        self.kv_tokens = []
        self.backend.clear()

    def import_corpus(self, texts: Sequence[str]) -> int:
        """Seed the table with the user's own documents; returns the tokens learned."""
        return self.tables.import_corpus(texts, self.settings.table)

    def reset_tables(self) -> None:
        """Forget everything learned for this tokenizer (the files are deleted) and how
        often this model accepted drafts."""
        self.tables.reset()
        self._renew_proposers()

    # --- prompts -----------------------------------------------------------------------
    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        text = self.formatter.render(messages, add_generation_prompt=True)
        return self.backend.tokenize(text, add_special=self.backend.add_bos
                                     and not text.startswith(self.formatter.bos_token or "\0"),
                                     parse_special=True)

    def fit(self, messages: list[dict], max_tokens: int) -> FitResult:
        """Drop the oldest turns (never the system prompt, never the newest message) until
        the prompt leaves room for the reply. A user message goes with the replies after it,
        so the kept turns still start with a user message: templates such as Mistral's and
        Gemma's refuse a conversation whose roles do not alternate."""
        room = self.backend.n_ctx - min(max_tokens, self.backend.n_ctx // 4)
        kept = list(messages)
        dropped = 0
        while True:
            tokens = self.prompt_tokens(kept)
            if len(tokens) <= room:
                return FitResult(kept, dropped, tokens)
            removable = [i for i, m in enumerate(kept[:-1]) if m.get("role") != "system"]
            if not removable:
                raise ContextOverflowError(
                    f"the message is {len(tokens)} tokens long but the context holds "
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
                 on_fit: Callable[[FitResult], None] | None = None) -> Reply:
        """Reply to a conversation: fit it to the context (``on_fit`` hears how, before
        decoding starts), then decode as ``generate_from_tokens`` does."""
        fit = self.fit(messages, sampling.max_tokens)
        if on_fit is not None:
            on_fit(fit)
        reply = self.generate_from_tokens(fit.prompt_tokens, sampling, on_event, should_stop,
                                          proposer, keep_logits)
        return replace(reply, fit=fit)

    def generate_from_tokens(self, prompt: list[int], sampling: SamplingSettings = SamplingSettings(),
                             on_event: Callable[[StreamEvent], None] | None = None,
                             should_stop: Callable[[], bool] = lambda: False,
                             proposer: TreeProposer | None = None,
                             keep_logits: bool = False) -> Reply:
        """Reply to a tokenized prompt. ``proposer``: default the session's ADED drafter;
        ``session.plain`` decodes one token per call (the baseline)."""
        proposer = proposer or self.proposer
        self._prefill(prompt)
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
                             on_step, should_stop, logits)
        self.kv_tokens = text[:-1]
        if proposer is self.proposer and proposer.settings.enabled:
            self.tables.save_calibration(proposer.calibration)
        parts.append(stream.flush())
        return Reply("".join(parts), text[len(prompt):], stats, logits=logits or [])

    @property
    def plain(self) -> TreeProposer:
        """Plain decoding through the same loop (it still keeps the cost curve current)."""
        if self._plain is None:
            self._plain = self.new_proposer(AdedSettings(enabled=False))
        return self._plain

    def _prefill(self, prompt: list[int]) -> None:
        """Make the KV cache hold prompt[:-1], evaluating only what it does not hold yet."""
        keep = common_prefix(self.kv_tokens, prompt[:-1])
        if keep < len(self.kv_tokens) and not self.backend.seq_rm(0, keep, -1):
            self.backend.clear()  # e.g. sliding-window caches cannot drop a partial range
            keep = 0
        if keep < len(prompt) - 1:
            self.backend.eval_prompt(prompt[keep:-1], keep)
        self.last_prefill = len(prompt) - 1 - keep
        self.kv_tokens = list(prompt[:-1])

    def close(self) -> None:
        self.backend.close()
