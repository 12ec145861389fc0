"""ADED decoding against plain decoding on the real demo model (no mocks).

Greedy outputs cannot be compared bit for bit: on a CPU a token's logits round differently in
a one-row batch than in a many-row one, so plain decoding and tree verification may pick
different argmaxes where two logits nearly tie. So the checks are: every emitted token is the
argmax of the verifier's logits for it, and where ADED first departs from plain decoding,
plain decoding's top two logits there are a near-tie.
"""

import json
from importlib import resources

import numpy as np
import pytest

from aded_engine.proposer import AdedSettings
from aded_engine.sampling import SamplingSettings

NEAR_TIE = 0.6  # logits; first departures on this model were measured at margins up to 0.35


def mt_bench(n):
    path = resources.files("aded_engine") / "data" / "mt_bench_question.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()[:n]]


@pytest.fixture(scope="module")
def forced(session):
    """ADED that always verifies a tree (no cost gate), so every path of the verifier runs."""
    return session.new_proposer(AdedSettings(cost_aware=False, fixed_nodes=6))


def top2_margin(row):
    top = np.sort(row)[-2:]
    return float(top[1] - top[0])


def test_every_token_is_the_verifiers_argmax_and_departures_are_near_ties(session, forced):
    drafted = departures = differing = 0
    for q in mt_bench(6):
        # the second turn asks to rework the first answer: drafts get accepted there
        first = session.generate([{"role": "user", "content": q["turns"][0]}],
                                 SamplingSettings(max_tokens=40), proposer=session.plain)
        messages = [{"role": "user", "content": q["turns"][0]},
                    {"role": "assistant", "content": first.text},
                    {"role": "user", "content": q["turns"][1]}]
        plain = session.generate(messages, SamplingSettings(max_tokens=40), proposer=session.plain,
                                 keep_logits=True)
        aded = session.generate(messages, SamplingSettings(max_tokens=40), proposer=forced,
                                keep_logits=True)
        assert len(aded.logits) == len(aded.tokens)
        for tok, row in zip(aded.tokens, aded.logits):
            assert tok == int(np.argmax(row))
        drafted += aded.stats.accepted
        differing += aded.tokens != plain.tokens
        for i, (a, b) in enumerate(zip(aded.tokens, plain.tokens)):
            if a != b:
                departures += 1
                assert top2_margin(plain.logits[i]) < NEAR_TIE, (q["question_id"], i)
                break
    assert drafted > 10  # the tree path really ran and accepted drafts
    assert departures == differing  # no reply differs without its departure being checked


def test_kv_cache_holds_exactly_the_committed_tokens_across_turns(session, forced):
    backend = session.backend
    messages = [{"role": "user", "content": "List the days of the week, one per line."}]
    for turn in range(2):
        prompt = session.prompt_tokens(messages)
        text_len = [len(prompt)]

        def check(ev):
            text_len[0] += len(ev.step.tokens)
            assert backend.seq_pos_range(0) == (0, text_len[0] - 2)
            for seq in range(1, backend.settings.n_seq_max):
                assert backend.seq_pos_range(seq) == (-1, -1)

        reply = session.generate(messages, SamplingSettings(max_tokens=48), on_event=check,
                                 proposer=forced)
        assert reply.stats.calls > 0
        assert session.kv_tokens == (prompt + reply.tokens)[:-1]
        messages += [{"role": "assistant", "content": reply.text},
                     {"role": "user", "content": "Now in reverse order."}]


def _next_logits_after(session, prompt, proposer):
    """Generate with ``proposer``, then the logits the cache gives for the next position,
    and those of a fresh prefill of the same text."""
    reply = session.generate_from_tokens(prompt, SamplingSettings(max_tokens=60), proposer=proposer)
    text = session.kv_tokens + [reply.tokens[-1]]
    b = session.backend
    cached = b.decode([text[-1]], [len(text) - 1])[0].copy()
    b.clear()
    b.eval_prompt(text[:-1], 0)
    fresh = b.decode([text[-1]], [len(text) - 1])[0].copy()
    b.clear()
    session.kv_tokens = []
    return reply, text, float(np.max(np.abs(cached - fresh)))


