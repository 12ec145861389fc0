"""Gemma-3-270M: a 262,144-token vocabulary and sliding-window attention, end to end."""

import numpy as np
import pytest

from aded_engine.backend import BackendSettings
from aded_engine.proposer import AdedSettings
from aded_engine.catalog import GEMMA3
from aded_engine.models import fetch_model
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings
from aded_engine.trigram import ctx_key


@pytest.fixture(scope="module")
def gemma():
    s = ChatSession(fetch_model(GEMMA3),
                    SessionSettings(backend=BackendSettings(n_ctx=1024, n_threads=2)))
    yield s
    s.close()


def test_tree_verification_with_a_large_vocabulary(gemma):
    assert gemma.backend.n_vocab == 262_144
    forced = gemma.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=6))
    prompt = gemma.backend.tokenize("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,", add_special=True)
    reply = gemma.generate_from_tokens(prompt, SamplingSettings(max_tokens=32), proposer=forced,
                                       keep_logits=True)
    assert reply.stats.accepted > 0
    for tok, row in zip(reply.tokens, reply.logits):
        assert row.shape == (262_144,) and tok == int(np.argmax(row))
    assert gemma.backend.seq_pos_range(0) == (0, len(prompt) + len(reply.tokens) - 2)


def test_history_table_with_high_token_ids(gemma):
    text = "Kuala Lumpur 東京 São Paulo Zürich Ålesund"
    tokens = gemma.backend.tokenize(text, parse_special=False)
    assert max(tokens) > 65_536  # ids beyond 16 bits really occur
    gemma.learn_exchange([text])
    i = next(k for k in range(len(tokens) - 2) if tokens[k] > 65_536 or tokens[k + 1] > 65_536)
    assert gemma.learned.history.successors(ctx_key(tokens[i], tokens[i + 1])) == {tokens[i + 2]: 1.0}
