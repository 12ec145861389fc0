"""Started without ``--model``: the last model is opened again and the last conversation is
shown (Settings: "Reopen the last model and conversation at start", on by default), so a
message written right away is answered instead of getting a status-bar hint."""

from __future__ import annotations

from pathlib import Path

from .settings import AppSettings


def last_model(settings: AppSettings) -> str | None:
    """The most recent model file that still exists, or None (the setting is off, or none)."""
    if not settings.reopen_last:
        return None
    return next((p for p in settings.recent_models if Path(p).is_file()), None)


def first_conversation(settings: AppSettings, ids: list[int]) -> int | None:
    """Which of the listed conversations (newest first) to show at start: the last one shown
    if the setting is on and it still exists, else the newest."""
    if settings.reopen_last and settings.last_conversation in ids:
        return settings.last_conversation
    return ids[0] if ids else None
