"""The OpenAI chat-completions request, checked field by field, and errors in OpenAI's shape.

    {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature",
               "code": null}}

Fields read: ``model``, ``messages`` (roles system, developer (read as system), user,
assistant; content a string or a list of text parts), ``temperature``, ``top_p``,
``max_tokens`` (or ``max_completion_tokens``), ``stop`` (a string or up to 4), ``seed``,
``stream``, ``stream_options.include_usage``, ``n`` (1 only), and llama.cpp's extensions
``top_k``, ``min_p``, ``repeat_penalty``. Other fields are ignored, as OpenAI-compatible
servers do, so that clients sending e.g. ``user`` keep working.

Defaults where a field is left out are the app's chat defaults (temperature 0.7, top-p 0.95,
top-k 40, min-p 0.05) without its repeat penalty, which the OpenAI API does not have.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ..sampling import SamplingSettings

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
MAX_STOPS = 4


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


def parse_chat_request(body: bytes) -> ChatRequest:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required: a model id from GET /v1/models.", param="model")
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


def _content(value, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for part in value:
            if not (isinstance(part, dict) and part.get("type") == "text"
                    and isinstance(part.get("text"), str)):
                raise ApiError(400, f"{where}: only text parts ({{'type': 'text', 'text': ...}}) "
                               "are supported by this server.", param=where)
            texts.append(part["text"])
        return "".join(texts)
    raise ApiError(400, f"{where} must be a string or an array of text parts.", param=where)


def _stops(value) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (not isinstance(stops, list) or len(stops) > MAX_STOPS
            or not all(isinstance(s, str) and s for s in stops)):
        raise ApiError(400, f"'stop' must be a non-empty string or an array of at most "
                       f"{MAX_STOPS} non-empty strings.", param="stop")
    return tuple(stops)


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
