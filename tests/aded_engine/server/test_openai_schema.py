"""Request checking: what the OpenAI clients send is read, what is wrong says which field."""

import json

import pytest

from aded_engine.server.completion import StopScanner
from aded_engine.server.openai_schema import ApiError, nesting_depth, parse_chat_request


def parse(**fields):
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields}
    return parse_chat_request(json.dumps(body).encode())


def test_fields_are_read():
    req = parse(temperature=0, top_p=0.5, max_tokens=7, stop="END", seed=3, stream=True,
                stream_options={"include_usage": True}, user="ignored")
    s = req.sampling
    assert (s.temperature, s.top_p, s.seed, req.max_tokens) == (0.0, 0.5, 3, 7)
    assert req.stop == ("END",) and req.stream and req.include_usage


def test_content_parts_and_developer_role():
    req = parse(messages=[{"role": "developer", "content": "be brief"},
                          {"role": "user", "content": [{"type": "text", "text": "a"},
                                                       {"type": "text", "text": "b"}]}])
    assert req.messages == [{"role": "system", "content": "be brief"},
                            {"role": "user", "content": "ab"}]


def test_max_completion_tokens_is_max_tokens():
    assert parse(max_completion_tokens=9).max_tokens == 9
    assert parse().max_tokens is None  # up to the end of the context


@pytest.mark.parametrize("fields, param", [
    ({"temperature": "hot"}, "temperature"),
    ({"temperature": 3}, "temperature"),
    ({"temperature": True}, "temperature"),
    ({"top_p": 1.5}, "top_p"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_tokens": 2.5}, "max_tokens"),
    ({"seed": "x"}, "seed"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"stop": [""]}, "stop"),
    ({"n": 2}, "n"),
    ({"stream": "yes"}, "stream"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),  # without stream
    ({"messages": []}, "messages"),
    ({"messages": "hi"}, "messages"),
    ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": None}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content"),
    ({"model": ""}, "model"),
])
def test_bad_fields_name_the_field(fields, param):
    with pytest.raises(ApiError) as err:
        parse(**fields)
    assert err.value.status == 400 and err.value.param == param
    assert err.value.body()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_bad_json(body):
    with pytest.raises(ApiError) as err:
        parse_chat_request(body)
    assert err.value.status == 400


def test_a_negative_seed_is_any_seed():
    assert parse(seed=-1).sampling.seed is None
    assert parse(seed=-(2**64)).sampling.seed is None
    assert parse(seed=0).sampling.seed == 0


@pytest.mark.parametrize("body, param, words", [
    (b"[" * 100_000 + b"]" * 100_000, None, "nested more than 64 levels deep (100000)"),
    (b'{"a": ' + b'{"b": [' * 40 + b"]}" * 40 + b"}", None, "nested more than 64"),
    (b'{"seed": ' + b"1" * 4301 + b"}", None, "integer of 4301 digits"),
    (b'{"seed": -' + b"1" * 101 + b"}", None, "integer of 101 digits"),
    (b'"\xed\xa0\x80"', None, "not valid UTF-8"),
    (b'{"model": "\\ud800", "messages": []}', "model", "lone surrogate (U+D800)"),
    (b'{"model": "m", "messages": [{"role": "user", "content": "a\\udc00"}]}',
     "messages[0].content", "character 1 is a lone surrogate (U+DC00)"),
    (b'{"model": "m", "stop": "\\ud800", "messages": [{"role": "user", "content": "a"}]}',
     "stop", "lone surrogate"),
])
def test_hostile_bodies_are_400s_that_say_what(body, param, words):
    with pytest.raises(ApiError) as err:
        parse_chat_request(body)
    assert err.value.status == 400 and err.value.param == param
    assert words in err.value.message


def test_depth_is_counted_outside_strings_only():
    ok = {"model": "m", "messages": [{"role": "user", "content": "[[[{{{" * 100 + '\\"['}],
          "metadata": {"a": [[[[1]]]]}}
    assert parse_chat_request(json.dumps(ok).encode()).messages[0]["content"].startswith("[[[")
    assert nesting_depth(json.dumps(ok).encode()) == 6  # the body, metadata, a, 3 more
    assert nesting_depth(b"[" * 64 + b"]" * 64) == 64 and nesting_depth(b"1") == 0


def test_stop_scanner_holds_back_only_what_could_start_a_stop():
    s = StopScanner(("END", "\n\n"))
    out = [s.feed(t) for t in ("abc", "E", "x", "\n", "y", "EN", "D and more")]
    assert out == ["abc", "", "Ex", "", "\ny", "", ""] and s.hit
    assert "".join(out) == "abcEx\ny"


def test_stop_scanner_flushes_a_held_tail_at_the_end():
    s = StopScanner(("END",))
    assert s.feed("aE") == "a" and s.flush() == "E" and not s.hit
