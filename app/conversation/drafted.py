"""The "Mark drafted tokens" view: which characters of a reply came from drafts that the
model accepted, so a user can watch ADED at work.

A reply keeps its drafted text as character spans ``[[start, end], ...]`` (saved with the
reply's statistics, key ``drafted_spans``), built while it streams from the engine's
per-token flags.

The view renders the reply's Markdown as the transcript does, with two private-use characters
(markdown.py's DRAFT_OPEN, DRAFT_CLOSE) put into the source where each drafted span begins and
ends (moved off Markdown's syntax where they would break it, ``_safe``); they come through the
rendering as text and are then turned into highlighted spans (``marks_to_spans``). The share
in the legend is of the reply's own characters, counted from the spans as they were.
"""

from __future__ import annotations

import re
import unicodedata

from ..mainwindow.theme import LIGHT, Theme
from .markdown import DRAFT_CLOSE, DRAFT_OPEN, fenced_code_lines, to_html


def extend_spans(spans: list[list[int]], offset: int, pieces: list[tuple[str, bool]]) -> None:
    """Add the drafted pieces of text that starts at character ``offset`` of the reply
    (adjacent drafted pieces merge into one span)."""
    for text, drafted in pieces:
        end = offset + len(text)
        if drafted and text:
            if spans and spans[-1][1] == offset:
                spans[-1][1] = end
            else:
                spans.append([offset, end])
        offset = end


def drafted_share(text: str, spans: list[list[int]]) -> float:
    covered = sum(max(0, min(e, len(text)) - s) for s, e in spans)
    return covered / len(text) if text else 0.0


def drafted_html(text: str, spans: list[list[int]], theme: Theme = LIGHT,
                 copy_prefix: str | None = None, limit: int | None = None) -> str:
    """The reply rendered as the transcript renders it (headings, lists, code blocks), the
    drafted characters highlighted, and a legend with their share of the reply (of the whole
    text, also when only its first ``limit`` characters are drawn)."""
    shown = text if limit is None else text[:limit]
    body = marks_to_spans(to_html(marked_source(shown, spans), copy_prefix, theme),
                          f"background-color:{theme.draft_bg};")
    legend = (f"<p style=\"color:{theme.muted}; font-size:small;\"><span style=\""
              f"background-color:{theme.draft_bg};\">&nbsp;highlighted&nbsp;</span> text "
              f"came from drafts the model accepted: {100 * drafted_share(text, spans):.0f}% "
              f"of this reply's characters (the speed panel's figure is a share of the "
              f"drafted tokens instead)</p>")
    return body + legend


def marked_source(text: str, spans: list[list[int]]) -> str:
    """The Markdown with DRAFT_OPEN and DRAFT_CLOSE around each drafted span, each moved
    where it cannot break the Markdown around it (``_safe``); spans that come to nothing
    (all syntax, such as a fence's backticks) are left out, touching ones joined."""
    bounds: list[list[int]] = []
    code = fenced_code_lines(text)
    for start, end in spans:
        start = _safe(text, max(0, min(start, len(text))), True, code)
        end = _safe(text, max(0, min(end, len(text))), False, code)
        start = max(start, bounds[-1][1]) if bounds else start
        if end <= start:
            continue
        if bounds and bounds[-1][1] == start:
            bounds[-1][1] = end
        else:
            bounds.append([start, end])
    out, pos = [], 0
    for start, end in bounds:
        out += [text[pos:start], DRAFT_OPEN, text[start:end], DRAFT_CLOSE]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def marks_to_spans(rendered: str, style: str) -> str:
    """The rendered HTML with its marks turned into highlighted ``<span>``s. A span only ever
    wraps text between two tags, never a tag, so a draft that runs across paragraphs, list
    items or a code block's colouring still nests; a mark that ended up inside a tag (a
    link's address) is dropped there but still starts or ends the highlighting."""
    out, on = [], False
    for piece in _TAG.split(rendered):
        if piece.startswith("<"):
            for mark in _MARK.findall(piece):
                on = mark == DRAFT_OPEN
            out.append(_MARK.sub("", piece))
            continue
        for part in _MARK_SPLIT.split(piece):
            if part in (DRAFT_OPEN, DRAFT_CLOSE):
                on = part == DRAFT_OPEN
            elif on and part.strip():
                out.append(f"<span style=\"{style}\">{part}</span>")
            else:
                out.append(part)
    return "".join(out)


