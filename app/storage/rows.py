"""The one tolerant reader of database values (issue 22 item 3): every column the store reads
goes through one of these, so that a damaged value becomes its default and the row is still
shown, instead of an exception that hides the conversation (or, at start, stops the program).

A file can pass ``PRAGMA quick_check`` and still hold values no version of ADED Chat wrote:
SQLite keeps any type in any column, and JSON text can be nested deeper than Python's parser
recurses (a RecursionError, not a ValueError) or be large enough to stall the window. JSON is
therefore measured before it is parsed (size, then nesting depth, in one pass without
recursion), numbers must be finite, and each value must have its column's shape.
"""

from __future__ import annotations

import json
import math
import re

# Far above what the store writes (a reply's statistics: a few KiB, nested 3 deep; a PDF's
# page offsets: one flat list), far below what stalls or overflows the parser.
MAX_JSON_CHARS = 16 << 20
MAX_JSON_DEPTH = 32

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # a JSON string, escapes included
_BRACKET = re.compile(r"[\[\]{}]")


def text(value) -> str:
    """A text column: bytes (a BLOB) decoded with U+FFFD for what is not UTF-8; a number as
    written; NULL as ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def number(value, default: float = 0.0) -> float:
    """A REAL column (a time): a finite float, else ``default`` (text such as 'later', NULL,
    a BLOB, infinity)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return default
    try:
        out = float(value)
    except (ValueError, OverflowError):
        return default
    return out if math.isfinite(out) else default


def whole(value, default: int = 0) -> int:
    """An INTEGER column: an int, else ``default``; a finite float is truncated."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    out = number(value, math.nan)
    return int(out) if math.isfinite(out) else default


def _bounded(raw: str) -> bool:
    """True when ``raw`` is small and shallow enough to parse: its brackets outside strings
    never nest deeper than MAX_JSON_DEPTH."""
    if len(raw) > MAX_JSON_CHARS:
        return False
    if raw.count("[") + raw.count("{") <= MAX_JSON_DEPTH:
        return True  # cannot nest deeper: most rows (page offsets, short statistics)
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', raw)):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        else:
            depth -= 1
    return True


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number this program writes")


def _finite_float(literal: str) -> float:
    out = float(literal)
    if not math.isfinite(out):  # 1e400
        raise ValueError(f"{literal} is not finite")
    return out


def json_value(value, default):
    """A JSON column parsed, or ``default`` when it is NULL, not text, too large, nested too
    deep, not JSON, or holds NaN or an infinity."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str) or not _bounded(value):
        return default
    try:
        return json.loads(value, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError, MemoryError):
        return default


def json_object(value, default):
    """A JSON object column (a reply's statistics), or ``default``."""
    data = json_value(value, None)
    return data if isinstance(data, dict) else default


def sampling(value) -> dict:
    """A conversation's sampling overrides: the JSON object's entries that are numbers; {}
    when the column is broken (the defaults apply)."""
    data = json_object(value, {})
    return {k: v for k, v in data.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def offsets(value) -> tuple[int, ...]:
    """A JSON list of increasing character offsets (a PDF's page starts); () when missing or
    broken."""
    data = json_value(value, None)
    if not isinstance(data, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in data):
        return ()
    return tuple(data) if data == sorted(data) else ()
