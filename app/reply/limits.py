"""How long a typed or pasted message may be (issue 22 item 7): a 100 MB paste cost 3.6 GB
of memory (the message box's document and layout, the token count's copies, the store, the
engine's fit). Longer text is refused before anything copies or renders it, with the way to
send it: as a document (Attach…), which is read, measured and fitted by parts."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 10_000_000  # about 10 MB of text: far more than any context holds


def too_long_notice(chars: int) -> str:
    return (f"This text is {chars / 1e6:,.1f} million characters: a message holds at most "
            f"{MAX_MESSAGE_CHARS / 1e6:,.0f} million. Save it to a file and attach it as a "
            "document instead (Attach…, or drop the file).")
