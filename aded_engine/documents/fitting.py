"""A question with documents attached, made into the user message the model reads.

    docs = {"att-1": read_document("report.pdf")}      # key -> Document, in order
    built = build_message(session, history, "What did the audit find?", docs, max_tokens=512)
    session.generate(built.messages, ...)               # history + the new user message
    built.footer()        # 'From the documents: report.pdf, pages 3, 7 (the parts that best
                          #  match the question; the whole did not fit)'

When the whole documents fit the room the context leaves (the reply's room kept, as
``ChatSession.fit`` keeps it), they go in whole, each marked with its name. Otherwise the
chunks that best match the question (index.py, BM25) go in, each marked with where it comes
from, as many as fit; when the question's words match too little, evenly spaced chunks fill
the rest, so "summarise this" still sees the whole document's span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..session import ChatSession, ContextOverflowError, FitResult
from .extract import Document
from .index import Chunk, ChunkIndex

EXCERPTS_NOTE = ("(The documents are too long to include whole; these are the parts that "
                 "best match the question.)")


def document_block(doc: Document) -> str:
    """A whole document as the prompt holds it."""
    return f"[Document: {doc.name}]\n{doc.text.strip()}\n[End of {doc.name}]"


def excerpt_block(chunk: Chunk) -> str:
    """One excerpt as the prompt holds it, marked with where it comes from."""
    return f"[Excerpt: {chunk.label}]\n{chunk.text.strip()}\n[End of excerpt]"


def message_content(question: str, blocks: Sequence[str], note: str = "") -> str:
    """The user message: the documents (or excerpts) first, then the question."""
    return "\n\n".join([*([note] if note else []), *blocks, question.strip()])


@dataclass
class BuiltMessage:
    """What ``build_message`` made. ``content`` is the new user message's text exactly as
    sent (store it with the message to send the same text again in later turns);
    ``messages`` the fitted conversation ending with it; ``excerpts`` the chunks used, in
    the order they appear, empty when every document went in whole."""

    content: str
    messages: list[dict]
    fit: FitResult
    whole: bool
    names: list[str]
    excerpts: list[Chunk] = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        """Labels of what the model was given: 'notes.md (whole)' or 'report.pdf, page 3'."""
        if self.whole:
            return [f"{n} (whole)" for n in self.names]
        return [c.label for c in self.excerpts]

    def footer(self) -> str:
        """One line for the reply's footer saying which parts of the documents were used."""
        if self.whole:
            return "From the documents: " + ", ".join(self.names) + " (whole)"
        if not self.excerpts:
            return "From the documents: nothing (no part fitted the context)"
        parts: dict[str, list[Chunk]] = {}
        for c in self.excerpts:
            parts.setdefault(c.name, []).append(c)
        described = []
        for name, chunks in parts.items():
            if chunks[0].page is not None:
                pages = sorted({c.page for c in chunks})
                described.append(f"{name}, page{'s' if len(pages) > 1 else ''} "
                                 + ", ".join(map(str, pages)))
            else:
                described.append(f"{name}, part{'s' if len(chunks) > 1 else ''} "
                                 + ", ".join(str(c.part) for c in chunks)
                                 + f" of {chunks[0].parts}")
        return ("From the documents: " + "; ".join(described)
                + " (the parts that best match the question; the whole did not fit)")


