"""How fast each model decoded on this machine, from the replies it gave here: the catalog
shows it after first use ("measured here: 24 tok/s plain, 1.6x with ADED").

One record per model file, summed over its ADED replies long enough to measure (a reply's
speedup is measured against plain steps taken during that same reply, decode.py), so the
figures are this machine's, under the loads it actually had.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .decode import ReplyStats
from .json_map import read_json_entry, write_json_entry
from .paths import data_dir

_FIELDS = ("replies", "tokens", "seconds", "plain_seconds")


@dataclass(frozen=True)
class MeasuredSpeed:
    replies: int
    tokens: int
    seconds: float
    plain_seconds: float  # what plain decoding would have taken for the same tokens

    @property
    def plain_tokens_per_s(self) -> float:
        return self.tokens / self.plain_seconds

    @property
    def aded_tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def speedup(self) -> float:
        return self.plain_seconds / self.seconds


def _path() -> Path:
    return data_dir() / "model-speeds.json"


def _valid(entry) -> bool:
    return isinstance(entry, dict) and all(
        isinstance(entry.get(f), (int, float)) and not isinstance(entry.get(f), bool)
        and 0 < entry[f] < 1e12 for f in _FIELDS)


def measured_speed(model_file: str | Path) -> MeasuredSpeed | None:
    entry = read_json_entry(_path(), Path(model_file).name, _valid)
    return None if entry is None else MeasuredSpeed(**{f: entry[f] for f in _FIELDS})


def record_reply(model_file: str | Path, stats: ReplyStats) -> None:
    """Add one ADED reply's figures (nothing for a reply too short to measure)."""
    if stats.speedup is None:
        return
    seen = measured_speed(model_file) or MeasuredSpeed(0, 0, 0.0, 0.0)
    entry = {"replies": seen.replies + 1, "tokens": seen.tokens + stats.tokens,
             "seconds": seen.seconds + stats.seconds,
             "plain_seconds": seen.plain_seconds + stats.speedup * stats.seconds}
    write_json_entry(_path(), Path(model_file).name, entry)
