"""A question with documents, on the real demo model: whole documents when they fit,
the best excerpts (marked, named in the footer) when they do not, the composer's count,
the raise-the-context offer, and a greedy reply that quotes the attached document."""

import os
import re
import subprocess
import sys

import pytest

from aded_engine.documents import (build_message, document_from_text, document_tokens,
                                   message_tokens)
from aded_engine.documents.context_size import context_bytes, offer_context
from aded_engine.documents.fitting import reply_room
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ContextOverflowError

CITIES = ["Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Quito", "Dakar", "Perth", "Tallinn",
          "Accra", "Cusco", "Bergen"]


def atlas(paragraphs: int) -> str:
    """Paragraphs about different cities, each a few sentences long."""
    out = []
    for i in range(paragraphs):
        city = CITIES[i % len(CITIES)]
        out.append(f"Section {i}. The city of {city} has a market that opens at {6 + i % 5} "
                   f"o'clock. Its river is crossed by {i + 2} bridges, and its museum keeps "
                   f"{100 + 13 * i} paintings. Visitors to {city} often take the tram.")
    return "\n\n".join(out)


def test_whole_documents_when_they_fit(session):
    doc = document_from_text("The vault code is PELICAN-47.\n\nIt opens at dawn.", "vault.txt")
    built = build_message(session, [], "What is the vault code?", {"v": doc}, 64)
    assert built.whole and built.excerpts == [] and built.fit.dropped == 0
    assert built.content.startswith("[Document: vault.txt]\nThe vault code is PELICAN-47.")
    assert built.content.endswith("What is the vault code?")
    assert built.messages[-1] == {"role": "user", "content": built.content}
    assert built.footer() == "From the documents: vault.txt (whole)"
    assert built.used == ["vault.txt (whole)"]
    count = message_tokens(session, [], "What is the vault code?", [doc], 64)
    assert count.fits and count.message == len(built.fit.prompt_tokens)
    assert count.room == reply_room(session, 64)
    assert document_tokens(session, doc) < count.message


def test_excerpts_that_answer_when_the_whole_does_not_fit(session):
    doc = document_from_text(atlas(120), "atlas.md")
    history = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi!"}]
    question = "How many paintings does the museum of Section 77 keep?"
    count = message_tokens(session, history, question, [doc], 256)
    assert not count.fits and count.message > session.backend.n_ctx
    built = build_message(session, history, question, {"a": doc}, 256)
    assert not built.whole and built.excerpts
    assert len(built.fit.prompt_tokens) <= reply_room(session, 256)
    assert built.messages[:2] == history  # room was left for the earlier turns
    assert "Section 77." in built.content and f"{100 + 13 * 77} paintings" in built.content
    parts = [c.part for c in built.excerpts]
    assert parts == sorted(parts)  # in reading order
    for c in built.excerpts:
        assert f"[Excerpt: atlas.md, part {c.part} of {c.parts}]\n{c.text}" in built.content
    assert built.footer().startswith("From the documents: atlas.md, parts ")
    assert "(the parts that best match the question; the whole did not fit)" in built.footer()
    # a question that names nothing in particular still gets parts spread over the document
    spread = build_message(session, [], "Summarise it.", {"a": doc}, 256)
    first, last = spread.excerpts[0].part, spread.excerpts[-1].part
    assert len(spread.excerpts) > 2 and last - first > spread.excerpts[0].parts // 2


def test_a_question_too_long_for_any_context(session):
    doc = document_from_text(atlas(5), "atlas.md")
    with pytest.raises(ContextOverflowError):
        build_message(session, [], "why " * 3000, {"a": doc}, 64)


def test_the_context_offer(session):
    b = session.backend
    offer = offer_context(session, 3000, 512)
    assert offer.possible and offer.n_ctx == 4096 and offer.current == b.n_ctx
    assert offer.extra_bytes == context_bytes(b, 4096) - context_bytes(b, b.n_ctx) > 0
    too_long = offer_context(session, b.n_ctx_train + 10, 512)
    assert not too_long.possible and "more than this model handles" in too_long.reason


def test_kv_estimate_matches_what_llama_cpp_allocates(demo_model_path):
    """The KV bytes per token against the size llama.cpp itself logs for its cache."""
    code = ("from aded_engine.backend import LlamaBackend, BackendSettings\n"
            f"b = LlamaBackend({str(demo_model_path)!r}, BackendSettings(n_ctx=1024, n_threads=1))\n"
            "print('ESTIMATE', b.kv_bytes_per_token() * b.n_ctx)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "ADED_LLAMA_LOG": "1"}, timeout=300)
    logged = re.search(r"KV buffer size =\s*([\d.]+) MiB", run.stderr)
    estimate = int(re.search(r"ESTIMATE (\d+)", run.stdout).group(1))
    assert logged and abs(estimate / 2**20 - float(logged.group(1))) < 0.01


def test_attach_then_ask_the_reply_quotes_the_document(session):
    doc = document_from_text("The secret code of the vault is PELICAN-47. The vault opens at "
                             "dawn.\n\nNobody else knows it.", "secret.txt")
    built = build_message(session, [], "What is the secret code of the vault?", {"s": doc}, 48)
    reply = session.generate(built.messages, SamplingSettings(max_tokens=48))
    assert "PELICAN-47" in reply.text
