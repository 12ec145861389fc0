"""A document attached to a message: what the model is given, as stored with the message.

The record holds the text as extracted (app/attachments/loading.py, through
``aded_engine.documents``), not the file: that text is what the model reads, what the
transcript's chip opens, what is stored with the message, exported with it and erased with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from aded_engine.text_check import repair_text

PASTED_NAME = "Pasted text.txt"  # a long paste turned into an attachment


# Markdown fence languages (the names GitHub and Pygments know) by file name ending, then by
# kind (aded_engine/documents/extract.py's kinds)
FENCE_LANGUAGES = {
    ".py": "python", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp",
    ".js": "javascript", ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx", ".java": "java",
    ".go": "go", ".rs": "rust", ".rb": "ruby", ".php": "php", ".cs": "csharp",
    ".swift": "swift", ".kt": "kotlin", ".scala": "scala", ".sh": "bash", ".bash": "bash",
    ".sql": "sql", ".lua": "lua", ".r": "r", ".pl": "perl", ".hs": "haskell", ".toml": "toml",
    ".yaml": "yaml", ".yml": "yaml", ".ini": "ini", ".cfg": "ini", ".xml": "xml", ".css": "css",
    ".scss": "scss", ".vue": "vue", ".dart": "dart", ".zig": "zig", ".nim": "nim",
    ".jl": "julia", ".ex": "elixir", ".exs": "elixir", ".erl": "erlang",
    ".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "tsv", ".json": "json",
    ".jsonl": "json",
}
KIND_LANGUAGES = {"markdown": "markdown", "csv": "csv", "json": "json"}


@dataclass
class Attachment:
    name: str  # file name as the user knows it
    kind: str  # "text", "markdown", "code", "csv", "json", "html", "pdf"
    size: int  # bytes of the file
    text: str  # what the model is given
    tokens: int | None = None  # in the loaded model's tokenizer (None: not counted yet)
    id: int = 0  # row id once stored
    page_starts: tuple[int, ...] = field(default=(), repr=False)  # a PDF's, into ``text``
    repaired: int = field(default=0, repr=False)  # invalid characters replaced when read

    def label(self) -> str:
        """``report.pdf · 12 KB · 3,210 tokens``: what a chip shows."""
        parts = [self.name, size_text(self.size)]
        if self.tokens is not None:
            parts.append(f"{self.tokens:,} tokens")
        return " · ".join(parts)

    def fence_language(self) -> str:
        """The language of the code fence that shows this attachment in a Markdown export:
        from its name's ending, else its kind; "text" for plain text, a PDF's text and an
        HTML page (what is kept of a page is its visible text, not its markup)."""
        suffix = PurePath(self.name).suffix.lower()
        return FENCE_LANGUAGES.get(suffix) or KIND_LANGUAGES.get(self.kind, "text")

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "size": self.size,
                "tokens": self.tokens, "page_starts": list(self.page_starts), "text": self.text}


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def attachment_from_text(text: str, name: str = PASTED_NAME) -> Attachment:
    """A long pasted text, kept as an attachment so that the question stays short."""
    text, repaired = repair_text(text)  # a lone surrogate cannot be stored or tokenized
    return Attachment(name, "text", len(text.encode("utf-8")), text, repaired=repaired)


def conversation_documents(messages) -> list[Attachment]:
    """Every attachment of a conversation's messages, in order (the drafter learns them)."""
    return [a for m in messages for a in m.attachments]
