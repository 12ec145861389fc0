"""The document-grounded prompt set of ``aded-bench --set documents``.

``data/doc_bench.jsonl``: one item a line, ``{question_id, category, name, document,
turns: [first, second]}``; the first turn is asked about the document (attached as the app
attaches it: whole when it fits, else the best excerpts), the second follows up on the first
answer. Categories: summarise, extract, rewrite, table, code-edit.
"""

from __future__ import annotations

from pathlib import Path

from .drafting import learn_documents
from .extract import Document, document_from_bytes
from .fitting import build_message

DOCUMENT_PROMPTS = Path(__file__).resolve().parent.parent / "data" / "doc_bench.jsonl"


def item_documents(item: dict) -> dict[str, Document]:
    """key -> Document of a benchmark item ({} for an item without a document)."""
    if "document" not in item:
        return {}
    name = item.get("name") or "document.txt"
    return {name: document_from_bytes(item["document"].encode("utf-8"), name)}


def prepare_item(session, item: dict) -> dict[str, Document]:
    """Before an item's first turn: the drafters learn its documents (or forget the last
    item's)."""
    documents = item_documents(item)
    learn_documents(session, documents, item["turns"][0])
    return documents


def turn_content(session, item: dict, documents: dict[str, Document], turn: int,
                 max_tokens: int) -> str:
    """The user message of a turn: the first one carries the item's documents."""
    if turn > 0 or not documents:
        return item["turns"][turn]
    return build_message(session, [], item["turns"][0], documents, max_tokens).content
