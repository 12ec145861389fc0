"""Reading a long prompt in pieces on the real demo model: progress is reported, Stop
interrupts it, and the KV cache holds exactly what the session says afterwards."""

import pytest

from aded_engine import paths
from aded_engine.backend import BackendSettings
from aded_engine.prefill import PrefillProgress, prefill
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings

LONG = " ".join(f"item {i} is a {['red', 'blue', 'green'][i % 3]} box" for i in range(30))
N_BATCH = 64  # the piece size: small, so that a prompt of a few hundred tokens has several


@pytest.fixture(scope="module")
def session(demo_model_path, tmp_path_factory):
    paths.set_data_dir(tmp_path_factory.mktemp("prefill-data"))
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(
        n_ctx=512, n_threads=1, n_batch=N_BATCH, n_seq_max=N_BATCH)))
    yield s
    s.close()
    paths.set_data_dir(None)


def long_prompt(session):
    prompt = session.prompt_tokens([{"role": "user", "content": LONG + "\nSummarize."}])
    assert 3 * N_BATCH < len(prompt) < session.backend.n_ctx - 64
    return prompt


def empty_cache(session):
    session.backend.clear()
    session.kv_tokens = []


def held_positions(session):
    return session.backend.seq_pos_range(0)


def test_a_long_prompt_reports_its_progress_piece_by_piece(session):
    empty_cache(session)
    prompt = long_prompt(session)
    heard = []
    reply = session.generate_from_tokens(prompt, SamplingSettings(max_tokens=4),
                                         proposer=session.plain, on_prefill=heard.append)
    total = len(prompt) - 1  # the last prompt token is evaluated with the first step
    assert [p.done for p in heard] == list(range(0, total, N_BATCH)) + [total]
    assert all(p.total == total for p in heard) and heard[-1].done == total
    assert heard[0].tokens_per_s is None and heard[0].seconds_left is None
    assert all(p.tokens_per_s > 0 for p in heard[1:])
    assert heard[1].seconds_left > 0 and heard[-1].seconds_left == 0
    assert reply.stats.tokens > 0 and session.last_prefill == total


def test_only_tokens_not_cached_are_read_and_counted(session):
    empty_cache(session)
    prompt = long_prompt(session)
    session.generate_from_tokens(prompt, SamplingSettings(max_tokens=2), proposer=session.plain)
    heard = []
    longer = prompt[:-1] + session.backend.tokenize(" And in one line?") + prompt[-1:]
    session.generate_from_tokens(longer, SamplingSettings(max_tokens=2), proposer=session.plain,
                                 on_prefill=heard.append)
    cached = session.kv_tokens  # after the reply: the prompt and the reply's tokens
    assert heard and heard[-1].total == heard[-1].done == session.last_prefill
    assert 0 < session.last_prefill < 20
    assert held_positions(session) == (0, len(cached) - 1)


def test_stop_while_reading_leaves_a_consistent_cache(session):
    empty_cache(session)
    prompt = long_prompt(session)
    heard = []
    reply = session.generate_from_tokens(prompt, SamplingSettings(max_tokens=16),
                                         proposer=session.plain, on_prefill=heard.append,
                                         should_stop=lambda: bool(heard) and heard[-1].done > 0)
    assert reply.stats.finish_reason == "cancelled" and reply.tokens == [] and reply.text == ""
    assert [p.done for p in heard] == [0, N_BATCH]  # stopped after the first piece
    assert session.kv_tokens == prompt[:N_BATCH]
    assert held_positions(session) == (0, N_BATCH - 1)  # exactly what kv_tokens says

    # going on from the stop gives what a fresh cache gives (the same pieces, greedy)
    greedy = SamplingSettings(max_tokens=16)
    resumed = session.generate_from_tokens(prompt, greedy, proposer=session.plain)
    assert session.last_prefill == len(prompt) - 1 - N_BATCH
    empty_cache(session)
    fresh = session.generate_from_tokens(prompt, greedy, proposer=session.plain)
    assert resumed.tokens == fresh.tokens and len(fresh.tokens) > 0


def test_stop_before_anything_is_read_evaluates_nothing(session):
    empty_cache(session)
    prompt = session.prompt_tokens([{"role": "user", "content": "Say hi."}])
    held, evaluated = prefill(session.backend, [], prompt[:-1], should_stop=lambda: True)
    assert (held, evaluated) == ([], 0) and held_positions(session) == (-1, -1)


def test_progress_arithmetic():
    p = PrefillProgress(done=1200, total=3600, seconds=2.0)
    assert p.tokens_per_s == 600 and p.seconds_left == 4.0
    assert PrefillProgress(0, 3600, 0.0).tokens_per_s is None
