"""How many threads llama.cpp uses while decoding, chosen from how fast steps run now.

llama.cpp's threads wait for each other, spinning, at every operation of a step. When
another program takes one of the cores, the thread that loses it stalls all the others:
with one spinning process on a 2-core machine, 2-thread decoding ran at 5% of its quiet
speed, where one thread on the core left would run at about 55%. So the governor times
every step under the thread count in use, per row of the batch as the cost curve weighs
it, and now and then tries the other counts for a couple of steps; it keeps the count
whose recent steps were fastest. On a quiet machine the full count wins every trial, and
the trials grow rare (each lost trial doubles the wait before the next); when the steps
of the count in use slow down, trials come at once.
"""

from __future__ import annotations

import statistics
from collections import deque
from typing import Callable


class ThreadGovernor:
    """``record(rows, ms)`` after every step; it calls ``set_threads(n)`` when it switches.

    ``counts``: the thread counts to choose among, the preferred (full) one first.
    """

    TRIAL_STEPS = 3  # steps a trial count runs; its first is not judged (a new thread count
    # can make llama.cpp set its threads up again)
    FIRST_WAIT = 32  # steps before the first trial
    LONGEST_WAIT = 4096
    SLOWDOWN = 1.5  # the count in use this much slower than when last judged: try now
    RECENT = 8  # steps of the count in use that judge it

    def __init__(self, counts: list[int], relative_cost: Callable[[int], float],
                 set_threads: Callable[[int], None]):
        self.counts = counts
        self.relative_cost = relative_cost  # rows -> cost of a batch of them, 1 row = 1
        self.set_threads = set_threads
        self.current = counts[0]
        self.recent: deque[float] = deque(maxlen=self.RECENT)  # ms per one-row equivalent
        self.judged: dict[int, float] = {}  # threads -> its mean when the last round ended
        self.wait = self.FIRST_WAIT
        self.until_trial = self.FIRST_WAIT
        self.trial: list[int] = []  # counts still to try in this round
        self.trial_steps: list[float] = []
        self.home = self.current  # the count in use before the round

    @property
    def reduced(self) -> bool:
        """Running fewer threads than the full count by choice, not for a trial: a trial
        found fewer faster, so another program has taken a core (machine_load.py)."""
        return self.current == self.home != self.counts[0]

    def record(self, rows: int, ms: float) -> None:
        per_row = ms / self.relative_cost(max(1, rows))
        if self.current != self.home:  # a trial step
            self.trial_steps.append(per_row)
            if len(self.trial_steps) == self.TRIAL_STEPS:
                self.judged[self.current] = statistics.fmean(self.trial_steps[1:])
                self._next_trial()
            return
        self.recent.append(per_row)
        self.until_trial -= 1
        now = statistics.fmean(self.recent)
        before = self.judged.get(self.current)
        slowed = before is not None and len(self.recent) == self.RECENT \
            and now > self.SLOWDOWN * before
        if len(self.counts) > 1 and (self.until_trial <= 0 or slowed):
            self.judged[self.home] = now
            self.trial = [c for c in self.counts if c != self.home]
            self._next_trial()

    def _next_trial(self) -> None:
        if self.trial:
            self.trial_steps = []
            self._switch(self.trial.pop(0))
            return
        winner = min(self.judged, key=self.judged.get)
        if winner == self.home:  # the trials lost: wait twice as long before the next
            self.wait = min(self.LONGEST_WAIT, 2 * self.wait)
        else:
            self.wait = self.FIRST_WAIT
            self.recent.clear()
        self.until_trial = self.wait
        self.home = winner
        self._switch(winner)

    def _switch(self, threads: int) -> None:
        if threads != self.current:
            self.current = threads
            self.set_threads(threads)


def thread_counts(full: int) -> list[int]:
    """The counts worth trying: all threads, half of them, one."""
    return sorted({full, max(1, full // 2), 1}, reverse=True)