def test_cache_after_pruned_trees_is_as_good_as_after_plain_decoding(session, forced):
    """A rejected branch left visible, or an accepted one lost, moves logits by whole units;
    batch-size rounding (present for plain decoding too) moves them by a fraction."""
    prompt = session.prompt_tokens([{"role": "user", "content": "Count from 1 to 30, separated by commas."}])
    aded, aded_text, aded_gap = _next_logits_after(session, prompt, forced)
    plain, plain_text, plain_gap = _next_logits_after(session, prompt, session.plain)
    assert aded.stats.accepted > 10
    assert aded_gap <= 2 * plain_gap + 0.25, (aded_gap, plain_gap)


def test_stop_is_honoured_within_one_step(session):
    calls = []
    reply = session.generate([{"role": "user", "content": "Write a long story."}],
                             SamplingSettings(max_tokens=200),
                             should_stop=lambda: len(calls) >= 3,
                             on_event=lambda ev: calls.append(ev))
    assert reply.stats.finish_reason == "cancelled"
    assert len(calls) == 3 and reply.stats.calls == 3


def test_reply_statistics_are_consistent(session):
    reply = session.generate([{"role": "user", "content": "Repeat exactly: the cat sat on the mat. "
                                                          "the cat sat on the mat. the cat sat on the mat."}],
                             SamplingSettings(max_tokens=48))
    s = reply.stats
    assert s.tokens == len(reply.tokens) or s.finish_reason == "stop"
    # every call produces at least one token; the end-of-generation token counts as its
    # call's (decode.DecodeCounts.tokens_per_call), so this holds however the reply ends
    assert s.tokens_per_call >= 1.0
    assert s.ended == (s.finish_reason == "stop")
    assert s.tokens + s.ended == sum(st.emitted for st in s.steps) + s.ended
    assert s.tokens_per_call == pytest.approx((s.tokens + s.ended) / s.calls)
    assert s.calls == len(s.steps) and s.nodes == sum(st.nodes for st in s.steps)
    assert 0.0 <= s.draft_share < 0.5
    assert s.speedup is None or s.speedup > 0


def test_a_reply_that_ends_in_a_plain_step_counts_its_end_token(session):
    """Plain decoding (no drafts): each call produces one token, the last call the
    end-of-generation token, which is no text. Tokens per call is 1.0, not tokens / (tokens
    + 1) (issue 22 item 10)."""
    plain = session.new_proposer(AdedSettings(enabled=False))
    reply = session.generate([{"role": "user",
                               "content": "What is 2+2? Answer with the number only."}],
                             SamplingSettings(max_tokens=128), proposer=plain)
    s = reply.stats
    assert s.finish_reason == "stop" and s.accepted == 0
    assert s.calls == s.tokens + 1 and s.ended == 1
    assert s.tokens_per_call == 1.0 and s.summary()["tokens_per_call"] == 1.0


def test_no_speedup_is_claimed_for_a_reply_without_an_accepted_draft():
    """A load that eased during the reply made its plain steps look dearer than the time
    taken: with no accepted draft that is still plain decoding, 1.00x at best."""
    from aded_engine.decode import ReplyStats
    measured = dict(tokens=20, seconds=1.0, calls=20, verify_ms=1000.0, plain_ms=1500.0)
    assert ReplyStats(accepted=0, **measured).speedup == 1.0
    assert ReplyStats(accepted=5, **measured).speedup == 1.5
    slower = dict(measured, plain_ms=800.0)  # drafts verified, none kept: slower, and says so
    assert ReplyStats(accepted=0, nodes=30, **slower).speedup == 0.8
