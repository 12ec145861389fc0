"""File > Export: a conversation written to a file the user picks, as Markdown or JSON."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ..storage.store import ConversationStore

FILTERS = {"md": "Markdown (*.md)", "json": "JSON (*.json)"}
ALL_FILES = "All files (*)"


def export_conversation(parent, store: ConversationStore, conversation_id: int,
                        kind: str) -> str:
    """Ask where, then write; returns the file's path, or "" when the user cancelled.
    Raises OSError when the file cannot be written."""
    title = store.get_conversation(conversation_id).title
    name = "".join(c if c.isalnum() or c in " -_" else "_" for c in title)[:60]
    suffix = ".md" if kind == "md" else ".json"
    path, _ = QFileDialog.getSaveFileName(parent, "Export conversation",
                                          str(Path.home() / (name + suffix)),
                                          f"{FILTERS[kind]};;{ALL_FILES}")
    if path and not Path(path).suffix:  # a name typed without one gets the format's
        path += suffix
    if path:
        text = (store.export_markdown if kind == "md" else store.export_json)(conversation_id)
        Path(path).write_text(text, encoding="utf-8")
    return path
