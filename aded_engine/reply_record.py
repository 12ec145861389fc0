"""What is kept of one reply: the decode loop's numbers and what the app adds to them.

One typed record for everything that shows or saves a reply's statistics (the engine
thread, the live speed meter, the line under a reply, the speed history, the conversation
file). On disk it is the JSON object of the reply row's ``stats`` column, as before:

    {"tokens": 42, "tokens_per_s": 55.1, "speedup": 1.12, ..., "drafted_spans": [[3, 9]]}

Reading is tolerant: a row written by an older version, or a broken one, gives each missing
or ill-typed field its default, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named: the record needs nothing of the engine (the store reads it)
    from .decode import ReplyStats


@dataclass(frozen=True)
class ReplyRecord:
    # measured by the decode loop (ReplyStats.summary(), rounded the same way)
    tokens: int = 0
    seconds: float = 0.0
    tokens_per_s: float = 0.0
    calls: int = 0
    tokens_per_call: float = 0.0
    nodes_verified: int = 0
    drafts_accepted: int = 0
    acceptance_rate: float = 0.0
    draft_share: float = 0.0
    speedup: float | None = None  # None: too few tokens to say
    load_ratio: float | None = None  # the calls' mean time over their fast ones
    busy: bool = False  # other programs slowed the reply (aded_engine/machine_load.py)
    finish_reason: str = ""  # "stop" | "length" | "cancelled" | "context"
    baseline_ms_per_token: float = 0.0
    # added around the loop
    dropped_turns: int = 0  # oldest turns left out of the prompt to fit the context
    learned_by: str | None = None  # fingerprint of the table that learned the exchange
    learned_source: str | None = None  # the source it learned it as (forgotten by it)
    drafted_spans: tuple[tuple[int, int], ...] | None = None  # characters from accepted drafts
    error: str = ""  # why the reply failed
    documents: str = ""  # which parts of the attached documents the prompt held (the footer)
    measured: bool = True  # False: no numbers (a failed reply; a row without "tokens")

    @classmethod
    def of(cls, stats: ReplyStats, **extra) -> ReplyRecord:
        """The record of a reply's statistics so far, plus fields the caller knows."""
        record = cls.from_json(stats.summary())
        return replace(record, baseline_ms_per_token=round(stats.baseline_ms_per_token, 3),
                       **extra)

    @classmethod
    def failure(cls, message: str) -> ReplyRecord:
        return cls(error=message, measured=False)

    def followed_by(self, later: ReplyRecord) -> ReplyRecord:
        """One reply's record from two runs of decoding: this one, and ``later`` that
        continued it (Continue after the length limit). Counts add up, rates are taken over
        the sums, the speedup and the load ratio are weighted by time (over the runs that
        measured one); how it ended, its baseline and what learned it are the later run's."""
        if not self.measured:
            return replace(later, drafted_spans=later.drafted_spans or self.drafted_spans)
        if not later.measured:
            return replace(self, finish_reason=later.finish_reason or self.finish_reason,
                           error=later.error,
                           drafted_spans=later.drafted_spans or self.drafted_spans)
        tokens, seconds = self.tokens + later.tokens, self.seconds + later.seconds
        calls, nodes = self.calls + later.calls, self.nodes_verified + later.nodes_verified
        accepted = self.drafts_accepted + later.drafts_accepted

        def by_time(name: str) -> float | None:
            timed = [(getattr(r, name), r.seconds) for r in (self, later)
                     if getattr(r, name) is not None]
            timed_s = sum(t for _, t in timed)
            return round(sum(v * t for v, t in timed) / timed_s, 3) if timed_s > 0 else None

        return replace(
            later, tokens=tokens, seconds=round(seconds, 4), calls=calls,
            tokens_per_s=round(tokens / seconds, 2) if seconds > 0 else 0.0,
            # each run that ended by itself produced its end-of-generation token too
            # (decode.DecodeCounts.tokens_per_call)
            tokens_per_call=round((tokens + sum(r.finish_reason == "stop" for r in (self, later)))
                                  / calls, 3) if calls else 0.0,
            nodes_verified=nodes, drafts_accepted=accepted,
            acceptance_rate=round(accepted / nodes, 3) if nodes else 0.0,
            draft_share=round((self.draft_share * self.seconds
                               + later.draft_share * later.seconds) / seconds, 4)
            if seconds > 0 else 0.0,
            speedup=by_time("speedup"), load_ratio=by_time("load_ratio"),
            busy=self.busy or later.busy,
            drafted_spans=later.drafted_spans or self.drafted_spans)

    def to_json(self) -> dict:
        """The row's JSON: with numbers, every field but the optional ones left unset;
        without, only the fields that were set (``{"error": ...}``)."""
        out: dict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "measured" and (value != f.default or self.measured
                                         and f.name not in _OPTIONAL):
                out[f.name] = [list(s) for s in value] if f.name == "drafted_spans" else value
        return out

    @classmethod
    def from_json(cls, data) -> ReplyRecord:
        """A record from a row's JSON (any value: None, a list, a dict of anything)."""
        if not isinstance(data, dict):
            return cls(measured=False)
        values = {}
        for f in fields(cls):
            if f.name == "measured":  # not stored: a row has numbers if it has "tokens"
                continue
            kind, value = _KINDS.get(f.name, type(f.default)), data.get(f.name)
            if f.name == "drafted_spans":
                values[f.name] = _spans(value)
            elif value is None and f.default is None:
                values[f.name] = None
            elif isinstance(value, _ACCEPTS.get(kind, kind)) and (
                    kind is bool or not isinstance(value, bool)):  # True is no number
                values[f.name] = kind(value)
        return cls(**values, measured="tokens" in data)


# written only when set, so rows from before they existed read and write back unchanged
_OPTIONAL = ("learned_source", "drafted_spans", "error", "documents", "load_ratio", "busy")
# fields whose default (None) does not name their type; an int passes for a float
_KINDS = {"speedup": float, "load_ratio": float, "learned_by": str, "learned_source": str}
_ACCEPTS = {float: (int, float)}


def _spans(value) -> tuple[tuple[int, int], ...] | None:
    """Well-formed ``[start, end]`` pairs; None when the row has no list of them."""
    if not isinstance(value, list):
        return None
    return tuple((s[0], s[1]) for s in value if isinstance(s, list) and len(s) == 2
                 and all(isinstance(i, int) and not isinstance(i, bool) for i in s))
