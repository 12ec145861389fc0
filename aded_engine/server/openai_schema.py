"""The OpenAI chat-completions request, checked field by field, and errors in OpenAI's shape.

    {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature",
               "code": null}}

Fields read: ``model``, ``messages`` (roles system, developer (read as system), user,
assistant; content a string or a list of text parts), ``temperature``, ``top_p``,
``max_tokens`` (or ``max_completion_tokens``), ``stop`` (a string or up to 4), ``seed``,
``stream``, ``stream_options.include_usage``, ``n`` (1 only), and llama.cpp's extensions
``top_k``, ``min_p``, ``repeat_penalty``. Other fields are ignored, as OpenAI-compatible
servers do, so that clients sending e.g. ``user`` keep working. A negative ``seed`` (clients
send -1) means "any seed", as OpenAI and llama.cpp read it.

The body is read here and only here (``read_json``), within bounds: UTF-8, nested at most
``MAX_DEPTH`` deep, integers of at most ``MAX_INT_DIGITS`` digits; text that reaches the
model must be valid Unicode (no lone surrogates, which JSON's ``"\\ud800"`` can spell).
Whatever a body gets wrong is a 400 that says what, never an exception from the parser.

Defaults where a field is left out are the app's chat defaults (temperature 0.7, top-p 0.95,
top-k 40, min-p 0.05) without its repeat penalty, which the OpenAI API does not have.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np

from ..sampling import SamplingSettings
from ..text_check import TextError, check_text

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
MAX_STOPS = 4
MAX_DEPTH = 64  # arrays and objects inside each other; a real request nests 4 or 5 deep
MAX_INT_DIGITS = 100  # beyond any field's use, and far below Python's 4,300-digit limit


class ApiError(Exception):
    def __init__(self, status: int, message: str, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.headers = param, code, headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict]  # {"role": system|user|assistant, "content": str}
    sampling: SamplingSettings  # max_tokens is set when the prompt's length is known
    max_tokens: int | None  # None: up to the end of the context
    stop: tuple[str, ...]
    stream: bool
    include_usage: bool


_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the character it escapes


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (UTF-8 JSON), counted without parsing
    (Python's parser recurses once per level): brackets outside strings. Exact for valid JSON
    and for the valid start of invalid JSON, which is all the parser reads before it stops."""
    b = np.frombuffer(_ESCAPE.sub(b"", body), np.uint8)  # no escaped quotes left
    outside = (np.cumsum(b == ord('"'), dtype=np.int64) & 1) == 0
    step = (((b == ord("[")) | (b == ord("{"))).astype(np.int8)
            - ((b == ord("]")) | (b == ord("}"))))
    return int(np.cumsum(step * outside, dtype=np.int64).max(initial=0))


def _bounded_int(digits: str) -> int:
    n = len(digits.lstrip("-"))
    if n > MAX_INT_DIGITS:
        raise ApiError(400, f"The request body holds an integer of {n} digits; this server reads "
                       f"integers of at most {MAX_INT_DIGITS} digits.")
    return int(digits)


def read_json(body: bytes):
    """The request body's JSON value, or a 400 that says what is wrong with it."""
    try:
        text = body.decode("utf-8")  # strict: a surrogate encoded as bytes is not UTF-8
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"The request body is not valid UTF-8 text: {exc}.") from None
    depth = nesting_depth(body)
    if depth > MAX_DEPTH:
        raise ApiError(400, f"The request body's JSON is nested more than {MAX_DEPTH} levels "
                       f"deep ({depth}).")
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # not expected within the bounds above
        raise ApiError(400, f"The request body cannot be read as JSON: {exc}") from None


