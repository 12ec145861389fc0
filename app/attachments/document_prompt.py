"""Attachments on the engine thread: the composer's live count, and the prompt of a message
sent with documents (``aded_engine.documents`` does the fitting, the retrieval and the
drafter's learning; this module hands it the app's attachments).

    count_budget(...)     -> BudgetCount        the tokens of the message being written
    DocumentPrompts       one per worker        builds a reply's messages, keeps the chunk
                                                index (in memory: the attachments themselves
                                                are what is stored, with the message)
"""

from __future__ import annotations

from dataclasses import dataclass

from aded_engine.documents import (BuiltMessage, ChunkIndex, Document, build_message,
                                   document_tokens, learn_documents, message_tokens)
from aded_engine.documents.context_size import offer_context
from aded_engine.documents.fitting import reply_room
from aded_engine.session import ChatSession

from ..settings.settings import RANGES
from .attachments import Attachment


def as_document(a: Attachment) -> Document:
    return Document(a.name, a.text, a.kind, a.size, page_starts=a.page_starts)


def document_key(a: Attachment) -> str:
    """The chunk index's key of a stored attachment (row ids are never reused)."""
    return f"att-{a.id}"


@dataclass(frozen=True)
class BudgetCount:
    """The message being written, counted. ``message_tokens``: its tokens with the documents
    whole; ``history_tokens``: the conversation before it; ``room``: the prompt tokens the
    context holds with the reply's room kept. ``too_long``: not even alone (with the system
    prompt) does it fit, so it cannot be sent whole. ``context_needed``: a context size that
    would hold the conversation with it (0: none the model allows); ``memory_ok`` whether
    this machine has the memory for it (``memory_note`` says how much). ``cut_chars``: for a
    text with no attachment, how many of its characters fit."""

    request_id: int
    message_tokens: int
    history_tokens: int
    room: int
    n_ctx: int
    attachment_tokens: tuple[int, ...]
    too_long: bool
    context_needed: int = 0
    memory_ok: bool = False
    memory_note: str = ""
    cut_chars: int = 0

    @property
    def attachments(self) -> int:
        return len(self.attachment_tokens)


def count_budget(session: ChatSession, request_id: int, history: list[dict], question: str,
                 attachments: list[Attachment], max_tokens: int,
                 token_cache: dict) -> BudgetCount:
    """Count the message ``question`` with ``attachments`` after ``history`` (the chat
    messages so far). Each document is tokenized once (``token_cache`` keeps its count
    between calls: typing changes the question, rarely the documents); a count then costs
    two tokenizations of the conversation with the question alone."""
    docs = [as_document(a) for a in attachments]
    per_doc = []
    for doc in docs:
        key = (doc.name, len(doc.text), hash(doc.text))
        if key not in token_cache:
            if len(token_cache) > 64:
                token_cache.clear()
            token_cache[key] = document_tokens(session, doc)
        per_doc.append(token_cache[key])
    in_docs = sum(n + 1 for n in per_doc)  # each block, and the blank line after it
    counted = message_tokens(session, history, question, [], max_tokens)
    system = [m for m in history if m.get("role") == "system"]
    alone = message_tokens(session, system, question, [], max_tokens)
    n_ctx, room = session.backend.n_ctx, reply_room(session, max_tokens)
    history_tokens, message = room - counted.room, counted.message + in_docs
    if alone.message + in_docs <= alone.room:
        return BudgetCount(request_id, message, history_tokens, room, n_ctx, tuple(per_doc),
                           False)
    offer = offer_context(session, history_tokens + message, max_tokens)
    needed = offer.n_ctx if offer.n_ctx <= RANGES["n_ctx"][1] else 0
    cut = 0 if docs else _chars_that_fit(session, system, question, max_tokens)
    return BudgetCount(request_id, message, history_tokens, room, n_ctx, tuple(per_doc), True,
                       needed, offer.possible, _memory_note(offer), cut)


def _memory_note(offer) -> str:
    """The raise offer's tooltip: what the larger context costs, or why it cannot be had."""
    if not offer.possible:
        return offer.reason[:1].upper() + offer.reason[1:] + "."
    have = ("" if offer.memory_bytes is None
            else f"; this machine has {offer.memory_bytes / 2**30:.1f} GiB")
    return (f"About {offer.extra_bytes / 2**20:,.0f} MB more memory "
            f"({offer.needed_bytes / 2**20:,.0f} MB with the model{have}). The model is "
            "loaded again with the larger context.")


def _chars_that_fit(session: ChatSession, system: list[dict], text: str,
                    max_tokens: int) -> int:
    """The longest beginning of ``text`` (cut at a space where there is one near) that fits
    the context alone; by bisection over the character count."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if message_tokens(session, system, text[:mid], [], max_tokens).fits:
            lo = mid
        else:
            hi = mid - 1
    space = text.rfind(" ", 0, lo)
    return space if space > lo * 0.9 else lo


class DocumentPrompts:
    """The documents of the conversation being answered, as the engine wants them."""

    def __init__(self):
        self._index: ChunkIndex | None = None
        self.indexed: set[str] = set()  # keys the index may hold chunks of
        self.token_counts: dict = {}  # for count_budget
        self.note = ""  # what drafting left out of very large documents (last build)

    @property
    def index(self) -> ChunkIndex:
        """In memory, made on first use: in the engine thread, which alone may use it."""
        if self._index is None:
            self._index = ChunkIndex()
        return self._index

    def build(self, session: ChatSession, history: list[dict], question: str,
              attachments: list[Attachment], conversation_documents: list[Attachment],
              max_tokens: int) -> BuiltMessage | None:
        """The user message after ``history`` made from ``question`` and its
        ``attachments`` (whole, or the best-matching parts), with the fitted messages; None
        when it has none. Either way the drafter learns every document of the conversation
        (``conversation_documents``) and forgets those of others. Raises
        ContextOverflowError when not even the question fits."""
        self._keep_only(conversation_documents)
        built = None
        if attachments:
            docs = {document_key(a): as_document(a) for a in attachments}
            self.indexed.update(docs)
            built = build_message(session, history, question, docs, max_tokens, self.index)
        documents = {document_key(a): as_document(a) for a in conversation_documents}
        self.indexed.update(documents)
        layer = learn_documents(session, documents, question, self.index)
        self.note = layer.note if layer is not None else ""
        return built

    def _keep_only(self, attachments: list[Attachment]) -> None:
        """Drop the chunks of documents no longer in the conversation (bounded memory)."""
        keep = {document_key(a) for a in attachments}
        for key in self.indexed - keep:
            self.index.remove(key)
        self.indexed &= keep
