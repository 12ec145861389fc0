"""The "Mark drafted tokens" view: which characters of a reply came from drafts that the
model accepted, so a user can watch ADED at work.

A reply keeps its drafted text as character spans ``[[start, end], ...]`` (saved with the
reply's statistics, key ``drafted_spans``), built while it streams from the engine's
per-token flags.
"""

from __future__ import annotations

import html

from ..mainwindow.theme import LIGHT, Theme


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


def drafted_html(text: str, spans: list[list[int]], theme: Theme = LIGHT) -> str:
    """The reply as plain text (Markdown is not rendered in this view: a code fence could
    hide where a draft began) with the drafted characters highlighted."""
    out, pos = [], 0
    for start, end in spans:
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<span style=\"background-color:{theme.draft_bg};\">"
                   f"{html.escape(text[start:end])}</span>")
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out).replace("\n", "<br>")
    legend = (f"<p style=\"color:{theme.muted}; font-size:small;\"><span style=\""
              f"background-color:{theme.draft_bg};\">&nbsp;highlighted&nbsp;</span> text "
              f"came from drafts the model accepted: {100 * drafted_share(text, spans):.0f}% "
              f"of this reply's characters (the speed panel's figure is a share of the "
              f"drafted tokens instead)</p>")
    return f"<p style=\"white-space:pre-wrap;\">{body}</p>{legend}"
