"""One chat completion on a session: the prompt checked against the context, the reply
decoded with ADED (or plainly), stop strings cut out of the stream, the numbers reported.

Runs on the thread that holds the host's turn; ``emit(text)`` hears the reply as it grows,
once per verification step (several tokens when drafts were accepted).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

from ..decode import ReplyStats
from ..session import ChatSession, StreamEvent
from .openai_schema import ApiError, ChatRequest

# the engine's reasons, in the API's words; "cancelled" (the client left) has no answer
FINISH = {"stop": "stop", "length": "length", "context": "length"}


class StopScanner:
    """Text in, text safe to send out: a tail that could be the start of a stop string is
    held back until the next text shows it is not; a stop string ends the reply before it.

    >>> s = StopScanner(("END",)); s.feed("abcE"), s.feed("N"), s.feed("Dxyz"), s.hit
    ('abc', '', '', True)
    """

    def __init__(self, stops: tuple[str, ...]):
        self.stops = stops
        self.held = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if self.hit or not self.stops:
            return "" if self.hit else text
        buf = self.held + text
        found = [i for i in (buf.find(s) for s in self.stops) if i >= 0]
        if found:
            self.hit, self.held = True, ""
            return buf[:min(found)]
        keep = next((k for k in range(min(len(buf), max(map(len, self.stops)) - 1), 0, -1)
                     if any(s.startswith(buf[-k:]) for s in self.stops)), 0)
        self.held = buf[len(buf) - keep:]
        return buf[:len(buf) - keep]

    def flush(self) -> str:
        out, self.held = self.held, ""
        return out


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop" | "length" | "cancelled"
    prompt_tokens: int
    completion_tokens: int
    reused_tokens: int  # prompt tokens the KV cache already held
    stats: ReplyStats
    engine_seconds: float  # prompt evaluation and decoding
    aded: bool

    def usage(self) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def aded_stats(self) -> dict:
        """The extra field of each reply (clients ignore fields they do not know)."""
        s = self.stats
        return {"enabled": self.aded, "tokens_per_s": round(s.tokens_per_s, 2),
                "tokens_per_call": round(s.tokens_per_call, 3), "calls": s.calls,
                "drafted": s.nodes, "accepted": s.accepted,
                "acceptance_rate": round(s.acceptance_rate, 3),
                "speedup": None if s.speedup is None else round(s.speedup, 3),
                "baseline_ms_per_token": round(s.baseline_ms_per_token, 3),
                "decode_seconds": round(s.seconds, 4),
                "engine_seconds": round(self.engine_seconds, 4),
                "prompt_tokens_reused": self.reused_tokens}


def complete(session: ChatSession, req: ChatRequest, aded: bool, emit: Callable[[str], None],
             should_stop: Callable[[], bool], started: Callable[[int], None] = lambda n: None,
             learn: bool = False) -> Completion:
    """Decode the reply to ``req``; ``started(prompt_tokens)`` is called once the prompt is
    known to fit, before any token (the server answers errors up to there with a status).
    ``learn``: a finished reply and the message it answers go into the history table, as
    the app's replies do."""
    t0 = time.perf_counter()
    prompt = session.prompt_tokens(req.messages)
    n_ctx = session.backend.n_ctx
    if len(prompt) + (req.max_tokens or 1) > n_ctx:
        asked = f" plus max_tokens {req.max_tokens}" if req.max_tokens else ""
        raise ApiError(400, f"This model's context holds {n_ctx} tokens, but the messages take "
                       f"{len(prompt)}{asked}. Shorten the messages"
                       f"{' or lower max_tokens' if req.max_tokens else ''}.",
                       param="messages", code="context_length_exceeded")
    started(len(prompt))
    sampling = replace(req.sampling, max_tokens=req.max_tokens or n_ctx - len(prompt))
    scanner = StopScanner(req.stop)
    decoded: list[str] = []  # the decoder's text
    sent: list[str] = []  # what the client got: cut at a stop string

    def send(text: str) -> None:
        if text:
            sent.append(text)
            emit(text)

    def on_event(ev: StreamEvent) -> None:
        decoded.append(ev.text)
        send(scanner.feed(ev.text))

    reply = session.generate_from_tokens(prompt, sampling, on_event,
                                         lambda: scanner.hit or should_stop(),
                                         None if aded else session.plain)
    # the decoder's last flush (an unfinished UTF-8 character) never went through on_event
    send(scanner.feed(reply.text[len("".join(decoded)):]))
    send(scanner.flush())
    finish = "stop" if scanner.hit else FINISH.get(reply.stats.finish_reason, "cancelled")
    seconds = time.perf_counter() - t0
    if learn and finish != "cancelled" and "".join(sent).strip():
        session.learn_exchange([req.messages[-1]["content"], "".join(sent)])
    return Completion("".join(sent), finish, len(prompt), len(reply.tokens),
                      len(prompt) - 1 - session.last_prefill, reply.stats, seconds, aded)
