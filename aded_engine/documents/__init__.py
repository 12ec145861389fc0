"""Documents attached to a message: their text (extract.py), their chunks and the best ones
for a question (index.py), the message that fits the context (fitting.py), and the drafter
learning all of them (drafting.py). No Qt here; the app and the CLI use the same calls."""

from .drafting import DocumentLayer, learn_documents
from .extract import Document, DocumentError, document_from_bytes, document_from_text, read_document
from .fitting import (BuiltMessage, MessageTokens, build_message, document_tokens,
                      message_tokens)
from .index import Chunk, ChunkIndex

__all__ = ["BuiltMessage", "Chunk", "ChunkIndex", "Document", "DocumentError", "DocumentLayer",
           "MessageTokens", "build_message", "document_from_bytes", "document_from_text",
           "document_tokens", "learn_documents", "message_tokens", "read_document"]
