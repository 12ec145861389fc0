"""What a user of llama-cpp-python has today, for the benchmark to compare against:
``Llama.create_chat_completion`` with and without ``LlamaPromptLookupDecoding``.

These are measured through llama-cpp-python's own high-level API on purpose (this is the
only module besides backend.py that imports llama_cpp): the point is to time what users
would run, not our re-implementation of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import llama_cpp
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding


@dataclass
class PeerResult:
    text: str
    tokens: list[int]
    seconds: float  # from the first generated token to the last (prompt evaluation excluded)
    calls: int  # model evaluations during generation


class _CountingLlama(llama_cpp.Llama):
    """Counts ``eval`` calls, i.e. model calls (a plain subclass: the model still runs)."""

    eval_calls = 0

    def eval(self, tokens):
        self.eval_calls += 1
        return super().eval(tokens)


class LlamaCppPeer:
    def __init__(self, model_path: str, n_threads: int, n_ctx: int, draft_tokens: int = 0):
        draft = LlamaPromptLookupDecoding(num_pred_tokens=draft_tokens) if draft_tokens else None
        # logits_all: prompt lookup needs logits of every drafted row (without it, it fails
        # once more than n_batch tokens have been evaluated)
        self.llama = _CountingLlama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads,
                                    n_threads_batch=n_threads, n_batch=512, flash_attn=False,
                                    draft_model=draft, logits_all=bool(draft), verbose=False)

    def chat(self, messages: list[dict], max_tokens: int) -> PeerResult:
        first = None
        pieces: list[str] = []
        calls_before = 0
        for chunk in self.llama.create_chat_completion(messages, max_tokens=max_tokens,
                                                       temperature=0.0, stream=True):
            delta = chunk["choices"][0]["delta"].get("content")
            if delta is None:
                continue
            if first is None:
                first = time.perf_counter()
                calls_before = self.llama.eval_calls
            pieces.append(delta)
        end = time.perf_counter()
        text = "".join(pieces)
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return PeerResult(text, tokens, (end - first) if first else 0.0,
                          self.llama.eval_calls - calls_before)