def parse_chat_request(body: bytes) -> ChatRequest:
    data = read_json(body)
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required: a model id from GET /v1/models.", param="model")
    _text(model, "model")  # it is quoted back in errors
    if data.get("n", 1) != 1:
        raise ApiError(400, "'n' must be 1: this server writes one reply per request.", param="n")
    stream = _boolean(data, "stream", False)
    options = data.get("stream_options")
    include_usage = False
    if options is not None:
        if not stream:
            raise ApiError(400, "'stream_options' is only allowed when 'stream' is true.",
                           param="stream_options")
        if not isinstance(options, dict):
            raise ApiError(400, "'stream_options' must be an object.", param="stream_options")
        include_usage = _boolean(options, "include_usage", False, "stream_options.include_usage")
    max_tokens = _integer(data, "max_completion_tokens", 1, None, None)
    max_tokens = _integer(data, "max_tokens", 1, None, max_tokens)
    seed = _integer(data, "seed", None, None, None)
    if seed is not None and seed < 0:
        seed = None  # -1 and the like: "any seed" (OpenAI's clients, llama.cpp's default)
    sampling = SamplingSettings(
        temperature=_number(data, "temperature", 0.0, 2.0, 0.7),
        top_p=_number(data, "top_p", 0.0, 1.0, 0.95),
        top_k=_integer(data, "top_k", 0, None, 40),
        min_p=_number(data, "min_p", 0.0, 1.0, 0.05),
        repeat_penalty=_number(data, "repeat_penalty", 0.01, 10.0, 1.0),
        seed=seed)
    return ChatRequest(model, _messages(data.get("messages")), sampling, max_tokens,
                       _stops(data.get("stop")), stream, include_usage)


def _messages(value) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise ApiError(400, "'messages' must be a non-empty array of messages.", param="messages")
    out = []
    for i, m in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise ApiError(400, f"{where} must be an object with 'role' and 'content'.", param=where)
        role = m.get("role")
        if role not in ROLES:
            raise ApiError(400, f"{where}.role is {role!r}; this server reads "
                           f"{', '.join(sorted(ROLES))}.", param=f"{where}.role")
        out.append({"role": ROLES[role], "content": _content(m.get("content"), f"{where}.content")})
    return out


def _text(value: str, where: str) -> str:
    """``value``, or a 400 if it is not valid Unicode (a lone surrogate)."""
    try:
        return check_text(value, where)
    except TextError as exc:
        raise ApiError(400, f"{exc}.", param=where) from None


def _content(value, where: str) -> str:
    if isinstance(value, str):
        return _text(value, where)
    if isinstance(value, list):
        texts = []
        for part in value:
            if not (isinstance(part, dict) and part.get("type") == "text"
                    and isinstance(part.get("text"), str)):
                raise ApiError(400, f"{where}: only text parts ({{'type': 'text', 'text': ...}}) "
                               "are supported by this server.", param=where)
            texts.append(part["text"])
        return _text("".join(texts), where)
    raise ApiError(400, f"{where} must be a string or an array of text parts.", param=where)


def _stops(value) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (not isinstance(stops, list) or len(stops) > MAX_STOPS
            or not all(isinstance(s, str) and s for s in stops)):
        raise ApiError(400, f"'stop' must be a non-empty string or an array of at most "
                       f"{MAX_STOPS} non-empty strings.", param="stop")
    return tuple(_text(s, "stop") for s in stops)


def _number(data: dict, name: str, lo: float, hi: float, default: float) -> float:
    value = data.get(name)
    if value is None:
        return default
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not lo <= value <= hi):
        raise ApiError(400, f"'{name}' must be a number from {lo:g} to {hi:g}, not {value!r}.",
                       param=name)
    return float(value)


def _integer(data: dict, name: str, lo: int | None, hi: int | None, default):
    value = data.get(name)
    if value is None:
        return default
    if (isinstance(value, bool) or not isinstance(value, int)
            or (lo is not None and value < lo) or (hi is not None and value > hi)):
        bounds = (f" from {lo} to {hi}" if hi is not None else f" of at least {lo}"
                  if lo is not None else "")
        raise ApiError(400, f"'{name}' must be an integer{bounds}, not {value!r}.", param=name)
    return value


def _boolean(data: dict, name: str, default: bool, param: str | None = None) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError(400, f"'{param or name}' must be true or false, not {value!r}.",
                       param=param or name)
    return value
