"""Lossless speculative sampling: ADED's samples follow the model's own distribution."""

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from aded_engine.backend import BackendSettings
from aded_engine.proposer import AdedSettings
from aded_engine.sampling import Sampler, SamplingSettings, filtered_distribution, penalized
from aded_engine.session import ChatSession, SessionSettings

FALSE_ALARM = 1e-3  # chance that this test fails although both samplers are the same


def test_filtered_distribution_literal():
    logits = np.array([2.0, 1.0, 0.0, -5.0])
    ids, p = filtered_distribution(logits, SamplingSettings(temperature=1.0, top_k=3, top_p=1.0, min_p=0.0))
    assert ids.tolist() == [0, 1, 2]
    assert p == pytest.approx(np.exp([2, 1, 0]) / np.exp([2, 1, 0]).sum())
    ids, _ = filtered_distribution(logits, SamplingSettings(temperature=1.0, top_k=0, top_p=0.5, min_p=0.0))
    assert ids.tolist() == [0]
    ids, _ = filtered_distribution(logits, SamplingSettings(temperature=1.0, top_k=0, top_p=1.0, min_p=0.3))
    assert ids.tolist() == [0, 1]


def test_repeat_penalty_literal():
    logits = np.array([2.0, -1.0, 3.0, 0.5])
    out = penalized(logits, [0, 1, 0], 2.0)  # token 0 twice: penalized once, like llama.cpp
    assert out.tolist() == [1.0, -2.0, 3.0, 0.5] and logits.tolist() == [2.0, -1.0, 3.0, 0.5]
    assert penalized(logits, [], 2.0) is logits and penalized(logits, [0], 1.0) is logits
    greedy = Sampler(SamplingSettings(temperature=0.0, repeat_penalty=2.0, repeat_last_n=2))
    assert greedy.pick(logits, [2]) == 0  # 3.0 / 2 < 2.0
    assert greedy.pick(logits, [2, 3, 1]) == 2  # token 2 is older than the last two


# no penalty; and a strong one over the last 3 tokens, so that within a tree each row's
# distribution depends on its own path (a longer window over this repetitive prompt flattens
# the distribution until drafts are rarely accepted)
@pytest.mark.parametrize("repeat_penalty, repeat_last_n", [(1.0, 64), (1.5, 3)])
def test_aded_sampling_matches_plain_sampling(demo_model_path, repeat_penalty, repeat_last_n):
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2)))
    forced = s.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=6))
    # A context the table predicts well, with the reply already begun ("apple"), so that
    # drafts are accepted on any CPU (about 1 per reply here, 17 in 250 replies on an
    # AVX-512 machine without the begun reply), and a temperature that keeps dozens of
    # outcomes for the chi-square test.
    prompt = s.prompt_tokens([{"role": "user", "content": "Continue the list: apple, banana, cherry, "
                               "apple, banana, cherry, apple, banana, cherry, apple,"}])
    prompt += s.backend.tokenize("apple")
    sampling = dict(temperature=1.5, top_k=40, top_p=1.0, min_p=0.0, max_tokens=3,
                    repeat_penalty=repeat_penalty, repeat_last_n=repeat_last_n)
    n = 250
    joint = {"plain": [], "aded": []}
    accepted = 0
    for i in range(n):
        for name, proposer in (("plain", s.plain), ("aded", forced)):
            reply = s.generate_from_tokens(prompt, SamplingSettings(seed=1000 + i, **sampling),
                                           proposer=proposer)
            joint[name].append(tuple(reply.tokens[:2]))
            if name == "aded":
                accepted += reply.stats.accepted
    s.close()
    assert accepted >= 20  # drafts were really accepted, so the tree path was exercised
    outcomes = sorted(set(joint["plain"]) | set(joint["aded"]))
    counts = np.array([[joint[m].count(o) for o in outcomes] for m in ("plain", "aded")])
    frequent = counts.sum(axis=0) >= 10  # pool rare outcomes so the chi-square test is valid
    table = np.column_stack([counts[:, frequent], counts[:, ~frequent].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    _, p_value, _, _ = chi2_contingency(table)
    assert p_value > FALSE_ALARM, (p_value, table)


def test_each_tree_row_is_penalized_by_its_own_path(demo_model_path):
    """Greedy with a repeat penalty: every emitted token is the argmax of its verifier row
    penalized by exactly the tokens before it, drafted ones of the same step included."""
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2)))
    forced = s.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=6))
    prompt = s.prompt_tokens([{"role": "user", "content": "Continue the list: apple, banana, cherry, "
                               "apple, banana, cherry, apple, banana, cherry, apple,"}])
    sampling = SamplingSettings(temperature=0.0, repeat_penalty=1.5, repeat_last_n=8, max_tokens=48)
    reply = s.generate_from_tokens(prompt, sampling, proposer=forced, keep_logits=True)
    s.close()
    assert reply.stats.accepted >= 5  # rows past the root of a tree were used
    history = list(prompt)
    for token, row in zip(reply.tokens, reply.logits):
        assert token == int(np.argmax(penalized(row, history[-8:], 1.5)))
        history.append(token)
