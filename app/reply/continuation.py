"""Continue: a reply cut short goes on in the same message.

A reply is cut short when it reached the reply length limit (``finish_reason`` "length"),
or when the program ended while it was being written (the store marks such a row
"interrupted" at the next start). Continue sends the conversation with that reply as the
beginning of the model's turn (ChatSession's ``continue_reply``), appends what comes, and
saves one message whose statistics cover both runs (``ReplyRecord.followed_by``).
"""

from __future__ import annotations

from ..mainwindow.theme import Theme
from ..storage.store import INTERRUPTED, Message


def can_continue(msg: Message) -> bool:
    """Is ``msg`` a reply that was cut short and has text to go on from? (A "partial" row is
    one being written, here or by another instance sharing the file: not this one's.)"""
    if msg.role != "assistant" or not msg.content.strip():
        return False
    return msg.status == INTERRUPTED or msg.record.finish_reason == "length"


def continue_footer_html(index: int, msg: Message, theme: Theme) -> str:
    """The line under a reply cut short: why, and a Continue link ('' for other replies)."""
    if not can_continue(msg):
        return ""
    why = ("It reached the reply length limit (Settings: Max reply tokens)."
           if msg.status != INTERRUPTED
           else "The program ended while it was being written.")
    return (f"<p style=\"color:{theme.muted}; font-size:small;\">{why} "
            f"<a href=\"act:continue:{index}\">Continue</a></p>")


def earlier_learning(messages: list[Message]) -> tuple[str | None, tuple[str, ...]]:
    """Which table learned the last exchange (its user message and the reply so far), and
    those texts: they are forgotten when the continued whole is learned (or when it is not
    learned), so that a table holds exactly what the stored message says. (None, ()) when no
    table learned it."""
    reply = messages[-1]
    learned_by = reply.record.learned_by
    if not learned_by or len(messages) < 2 or reply.record.learned_source:
        return None, ()  # a source is replaced exactly when the whole is learned again
    return learned_by, (messages[-2].content, reply.content)
