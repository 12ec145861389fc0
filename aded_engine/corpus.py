"""Seed corpora the user imports: plain text, Markdown, code, PDF, HTML, or JSONL chats.

JSONL lines may be chat records ({"messages": [{"role", "content"}, ...]}), MT-Bench style
records ({"turns": [...]}) or {"text": ...}; anything else in a line is read as text. Other
files are read by documents/extract.py (any encoding, a PDF's text layer, HTML's visible
text). A line whose text is not valid Unicode (a lone surrogate such as ``"\\ud800"``, which
JSON allows) is skipped with a note; it never stops the rest of the import.
"""

from __future__ import annotations

import json
from pathlib import Path

from .documents.extract import MAX_BYTES, DocumentError, read_document
from .text_check import unicode_problem


def texts_from_jsonl_line(line: str) -> list[str]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return [line]
    if isinstance(record, str):
        return [record]
    if not isinstance(record, dict):
        return []
    out: list[str] = []
    for m in record.get("messages") or record.get("conversation") or []:
        if isinstance(m, dict) and isinstance(m.get("content"), str):
            out.append(m["content"])
    for t in record.get("turns") or []:
        if isinstance(t, str):
            out.append(t)
    for key in ("text", "content", "prompt", "response", "completion"):
        if isinstance(record.get(key), str):
            out.append(record[key])
    return out


def read_corpus_file(path: Path) -> tuple[list[str], list[str]]:
    """(texts: one per document, or per chat message for JSONL; notes on what was skipped).
    Raises documents.extract.DocumentError for a file that is not text."""
    if path.suffix.lower() != ".jsonl":
        return [read_document(path).text], []
    texts, notes = [], []
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DocumentError(f"{path.name} is {path.stat().st_size / 2**20:.0f} MB; "
                                f"JSONL files of up to {MAX_BYTES / 2**20:.0f} MB are read")
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DocumentError(f"{path.name} could not be read: {exc.strerror or exc}") from exc
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        found = texts_from_jsonl_line(line)
        problem = next((p for p in map(unicode_problem, found) if p), None)
        if problem:
            notes.append(f"{path.name} line {number} skipped: {problem}")
        else:
            texts.extend(found)
    return texts, notes
