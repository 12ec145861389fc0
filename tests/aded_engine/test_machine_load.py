"""Was the machine busy during a reply: the pure functions on synthetic call times (so no
test depends on this machine being quiet), and the decode loop's statistics that carry it."""

import os
import subprocess
import sys
import time

import pytest

from aded_engine.decode import ReplyStats
from aded_engine.machine_load import BUSY_RATIO, WAITED_SHARE, cpu_wait_ns, load_ratio, was_busy
from aded_engine.thread_governor import ThreadGovernor

# ms per one-row call of a reply on a quiet machine: about the same, the context growing,
# one call caught by a hiccup (a page fault, the garbage collector)
QUIET = [13.0 + 0.02 * i for i in range(100)] + [40.0]
# another program wants a core: most calls as fast as before, one in four stalled 10x
STALLED = [13.0 if i % 4 else 130.0 for i in range(100)]


def test_a_quiet_reply_is_not_busy_a_stalled_one_is():
    assert load_ratio(QUIET) == pytest.approx(1.1, abs=0.1) and not was_busy(load_ratio(QUIET))
    assert load_ratio(STALLED) == pytest.approx(3.25) and was_busy(load_ratio(STALLED))


def test_one_lucky_call_does_not_make_a_quiet_reply_look_busy():
    # the reference is the 10th percentile, not the fastest call
    assert not was_busy(load_ratio([5.0] + QUIET))


def test_too_few_calls_say_nothing():
    assert load_ratio([13.0, 130.0, 130.0]) is None and not was_busy(None)


def test_the_governor_on_fewer_threads_for_a_quarter_of_the_calls_is_busy():
    # on one thread every call is slower alike: no stall to see, the governor's choice says it
    assert load_ratio([22.0] * 40) == pytest.approx(1.0)
    assert was_busy(1.0, reduced_calls=10, calls=40)
    assert not was_busy(1.0, reduced_calls=9, calls=40)  # a passing spell
    assert not was_busy(None, reduced_calls=3, calls=3)  # too few calls to say


def test_reply_stats_carry_the_flag_in_their_summary():
    stats = ReplyStats(calls=len(STALLED), row_ms=list(STALLED))
    assert stats.busy and stats.summary()["busy"] is True
    assert stats.summary()["load_ratio"] == round(stats.load_ratio, 2) > BUSY_RATIO
    quiet = ReplyStats(calls=len(QUIET), row_ms=list(QUIET))
    assert not quiet.busy and quiet.summary()["busy"] is False
    assert ReplyStats().summary()["load_ratio"] is None


def test_the_governor_says_when_it_chose_fewer_threads_not_when_it_tries_them():
    threads = {"now": 2}
    governor = ThreadGovernor([2, 1], float, lambda n: threads.__setitem__("now", n))
    seen = []
    for _ in range(ThreadGovernor.FIRST_WAIT + ThreadGovernor.TRIAL_STEPS + 4):
        seen.append((threads["now"], governor.reduced))
        governor.record(1, {2: 400.0, 1: 38.0}[threads["now"]])  # a core taken: 2 threads stall
    assert (1, False) in seen  # the trial of one thread is not the governor's choice yet
    assert seen[-1] == (1, True)  # it won: one thread chosen


def test_threads_waiting_for_a_cpu_for_a_quarter_of_their_time_is_busy():
    """A load that shares the cores evenly slows every call alike: no stalls to see, but the
    threads wait in the scheduler's queue."""
    even = [20.0] * 20
    assert not was_busy(load_ratio(even), 0, 20, waited_share=0.05)
    assert was_busy(load_ratio(even), 0, 20, waited_share=WAITED_SHARE)
    assert not was_busy(load_ratio(even[:4]), 0, 4, waited_share=0.9)  # too few calls


def test_the_cpu_wait_grows_while_another_program_holds_the_same_cpu():
    before = cpu_wait_ns()
    assert before is not None and before >= 0  # Linux: the tests' platform
    cpu = {min(os.sched_getaffinity(0))}
    everywhere = os.sched_getaffinity(0)
    other = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(other.pid, cpu)
        os.sched_setaffinity(0, cpu)
        stop = time.perf_counter() + 0.5
        while time.perf_counter() < stop:  # two programs runnable on one CPU: each waits
            pass
    finally:
        os.sched_setaffinity(0, everywhere)
        other.kill()
        other.wait()
    assert cpu_wait_ns() - before > 100e6  # of 500 ms, about half
