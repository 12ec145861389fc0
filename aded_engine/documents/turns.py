"""Documents attached to a conversation in the terminal (``aded generate/chat --attach``).

The first question carries the documents: whole when they fit, else the excerpts that best
match it. When they did not fit whole, every later question carries its own best excerpts
(the earlier ones stay in the history as they were sent). The drafter learns every
document whole (drafting.py) before each reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .drafting import learn_documents
from .extract import Document, read_document
from .fitting import build_message
from .index import ChunkIndex


def read_attachments(paths: Sequence[str | Path]) -> dict[str, Document]:
    """key (the path as given) -> Document, in order; DocumentError names a bad file."""
    return {str(p): read_document(p) for p in paths}


@dataclass
class Turn:
    messages: list[dict]  # the fitted conversation to reply to
    content: str  # the new user message as sent (keep it in the history)
    notes: list[str] = field(default_factory=list)  # which parts were used, for stderr


class DocumentTurns:
    def __init__(self, session, documents: dict[str, Document]):
        self.session = session
        self.documents = documents
        self.index = ChunkIndex()
        self._pending = dict(documents)

    def next(self, history: list[dict], question: str, max_tokens: int) -> Turn:
        """The messages to reply to ``question`` after ``history``."""
        if not self.documents:
            return Turn([*history, {"role": "user", "content": question}], question)
        notes = []
        if self._pending:
            built = build_message(self.session, history, question, self._pending, max_tokens,
                                  self.index)
            notes.append(built.footer())
            if built.fit.dropped:
                notes.append(f"{built.fit.dropped} earlier messages left out to make room")
            if built.whole:
                self._pending = {}
            messages, content = built.messages, built.content
        else:
            messages = [*history, {"role": "user", "content": question}]
            content = question
        layer = learn_documents(self.session, self.documents, question, self.index)
        if layer is not None and layer.note:
            notes.append(layer.note)
        return Turn(messages, content, notes)

    def close(self) -> None:
        self.index.close()
