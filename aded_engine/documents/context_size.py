"""Would a larger context hold the documents, and can this machine afford it?

    offer = offer_context(session, prompt_tokens=9_000, max_tokens=512)
    if offer.possible: ...  # "Raise the context to 12,288 tokens (about 290 MB more memory)"

The memory a context takes is mostly its KV cache (keys and values of every layer, f16:
``LlamaBackend.kv_bytes_per_token``) plus the attention scratch of one batch without flash
attention (a float per cached token, batch row and head). Against physical memory, with
the model's weights, leaving room for the rest of the system.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import physical_memory_bytes

STEP = 1024  # contexts offered in whole thousands of tokens
MEMORY_SHARE = 0.7  # of physical memory the model may take with its context


@dataclass(frozen=True)
class ContextOffer:
    n_ctx: int  # the smallest context (a multiple of STEP) holding the prompt and the reply
    current: int  # the context now
    needed_bytes: int  # weights + KV cache + attention scratch at n_ctx
    extra_bytes: int  # more than the current context takes
    memory_bytes: int | None  # physical memory; None where it cannot be told
    limit: int  # the longest context the model was trained for
    reason: str  # "" when possible, else why not, as a sentence for the user

    @property
    def possible(self) -> bool:
        return not self.reason


def context_bytes(backend, n_ctx: int) -> int:
    """Memory a context of ``n_ctx`` tokens takes besides the weights (an estimate)."""
    scratch = 0 if backend.settings.flash_attn else (
        4 * n_ctx * backend.settings.n_batch * backend.n_head)
    return backend.kv_bytes_per_token() * n_ctx + scratch


def offer_context(session, prompt_tokens: int, max_tokens: int) -> ContextOffer:
    """The context that would hold a prompt of ``prompt_tokens`` and the reply's room, and
    whether memory and the model allow it (``session``: a ChatSession)."""
    b = session.backend
    reply = max_tokens
    n_ctx = -(-(prompt_tokens + reply) // STEP) * STEP
    weights = b.path.stat().st_size
    needed = weights + context_bytes(b, n_ctx)
    extra = max(0, context_bytes(b, n_ctx) - context_bytes(b, b.n_ctx))
    memory = physical_memory_bytes()
    limit = b.n_ctx_train or n_ctx
    reason = ""
    if n_ctx > limit:
        reason = (f"the documents need a context of {n_ctx:,} tokens, more than this model "
                  f"handles ({limit:,})")
    elif memory is not None and needed > MEMORY_SHARE * memory:
        reason = (f"a context of {n_ctx:,} tokens needs about {needed / 2**30:.1f} GiB with the "
                  f"model, and this machine has {memory / 2**30:.1f} GiB of memory")
    return ContextOffer(n_ctx, b.n_ctx, needed, extra, memory, limit, reason)
