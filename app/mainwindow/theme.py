"""Colours of the transcript for light and dark system themes.

The transcript is rich text with explicit colours (message backgrounds, code boxes), so it
cannot inherit the palette by itself: the view picks the set whose background matches the
system's, and re-renders when the palette changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    text: str
    muted: str
    user_bg: str
    assistant_bg: str
    user_accent: str
    assistant_accent: str
    note: str
    error: str
    code_bg: str
    code_border: str
    code_style: str  # a Pygments style made for this background
    draft_bg: str
    math: str  # the text of math spans (kept as written, app/conversation/markdown.py)


LIGHT = Theme(text="#111827", muted="#6b7280", user_bg="#e8f0fe", assistant_bg="#f7f8fa",
              user_accent="#1a56db", assistant_accent="#047857", note="#b45309",
              error="#b91c1c", code_bg="#eceff3", code_border="#d0d4da", code_style="default",
              draft_bg="#fde68a", math="#6d28d9")
DARK = Theme(text="#e5e7eb", muted="#9ca3af", user_bg="#1e2a44", assistant_bg="#23262d",
             user_accent="#7aa2f7", assistant_accent="#34d399", note="#f59e0b",
             error="#f87171", code_bg="#2b2f37", code_border="#3d434f", code_style="monokai",
             draft_bg="#7c5a0c", math="#c4b5fd")


def theme_for(palette) -> Theme:
    """DARK when the palette's text background is dark (a QPalette)."""
    from PySide6.QtGui import QPalette
    return DARK if palette.color(QPalette.Base).lightness() < 128 else LIGHT