_TAG = re.compile(r"(<[^>]*>)")
_MARK = re.compile(f"[{DRAFT_OPEN}{DRAFT_CLOSE}]")
_MARK_SPLIT = re.compile(f"([{DRAFT_OPEN}{DRAFT_CLOSE}])")
# a line that is all syntax: a code fence, a rule or a heading's underline, a table's
# delimiter row (a blank line too: a mark there would join two paragraphs)
_SYNTAX_LINE = re.compile(r"[ \t]*(?:(?:`{3,}|~{3,}).*|(?:[-*_][ \t]*){3,}|=+[ \t]*|-+[ \t]*"
                          r"|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*|)")
# what opens a line: indentation, quote marks, list bullets and numbers, a heading's #s, a
# table row's first pipe
_LINE_PREFIX = re.compile(r"[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)]|#{1,6})(?:[ \t]+|$)|\|[ \t]*)*")
_DELIMITERS = "*_~`$"  # emphasis, strikethrough, code and math are runs of these
_ENTITY = re.compile(r"&#?\w+;")


def _punct_or_space(c: str) -> bool:
    return c.isspace() or unicodedata.category(c)[0] in "PS"


def _safe(text: str, p: int, opening: bool, code: set[int]) -> int:
    """Where a span's mark at character ``p`` can go without breaking the Markdown: off
    lines that are all syntax (a start moves on to the next line, an end back to the one
    before), past what opens a line, out of a run of ``*``, `````` ` `````` etc. and onto its
    inner side (``**bold**`` stays bold: a mark reads as a letter), not between a backslash
    and what it escapes, nor inside ``&amp;`` or ``](``. Inside a fenced code block (lines
    ``code``) every place is right: there the Markdown is the code's own text."""
    if text.count("\n", 0, p) in code:
        return p
    n = len(text)
    for _ in range(8):
        q = p
        while True:  # off syntax lines
            line_start = text.rfind("\n", 0, q) + 1
            line_end = n if (e := text.find("\n", q)) < 0 else e
            if not _SYNTAX_LINE.fullmatch(text, line_start, line_end):
                break
            if opening and line_end < n:
                q = line_end + 1
            elif not opening and line_start > 0:
                q = line_start - 1
            else:
                q = n if opening else 0
                break
        line_start = text.rfind("\n", 0, q) + 1
        line_end = n if (e := text.find("\n", q)) < 0 else e
        q = max(q, _LINE_PREFIX.match(text, line_start, line_end).end())
        line = text[line_start:line_end].rstrip()
        if q >= line_start + len(line) and line.startswith("|") and line.endswith("|"):
            q = line_start + len(line) - 1  # a table row's last pipe stays last
        if 0 < q < n and text[q - 1] == text[q] and text[q] in _DELIMITERS:
            while q < n and text[q] == text[q - 1]:
                q += 1  # out of the run
        if q < n and text[q] in _DELIMITERS and (q == 0 or text[q - 1] != text[q]):
            end = q
            while end < n and text[end] == text[q]:
                end += 1
            if (q == 0 or _punct_or_space(text[q - 1])) and end < n and not text[end].isspace():
                q = end  # before an opening run: into it
        if 0 < q and text[q - 1] in _DELIMITERS and (q == n or text[q] != text[q - 1]):
            start = q
            while start > 0 and text[start - 1] == text[q - 1]:
                start -= 1
            if (q == n or _punct_or_space(text[q])) and start > 0 and \
                    not text[start - 1].isspace():
                q = start  # after a closing run: into it
        if 0 < q < n and text[q - 1] == "\\" and _punct_or_space(text[q]):
            q -= 1
        if 0 < q < n and text[q - 1] == "]" and text[q] == "(":
            q -= 1
        for m in _ENTITY.finditer(text, max(0, q - 12), min(n, q + 12)):
            if m.start() < q < m.end():
                q = m.start()
        if q == p:
            break
        p = q
    return p
