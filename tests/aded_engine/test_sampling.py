"""Lossless speculative sampling: ADED's samples follow the model's own distribution."""

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from aded_engine.backend import BackendSettings
from aded_engine.proposer import AdedSettings
from aded_engine.sampling import SamplingSettings, filtered_distribution
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


def test_aded_sampling_matches_plain_sampling(demo_model_path):
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2)))
    forced = s.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=6))
    # A context the table predicts well, with the reply already begun ("apple"), so that
    # drafts are accepted on any CPU (about 1 per reply here, 17 in 250 replies on an
    # AVX-512 machine without the begun reply), and a temperature that keeps dozens of
    # outcomes for the chi-square test.
    prompt = s.prompt_tokens([{"role": "user", "content": "Continue the list: apple, banana, cherry, "
                               "apple, banana, cherry, apple, banana, cherry, apple,"}])
    prompt += s.backend.tokenize("apple")
    sampling = dict(temperature=1.5, top_k=40, top_p=1.0, min_p=0.0, max_tokens=3)
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
