"""Seed corpora the user imports: plain text, Markdown, code, or JSONL chats.

JSONL lines may be chat records ({"messages": [{"role", "content"}, ...]}), MT-Bench style
records ({"turns": [...]}) or {"text": ...}; anything else in a line is read as text.
"""

from __future__ import annotations

import json
from pathlib import Path


def texts_from_jsonl_line(line: str) -> list[str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
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


def read_corpus_files(paths: list[Path]) -> list[str]:
    """One text per document (or per chat message for JSONL), undecodable bytes replaced."""
    texts: list[str] = []
    for path in paths:
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix.lower() == ".jsonl":
            for line in raw.splitlines():
                if line.strip():
                    texts.extend(texts_from_jsonl_line(line))
        else:
            texts.append(raw)
    return texts
