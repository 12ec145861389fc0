"""The line shown while a long prompt is read, before the reply's first token:
"Reading the prompt: 1,200 / 3,600 tokens · 450 tok/s · 5 s left"."""

from __future__ import annotations

from aded_engine.prefill import PrefillProgress


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def reading_text(progress: PrefillProgress) -> str:
    parts = [f"Reading the prompt: {progress.done:,} / {progress.total:,} tokens"]
    if progress.tokens_per_s is not None:
        parts.append(f"{progress.tokens_per_s:,.0f} tok/s")
    if progress.seconds_left is not None and progress.done < progress.total:
        parts.append(duration_text(progress.seconds_left) + " left")
    return " · ".join(parts)
