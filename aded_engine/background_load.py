"""A reproducible background load for ``aded-bench --background``: what a busy laptop does
to decoding, the same every run.

    spin   one process that keeps one core busy (a build, a busy browser tab)
    wake   one process that wakes 200 times a second and works 0.5 ms each time (an
           editor, a media player, a chat client: little CPU, many wake-ups)
"""

from __future__ import annotations

import contextlib
import subprocess
import sys

LOADS = {
    "spin": "while True:\n    pass\n",
    "wake": ("import time\n"
             "while True:\n"
             "    end = time.perf_counter() + 0.0005\n"
             "    while time.perf_counter() < end:\n"
             "        pass\n"
             "    time.sleep(0.0045)\n"),
}


@contextlib.contextmanager
def background_load(kind: str | None):
    """Run the named load beside the block (nothing for None; yields its process); it ends
    with the block."""
    if kind is None:
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-c", LOADS[kind]], stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
