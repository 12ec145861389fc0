"""The document-grounded prompt set of aded-bench: its items, the first turn carrying the
document as the app attaches it, and one short run of ``aded-bench --set documents``."""

import json

from aded_engine.bench import main as bench_main
from aded_engine.bench import load_prompts
from aded_engine.documents import document_tokens
from aded_engine.documents.bench_set import (DOCUMENT_PROMPTS, item_documents, prepare_item,
                                             turn_content)

CATEGORIES = {"summarise", "extract", "rewrite", "table", "code-edit"}


def test_the_set_has_two_turns_a_document_and_a_category_each():
    items = load_prompts(DOCUMENT_PROMPTS, None)
    assert len(items) >= 10 and len({i["question_id"] for i in items}) == len(items)
    assert {i["category"] for i in items} == CATEGORIES
    for item in items:
        assert len(item["turns"]) == 2 and item["name"] and len(item["document"]) > 1000
    # "--limit 5" takes one item of each category
    assert {i["category"] for i in load_prompts(DOCUMENT_PROMPTS, 5)} == CATEGORIES


def test_first_turns_carry_their_document_whole(session):
    for item in load_prompts(DOCUMENT_PROMPTS, None):
        documents = prepare_item(session, item)
        doc = documents[item["name"]]
        assert session.learned.documents.tokens == len(
            session.backend.tokenize(doc.text, parse_special=False))
        assert document_tokens(session, doc) < 1800  # whole in a 4096 context with 512 to reply
        first = turn_content(session, item, documents, 0, 128)
        assert first.startswith(f"[Document: {item['name']}]\n") and item["turns"][0] in first
        assert turn_content(session, item, documents, 1, 128) == item["turns"][1]
    prepare_item(session, {"turns": ["no document"]})
    assert session.learned.documents is None and item_documents({"turns": ["x"]}) == {}


def test_a_short_run_of_the_document_set(tmp_path, capsys):
    out = tmp_path / "doc.json"
    assert bench_main(["--model", "smollm2-135m", "--set", "documents", "--limit", "1", "--turns", "1", "--max-tokens", "8",
                       "--methods", "ar,aded", "--threads", "2", "--ctx", "2048",
                       "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["meta"]["set"] == "doc_bench" and result["meta"]["prompts"] == 1
    assert set(result["methods"]) == {"ar", "aded"}
    assert list(result["methods"]["aded"]["by_category"]) == ["summarise"]
    record = result["prompts"][0]
    assert record["category"] == "summarise" and record["outputs"]["ar"]["output_tokens"]
    assert "1 doc_bench questions" in capsys.readouterr().out
