"""The line shown while a long prompt is read."""

import pytest

from aded_engine.prefill import PrefillProgress

from app.reply.reading import duration_text, reading_text


@pytest.mark.parametrize("progress, text", [
    (PrefillProgress(0, 3600, 0.0), "Reading the prompt: 0 / 3,600 tokens"),
    (PrefillProgress(1200, 3600, 2.0),
     "Reading the prompt: 1,200 / 3,600 tokens · 600 tok/s · 4 s left"),
    (PrefillProgress(512, 60_000, 4.0),
     "Reading the prompt: 512 / 60,000 tokens · 128 tok/s · 7 min 45 s left"),
    (PrefillProgress(3600, 3600, 8.0), "Reading the prompt: 3,600 / 3,600 tokens · 450 tok/s"),
])
def test_reading_text(progress, text):
    assert reading_text(progress) == text


def test_durations():
    assert [duration_text(s) for s in (0.4, 59, 89, 90, 3725)] == [
        "0 s", "59 s", "89 s", "1 min 30 s", "62 min 5 s"]
