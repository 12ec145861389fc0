"""Text that reaches the tokenizer must be a str of valid Unicode. A lone surrogate (JSON
allows ``"\\ud800"``; Python strings can hold one) cannot be encoded to UTF-8, and content
that is not a string (a number, a list from an API client) cannot be rendered: both get a
clear TextError here instead of a UnicodeEncodeError or TypeError from deep inside."""

from __future__ import annotations

import re

_SURROGATE = re.compile('[\ud800-\udfff]')
REPLACEMENT = "\ufffd"


class TextError(ValueError):
    pass


def unicode_problem(text: str) -> str | None:
    """Why ``text`` cannot be tokenized (it holds a lone surrogate), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"character {exc.start} is a lone surrogate (U+{ord(text[exc.start]):04X}), "
                "which is not valid Unicode text")
    return None


def check_text(text, what: str = "the text") -> str:
    """``text`` itself, or TextError saying what is wrong with it."""
    if not isinstance(text, str):
        raise TextError(f"{what} is {type(text).__name__}, not text")
    problem = unicode_problem(text)
    if problem:
        raise TextError(f"{what}: {problem}")
    return text


def check_messages(messages) -> None:
    """Each message must be a dict with a role and text content."""
    if not isinstance(messages, list):
        raise TextError(f"the messages are {type(messages).__name__}, not a list")
    for i, m in enumerate(messages, start=1):
        if not isinstance(m, dict):
            raise TextError(f"message {i} is {type(m).__name__}, not a message")
        check_text(m.get("role"), f"the role of message {i}")
        check_text(m.get("content"), f"message {i} ({m.get('role')})")


def repair_text(text: str) -> tuple[str, int]:
    """``text`` with every surrogate code point (lone, or a pair that a UTF-16 decoder should
    have joined) replaced by U+FFFD, and how many were replaced. One character for one, so
    offsets into the text (a PDF's page starts) stay right. Used where documents and messages
    come in: a damaged character becomes the usual replacement mark instead of making the
    whole document unusable (the reading of files already does the same with bad bytes)."""
    return _SURROGATE.subn(REPLACEMENT, text)


def repaired_note(name: str, count: int) -> str:
    """The sentence that tells the user what ``repair_text`` did."""
    return (f"{name}: {count} character{'s' if count != 1 else ''} that {'are' if count != 1 else 'is'} "
            f"not valid Unicode (lone surrogates) replaced with {REPLACEMENT}")
