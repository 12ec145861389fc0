"""Files to attachments: read, extract the text (``aded_engine.documents``), or a clear
``AttachmentError``. Paths come from the Attach button, a drop or a paste (URLs); a paste of
file data without a path comes as bytes. Nothing is half-attached: a file either gives a whole
``Attachment`` or an error sentence for the user.
"""

from __future__ import annotations

from pathlib import Path

from aded_engine.documents.extract import (Document, DocumentError, document_from_bytes,
                                          read_document)

from .attachments import Attachment


class AttachmentError(ValueError):
    """This file cannot be attached; the message says why (for the user)."""


def _record(document: Document) -> Attachment:
    return Attachment(document.name, document.kind, document.size, document.text,
                      page_starts=document.page_starts, repaired=document.repaired)


def load_attachment(path: str | Path) -> Attachment:
    """Read and extract one file; ``AttachmentError`` says why it cannot be attached."""
    try:
        return _record(read_document(path))
    except DocumentError as exc:
        raise AttachmentError(str(exc)) from exc


def attachment_from_bytes(name: str, data: bytes) -> Attachment:
    """A file pasted as data (no file on disk), e.g. from a browser."""
    try:
        return _record(document_from_bytes(data, name))
    except DocumentError as exc:
        raise AttachmentError(str(exc)) from exc


# file data a paste may carry without a path, by MIME type: the name it is attached under
PASTED_FILES = {"application/pdf": "Pasted file.pdf", "text/csv": "Pasted file.csv",
                "application/json": "Pasted file.json", "text/markdown": "Pasted file.md"}


def files_in_mime(mime) -> tuple[list[Path], list[tuple[str, bytes]]]:
    """What a drop or paste (a QMimeData) carries as files: local paths, and file data
    without a path as (name, bytes). Plain text is not a file (it is typed in)."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()] \
        if mime.hasUrls() else []
    blobs = [(name, bytes(mime.data(kind))) for kind, name in PASTED_FILES.items()
             if not paths and mime.hasFormat(kind)]
    return paths, blobs