def reply_room(session: ChatSession, max_tokens: int) -> int:
    """Prompt tokens the context can hold while keeping the reply's room (as ``fit``)."""
    n_ctx = session.backend.n_ctx
    return n_ctx - min(max_tokens, n_ctx // 4)


def build_message(session: ChatSession, history: list[dict], question: str,
                  documents: Mapping[str, Document], max_tokens: int,
                  index: ChunkIndex | None = None) -> BuiltMessage:
    """The user message for ``question`` with ``documents`` (key -> Document) attached,
    after ``history`` (earlier messages, the system prompt included).

    ``index``: where the documents' chunks are (added under their keys when missing); None
    makes a private in-memory one when needed. Raises ``ContextOverflowError`` when not even
    the question fits. Older turns may be dropped to fit, as ``ChatSession.fit`` does
    (``built.fit.dropped`` says how many)."""
    names = [d.name for d in documents.values()]
    whole = message_content(question, [document_block(d) for d in documents.values()])
    try:
        fit = session.fit([*history, {"role": "user", "content": whole}], max_tokens)
        return BuiltMessage(whole, fit.messages, fit, True, names)
    except ContextOverflowError:
        if not documents:
            raise
    own_index = index is None
    index = index or ChunkIndex()
    try:
        for key, doc in documents.items():
            if not index.has(key):
                index.add(key, doc)
        return _with_excerpts(session, history, question, documents, max_tokens, index)
    finally:
        if own_index:
            index.close()


def _with_excerpts(session: ChatSession, history: list[dict], question: str,
                   documents: Mapping[str, Document], max_tokens: int,
                   index: ChunkIndex) -> BuiltMessage:
    keys = list(documents)
    bare = session.fit([*history, {"role": "user", "content": message_content(
        question, [], EXCERPTS_NOTE)}], max_tokens)
    budget = reply_room(session, max_tokens) - len(bare.prompt_tokens)
    every = [c for k in keys for c in index.chunks(k)]
    ranked = index.search(question, keys, limit=len(every))
    cost = {(c.doc_key, c.part): len(session.backend.tokenize(
        excerpt_block(c) + "\n\n", parse_special=False)) for c in every}
    chosen = pick_chunks(ranked, every, budget, lambda c: cost[(c.doc_key, c.part)])
    while True:
        content = message_content(question, [excerpt_block(c) for c in chosen], EXCERPTS_NOTE)
        history_kept = bare.messages[:-1]  # the turns that the bare question left room for
        try:
            fit = session.fit([*history_kept, {"role": "user", "content": content}], max_tokens)
        except ContextOverflowError:
            if not chosen:
                raise
            chosen = chosen[:-1]  # token counts of separate pieces can differ at the seams
            continue
        fit.dropped += bare.dropped
        return BuiltMessage(content, fit.messages, fit, False, [d.name for d in documents.values()],
                            chosen)


def pick_chunks(ranked: Sequence[Chunk], every: Sequence[Chunk], budget: int,
                cost) -> list[Chunk]:
    """Chunks within ``budget`` tokens: the best-ranked first, then, while room is left,
    evenly spaced ones from all documents; returned in reading order."""
    chosen: dict[tuple[str, int], Chunk] = {}
    spent = 0

    def take(c: Chunk) -> None:
        nonlocal spent
        key = (c.doc_key, c.part)
        if key not in chosen and spent + cost(c) <= budget:
            chosen[key] = c
            spent += cost(c)

    for c in ranked:
        take(c)
    rest = [c for c in every if (c.doc_key, c.part) not in chosen]
    if rest:
        # a spread that fits: the number of chunks the left budget buys at their mean cost
        mean = sum(cost(c) for c in rest) / len(rest)
        n = min(len(rest), max(1, int((budget - spent) // max(1.0, mean))))
        # from the first to the last (a document's end often says the most)
        for i in range(n):
            take(rest[round(i * (len(rest) - 1) / max(1, n - 1))])
    order = {(c.doc_key, c.part): i for i, c in enumerate(every)}
    return sorted(chosen.values(), key=lambda c: order[(c.doc_key, c.part)])


@dataclass(frozen=True)
class MessageTokens:
    """The composer's counter: ``message`` tokens (the question with its documents whole)
    against ``room`` (what the context leaves after the conversation so far and the
    reply's room). ``fits``: the documents can go in whole without dropping earlier turns."""

    message: int
    room: int

    @property
    def fits(self) -> bool:
        return self.message <= self.room


def message_tokens(session: ChatSession, history: list[dict], question: str,
                   documents: Sequence[Document], max_tokens: int) -> MessageTokens:
    """How many tokens the message with its documents whole would take, and the room left.
    Costs two tokenizations of the conversation; call it after typing pauses."""
    content = message_content(question, [document_block(d) for d in documents])
    with_message = len(session.prompt_tokens([*history, {"role": "user", "content": content}]))
    # the conversation's own prompt (its generation prompt included) is what is left out:
    # message + before is the whole prompt, so message <= room exactly when it fits
    before = len(session.prompt_tokens(history)) if history else 0
    return MessageTokens(with_message - before, reply_room(session, max_tokens) - before)


def document_tokens(session: ChatSession, doc: Document) -> int:
    """Tokens of one document as the prompt holds it (for the attachment's chip)."""
    return len(session.backend.tokenize(document_block(doc), parse_special=False))
