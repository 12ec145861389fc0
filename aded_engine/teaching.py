"""Teaching a model's corpus table from documents: the engine side of Model > Teach from
documents and of ``aded import-corpus``.

Each file is one source of the corpus layer (provenance.py: ``doc:<uuid>``, named by the
file), so what a document taught can be listed and taken out again exactly. The text is
tokenized in pieces, so a large file reports progress and can be stopped between pieces; it
is learned in one step at the end, so a stopped import teaches nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .corpus import read_corpus_file
from .provenance import Source

PIECE_CHARS = 64_000  # tokenized at a time: a few ms each, so Stop answers at once
LAYER = "corpus"


@dataclass
class Taught:
    name: str
    source: str  # its id in the corpus layer, to remove it again
    tokens: int
    notes: list[str] = field(default_factory=list)  # lines skipped, and why


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """``text`` cut into pieces of about ``size`` characters, at a line end where there is
    one (a cut inside a word would tokenize it differently)."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            end = newline + 1 if newline > start else end
        out.append(text[start:end])
        start = end
    return out


def teach_file(session, path: Path, on_progress: Callable[[float], None] = lambda f: None,
               should_stop: Callable[[], bool] = lambda: False) -> Taught | None:
    """Teach one file to the session's corpus layer (saved to disk); None when stopped.
    Raises documents.extract.DocumentError for a file that is not text."""
    texts, notes = read_corpus_file(path)
    work = [pieces(t) for t in texts]
    total = sum(len(p) for p in work) or 1
    done, runs = 0, []
    for text_pieces in work:
        run: list[int] = []
        for piece in text_pieces:
            if should_stop():
                return None
            run += session.backend.tokenize(piece, add_special=False, parse_special=False)
            done += 1
            on_progress(done / total)
        if run:
            runs.append(run)
    source = f"doc:{uuid.uuid4().hex}"
    tokens = session.tables.teach(LAYER, runs, session.settings.table, source, path.name)
    return Taught(path.name, source, tokens, notes)


def taught_documents(session) -> list[Source]:
    """What the session's corpus layer was taught, oldest first."""
    return list(session.tables.sources.get(LAYER, {}).values())


def remove_documents(session, sources: set[str]) -> int:
    """Take exactly what these documents taught out of the corpus layer; returns how many."""
    return session.forget_sources(lambda s: s not in sources, layer=LAYER)
