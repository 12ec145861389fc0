"""Was the machine busy during a reply? Told from the reply's own model calls.

Two signs, either enough:

* Stalls: the calls (llama_decode plus choosing tokens, ``StepStats.verify_ms``), each per
  one-row equivalent as the cost curve weighs its rows, took on average ``load_ratio``
  times the reply's fast calls (its 10th percentile). On a quiet machine a reply's calls
  cost about the same (a few per cent apart); while another program wants a core,
  llama.cpp's threads stall each other and some calls take many times longer (issue 21:
  5-19x with one spinning process on a 2-core machine).
* Fewer threads: the thread governor runs fewer threads than the full count by its own
  choice (not a trial) for a quarter of the calls or more. It does so only after a trial
  found fewer threads faster, which on a quiet machine they are not: a core was taken.
  Calls then cost about the same again, only slower (1.7x on one thread), so the first
  sign misses it.

* Waiting for a CPU (Linux): the process's runnable threads waited in the scheduler's queue
  for ``WAITED_SHARE`` of the reply's time per llama.cpp thread or more
  (``/proc/self/task/*/schedstat``). A load that shares the cores evenly slows every call
  alike, which the first sign cannot see (a clean-clone test run beside one spinning
  process per core: calls 1.23-1.29x their fast ones, at half the quiet speed); the wait
  is the direct measure of other programs holding the CPU, near 0 on a quiet machine.

Why not compare the calls with the batch-cost curve's one-row time: it was timed at the
start of an empty context, and a call's cost grows with the context it attends to
(SmolLM2-135M, one thread: 14 ms at 512 tokens, 27 ms at 3,584), so a long conversation on a
quiet machine would read as busy; and a curve measured at a busy start makes a busy reply
read as quiet. Why not the plain-step clock (cost.PlainStepClock): it keeps only steps
without a draft, one in 32 when the cost model drafts at every step.

Measured (SmolLM2-135M, 120-token replies, 2-core AMD EPYC shared with other test runs,
load average 4-6): on one thread the ratio read 1.2-1.5, below the threshold (the other
runs took a share of a core, no stalls); on two threads 6-27, and the governor kept one
thread for 58-100% of the calls. A false "busy" would make the meter less trusted than a
mild slowdown left unsaid, hence a threshold above what time-sharing alone gave.
"""

from __future__ import annotations

import os
import statistics
from typing import Sequence

BUSY_RATIO = 1.6  # mean call this many times the reply's fast ones: stalls
REDUCED_SHARE = 0.25  # calls on fewer threads by the governor's choice: a core was taken
MIN_CALLS = 8  # fewer calls than this say too little
FAST_QUANTILE = 0.1  # the reply's "fast" call: robust to one lucky call
WAITED_SHARE = 0.25  # of each llama.cpp thread's time spent waiting for a CPU: taken


def cpu_wait_ns() -> int | None:
    """Nanoseconds this process's threads have waited, runnable, for a CPU so far (Linux's
    per-thread schedstat); None where the system does not say."""
    total = 0
    try:
        for task in os.scandir("/proc/self/task"):
            with open(os.path.join(task.path, "schedstat")) as f:
                total += int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return total


def load_ratio(row_ms: Sequence[float]) -> float | None:
    """The mean of a reply's call times (ms per one-row equivalent) over its fast ones;
    None when there were too few calls to say."""
    if len(row_ms) < MIN_CALLS:
        return None
    fast = sorted(row_ms)[int(FAST_QUANTILE * len(row_ms))]
    return statistics.fmean(row_ms) / fast if fast > 0 else None


def was_busy(ratio: float | None, reduced_calls: int = 0, calls: int = 0,
             waited_share: float | None = None) -> bool:
    """True when other programs loaded the machine enough to slow the reply down: its calls
    stalled (``ratio``, from ``load_ratio``), the governor kept fewer threads for
    ``reduced_calls`` of its ``calls``, or its threads waited for a CPU for
    ``waited_share`` of their time."""
    stalled = ratio is not None and ratio >= BUSY_RATIO
    reduced = calls >= MIN_CALLS and reduced_calls >= REDUCED_SHARE * calls
    waited = calls >= MIN_CALLS and waited_share is not None and waited_share >= WAITED_SHARE
    return stalled or reduced or waited
