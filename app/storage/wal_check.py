"""Does the write-ahead log beside conversations.db hold commits SQLite will not replay?
Asked before SQLite opens the file, because afterwards nothing can tell (issue 22 item 4).

A program that ends without closing the database (a crash, a kill, a power cut) leaves its
last commits in ``conversations.db-wal``; the next connection replays them. SQLite replays
frames in order and stops, without an error, at the first frame whose salts or checksum do
not match: every commit after it is dropped, then written over by the next write and deleted
by the next checkpoint. One damaged byte in the middle of the log silently lost the last
messages, or whole conversations, and ``integrity_check`` still said "ok".

So the log is read here first, by the rules SQLite itself uses (https://www.sqlite.org/
fileformat.html, section 4). Integers are big-endian; checksums are sums of 32-bit words in
the byte order the magic names::

    header, 32 bytes: magic 0x377f0682 (words little-endian) or 0x377f0683 (big-endian),
        format 3007000, page size, checkpoint sequence, salt-1, salt-2,
        checksum-1, checksum-2 (of the header's first 24 bytes)
    frames, each a 24-byte header and one page: page number, commit (the database's size
        in pages after the commit, in the commit's last frame; else 0), salt-1, salt-2,
        checksum-1, checksum-2 (cumulative: seeded by the previous frame's, over the
        frame header's first 8 bytes and the page)

Frames of this log carry its salts; a checkpoint that restarts the log changes them, so
frames left from an earlier log (the file is not shortened) never count. A commit frame of
this log beyond the first frame that does not check is a commit SQLite will drop: that, or
a frame cut inside its page, is damage. Not damage: frames after the last commit that all
check (a transaction a crash cut short, never committed), and a lone frame header at the
end (SQLite writes a frame's header, then its page: a kill between the two). Not seen:
damage to the last commit's own salts, or a cut exactly between frames (the log then reads
as a shorter, sound one).

Cost: about 0.1 s per 1,000 frames (4 MB) in Python; a log is left only by a program that
did not close the file (a clean close checkpoints and deletes it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

HEADER = 32
FRAME_HEADER = 24
MAGIC_LE, MAGIC_BE = 0x377F0682, 0x377F0683
FORMAT = 3007000
MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class WalDamage:
    """What replaying the log will drop. ``kept``: the commits SQLite replays (those before
    the break); ``lost``: commits of this log beyond it (None: the header is damaged, so
    SQLite replays none of the log and its frames cannot be told apart); ``cut``: the file
    ends inside a frame's page, so it was cut short and what followed is gone."""
    kept: int
    lost: int | None
    cut: bool

    def describe(self) -> str:
        """In words, for the user, after the log's name."""
        if self.lost is None:
            return "has a damaged header, so none of the changes saved in it can be read back"
        if not self.lost:
            return "is cut short, so the changes saved last in it cannot be read back"
        many = f"{self.lost} changes" if self.lost > 1 else "change"
        return f"is damaged: the last {many} saved in it cannot be read back"


def checksum(data: bytes | memoryview, s0: int, s1: int, order: str) -> tuple[int, int]:
    """SQLite's WAL checksum of ``data`` (a multiple of 8 bytes), continuing from (s0, s1)."""
    words = iter(struct.unpack(f"{order}{len(data) // 4}I", data))
    for a, b in zip(words, words):
        s0 = (s0 + a + s1) & MASK
        s1 = (s1 + b + s0) & MASK
    return s0, s1


def wal_damage(data: bytes) -> WalDamage | None:
    """The damage in a log's bytes (the -wal file), or None when SQLite will replay every
    commit it holds (an empty log, or a header alone, included)."""
    if len(data) < HEADER + FRAME_HEADER:
        return None  # no frame was ever written whole: nothing was committed here
    magic, version, page_size, _seq, _salt1, _salt2, c0, c1 = struct.unpack(">8I", data[:HEADER])
    order = {MAGIC_LE: "<", MAGIC_BE: ">"}.get(magic)
    if (order is None or version != FORMAT or not _page_size(page_size)
            or checksum(data[:24], 0, 0, order) != (c0, c1)):
        return WalDamage(0, None, False)  # SQLite ignores the whole log
    view, size = memoryview(data), FRAME_HEADER + page_size
    salts = data[16:24]

    # the frames SQLite replays: each whole, of this log, its checksum continuing the chain
    sums, pos, kept = (c0, c1), HEADER, 0
    while pos + size <= len(data):
        page, commit = struct.unpack_from(">2I", data, pos)
        if page == 0 or data[pos + 8:pos + 16] != salts:
            break
        sums = checksum(view[pos + FRAME_HEADER:pos + size],
                        *checksum(view[pos:pos + 8], *sums, order), order)
        if sums != struct.unpack_from(">2I", data, pos + 16):
            break
        kept += commit != 0
        pos += size

    # from the break on: commits of this log that replay drops, and a page cut short
    lost, cut = 0, False
    for at in range(pos, len(data) - FRAME_HEADER, size):  # more than a lone frame header
        if data[at + 8:at + 16] != salts:
            continue  # an earlier log's frame, or noise
        lost += struct.unpack_from(">I", data, at + 4)[0] != 0
        cut = cut or at + size > len(data)
    if not lost and not cut:
        return None
    return WalDamage(kept, lost, cut)


def _page_size(n: int) -> bool:
    return 512 <= n <= 65536 and n & (n - 1) == 0


def check_wal(database: Path) -> WalDamage | None:
    """The damage in ``database``'s -wal file, read before SQLite opens it; None when there
    is none, no log, or it cannot be read (then SQLite cannot read it either, and says so)."""
    try:
        data = Path(f"{database}-wal").read_bytes()
    except OSError:
        return None
    return wal_damage(data)
