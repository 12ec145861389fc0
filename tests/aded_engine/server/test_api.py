"""The local server with real clients: the official ``openai`` package and raw HTTP
(httpx), against servers started here on free ports over the real demo model.

Two servers share one session through one SessionHost, as the app's window and its server
do: one decoding with ADED, one plainly. Greedy text is compared exactly only where the
decoding is deterministic (the plain server), or where no batch shape can differ.
"""

import json
import threading
import time

import httpx
import openai
import pytest
from openai import OpenAI

from aded_engine.cli import main as cli_main
from aded_engine.server.api import FLUSH_S, ServerConfig, model_ids
from aded_engine.server.host import SessionHost
from aded_engine.server.serve import ApiServer, UnsafeBindError

QUESTION = [{"role": "user", "content": "Name three fruits and say one thing about each."}]


def wait_for(cond, timeout=120):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def host(session):
    return SessionHost(session)


@pytest.fixture(scope="module")
def records():
    """Every request the servers logged (RequestRecord), in the order they were logged."""
    return []


def started(session_host, records, **config):
    server = ApiServer(session_host, ServerConfig(port=0, learn=False, **config), records.append)
    server.start()
    return server


@pytest.fixture(scope="module")
def aded_server(host, records):
    server = started(host, records)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain_server(host, records):
    server = started(host, records, aded=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def model(host):
    return model_ids(host)[0]


def client(server, key="unused"):
    return OpenAI(base_url=server.address, api_key=key, max_retries=0, timeout=300)


def streamed(server, **kw):
    chunks = list(client(server).chat.completions.create(stream=True, **kw))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


def test_models_lists_the_loaded_model(aded_server, session):
    models = client(aded_server).models.list().data
    assert [m.id for m in models] == [session.backend.path.stem]


@pytest.mark.parametrize("which", ["plain_server", "aded_server"])
def test_streamed_and_whole_replies_agree_under_greedy(which, request, model, session):
    server = request.getfixturevalue(which)
    whole = client(server).chat.completions.create(model=model, messages=QUESTION,
                                                   temperature=0, max_tokens=48)
    text, chunks = streamed(server, model=model, messages=QUESTION, temperature=0,
                            max_tokens=48, stream_options={"include_usage": True})
    assert text and text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert len({c.id for c in chunks}) == 1
    usage = chunks[-1].usage  # include_usage: a last chunk without choices
    assert not chunks[-1].choices and usage.completion_tokens == whole.usage.completion_tokens
    assert whole.usage.prompt_tokens == len(session.prompt_tokens(QUESTION))
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    aded = whole.model_extra["aded"]
    assert aded["enabled"] == (which == "aded_server")
    assert aded["calls"] >= 1 and 0 <= aded["accepted"] <= aded["drafted"]
    ended = whole.choices[0].finish_reason == "stop"  # its end token counts (decode.py)
    assert aded["tokens_per_call"] == pytest.approx(
        (whole.usage.completion_tokens + ended) / aded["calls"], abs=0.01)
    if which == "plain_server":
        assert aded["drafted"] == 0


def test_sse_stream_ends_with_done(plain_server, model):
    body = {"model": model, "messages": QUESTION, "max_tokens": 8, "stream": True}
    with httpx.stream("POST", plain_server.address + "/chat/completions", json=body,
                      timeout=300) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        data = [line[len("data: "):] for line in r.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    last = json.loads(data[-2])
    assert last["choices"][0]["finish_reason"] in ("stop", "length") and "aded" in last


def test_a_stream_collects_text_on_a_timer_not_per_step(plain_server, model):
    """The decoder never wakes the event loop: the stream sends what was made within each
    FLUSH_S, so a reply of many steps arrives in about decode time / FLUSH_S chunks."""
    _text, chunks = streamed(plain_server, model=model, messages=QUESTION, temperature=0,
                             max_tokens=96)
    content = [c for c in chunks if c.choices and c.choices[0].delta.content]
    aded = chunks[-1].model_extra["aded"]
    assert aded["calls"] >= 8  # one chunk per step would be as many chunks
    assert len(content) <= aded["decode_seconds"] / FLUSH_S + 2


def test_follow_up_reuses_the_cached_prompt(aded_server, model):
    first = client(aded_server).chat.completions.create(model=model, messages=QUESTION,
                                                        temperature=0, max_tokens=24)
    follow = QUESTION + [{"role": "assistant", "content": first.choices[0].message.content},
                         {"role": "user", "content": "Now say it again, shorter."}]
    second = client(aded_server).chat.completions.create(model=model, messages=follow,
                                                         temperature=0, max_tokens=24)
    # the whole first prompt was in the KV cache already (assistants resend the conversation)
    assert second.model_extra["aded"]["prompt_tokens_reused"] >= first.usage.prompt_tokens - 1


def test_stop_strings_end_the_reply_before_them(plain_server, model):
    full = client(plain_server).chat.completions.create(model=model, messages=QUESTION,
                                                        temperature=0, max_tokens=40)
    text = full.choices[0].message.content
    stop = text[12:16]
    expected = text[:text.index(stop)]
    cut = client(plain_server).chat.completions.create(model=model, messages=QUESTION,
                                                       temperature=0, max_tokens=40, stop=[stop])
    assert cut.choices[0].message.content == expected
    assert cut.choices[0].finish_reason == "stop"
    assert streamed(plain_server, model=model, messages=QUESTION, temperature=0,
                    max_tokens=40, stop=stop)[0] == expected


def test_a_seed_repeats_a_sampled_reply(plain_server, model):
    def sampled(seed):
        return client(plain_server).chat.completions.create(
            model=model, messages=QUESTION, temperature=1.0, top_p=1.0, max_tokens=24,
            seed=seed).choices[0].message.content
    assert sampled(11) == sampled(11)


def test_a_negative_seed_means_a_random_seed(plain_server, model):
    # OpenAI clients and llama.cpp send seed -1 for "any seed"
    for seed in (-1, -12345):
        reply = client(plain_server).chat.completions.create(
            model=model, messages=QUESTION, temperature=1.0, max_tokens=4, seed=seed)
        assert reply.choices[0].finish_reason in ("stop", "length")


BAD = [
    (b"{not json", 400, "invalid_request_error", None, None),
    ({"messages": QUESTION}, 400, "invalid_request_error", "model", None),
    ({"model": "MODEL"}, 400, "invalid_request_error", "messages", None),
    ({"model": "MODEL", "messages": QUESTION, "temperature": "hot"}, 400,
     "invalid_request_error", "temperature", None),
    ({"model": "MODEL", "messages": [{"role": "tool", "content": "x"}]}, 400,
     "invalid_request_error", "messages[0].role", None),
    ({"model": "gpt-4o", "messages": QUESTION}, 404, "invalid_request_error", "model",
     "model_not_found"),
    ({"model": "MODEL", "messages": [{"role": "user", "content": "word " * 2100}]}, 400,
     "invalid_request_error", "messages", "context_length_exceeded"),
    ({"model": "MODEL", "messages": QUESTION, "max_tokens": 5000}, 400,
     "invalid_request_error", "messages", "context_length_exceeded"),
]


@pytest.mark.parametrize("body, status, kind, param, code", BAD)
def test_bad_requests_get_openai_errors(aded_server, model, body, status, kind, param, code):
    if isinstance(body, dict):
        body = json.dumps(body).replace('"MODEL"', json.dumps(model)).encode()
    r = httpx.post(aded_server.address + "/chat/completions", content=body,
                   headers={"Content-Type": "application/json"}, timeout=300)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["type"] == kind and error["param"] == param and error["code"] == code
    assert error["message"]


HOSTILE = [  # (body, param, words the message must hold)
    (b'{"model": "MODEL", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None,
     "nested more than"),
    (b'{"model": "MODEL", "messages": [], "seed": ' + b"7" * 5000 + b"}", None,
     "5000 digits"),
    (b'{"model": "MODEL", "user": -' + b"9" * 4301 + b', "messages": []}', None,
     "4301 digits"),
    (b'{"model": "MODEL", "messages": [{"role": "user", "content": "hi \\ud800"}]}',
     "messages[0].content", "lone surrogate"),
    (b'{"model": "MODEL", "messages": [{"role": "user", "content": [{"type": "text", '
     b'"text": "\\udfff"}]}]}', "messages[0].content", "lone surrogate"),
    (b'{"model": "MODEL", "messages": [{"role": "user", "content": "\xed\xa0\x80"}]}', None,
     "UTF-8"),  # a surrogate encoded as bytes is not UTF-8
]


@pytest.mark.parametrize("body, param, words", HOSTILE)
def test_hostile_bodies_get_a_400_in_openais_shape(aded_server, records, model, body, param,
                                                   words):
    before = len(records)
    r = httpx.post(aded_server.address + "/chat/completions", timeout=300,
                   content=body.replace(b'"MODEL"', json.dumps(model).encode()),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert words in error["message"] and error["code"] is None
    assert records[before].status == 400 and words in records[before].error


def test_oversized_bodies_and_unknown_routes(host, records, model):
    server = started(host, records, max_body_bytes=1000)
    try:
        r = httpx.post(server.address + "/chat/completions", timeout=60, json={
            "model": model, "messages": [{"role": "user", "content": "x" * 2000}]})
        assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
        r = httpx.get(server.address + "/nothing", timeout=60)
        assert r.status_code == 404 and "error" in r.json()
    finally:
        server.stop()


def test_four_clients_at_once_are_all_answered_unmixed(plain_server, model):
    questions = ["What is the capital of France?", "Write a haiku about snow.",
                 "List three colours.", "Why is the sky blue?"]
    def ask(q):
        return client(plain_server).chat.completions.create(
            model=model, messages=[{"role": "user", "content": q}], temperature=0,
            max_tokens=32).choices[0].message.content
    alone = [ask(q) for q in questions]
    assert len(set(alone)) == 4
    together: dict[int, str] = {}
    barrier = threading.Barrier(4)

    def run(i):
        barrier.wait()
        together[i] = ask(questions[i]) if i % 2 else streamed(
            plain_server, model=model, messages=[{"role": "user", "content": questions[i]}],
            temperature=0, max_tokens=32)[0]
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert [together.get(i) for i in range(4)] == alone


def test_a_client_leaving_mid_stream_stops_its_generation(plain_server, host, records, model):
    body = {"model": model, "max_tokens": 1500, "temperature": 0, "stream": True,
            "messages": [{"role": "user", "content": "Write a very long story about a dragon."}]}
    before = len(records)
    with httpx.stream("POST", plain_server.address + "/chat/completions", json=body,
                      timeout=300) as r:
        lines = r.iter_lines()
        for _ in range(4):  # the role chunk and a few tokens, then hang up
            while not next(lines).startswith("data: "):
                pass
    wait_for(lambda: not host.busy and len(records) > before)
    gone = records[before]
    assert gone.status == 499 and gone.finish_reason == "cancelled"
    assert 0 < gone.completion_tokens < 1500
    reply = client(plain_server).chat.completions.create(model=model, messages=QUESTION,
                                                         max_tokens=8)
    assert reply.choices[0].finish_reason in ("stop", "length")


def test_a_full_line_answers_busy(host, records, model):
    server = started(host, records, max_waiting=1)
    result = {}
    try:
        with host.use():  # the app's reply holds the model
            waiting = threading.Thread(target=lambda: result.update(reply=client(
                server).chat.completions.create(model=model, messages=QUESTION, max_tokens=4)))
            waiting.start()
            wait_for(lambda: host.waiting == 1)
            r = httpx.post(server.address + "/chat/completions", timeout=60,
                           json={"model": model, "messages": QUESTION, "max_tokens": 4})
            assert r.status_code == 503 and r.json()["error"]["code"] == "server_busy"
            assert r.headers["retry-after"]
        waiting.join(300)
        assert result["reply"].choices[0].message.content is not None
    finally:
        server.stop()


def test_off_loopback_an_api_key_is_required(host, records, capsys):
    with pytest.raises(UnsafeBindError):
        ApiServer(host, ServerConfig(host="0.0.0.0", port=0))
    assert cli_main(["serve", "--host", "0.0.0.0"]) == 1  # refused before loading a model
    assert "API key" in capsys.readouterr().err
    server = started(host, records, host="0.0.0.0", api_key="sekret")
    try:
        local = f"http://127.0.0.1:{server.port}/v1"
        with pytest.raises(openai.AuthenticationError):
            OpenAI(base_url=local, api_key="wrong", max_retries=0).models.list()
        r = httpx.get(local + "/models", timeout=60)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert OpenAI(base_url=local, api_key="sekret", max_retries=0).models.list().data
    finally:
        server.stop()
