"""The speedup figure's baseline is measured during the reply, so it stays right when other
programs load the machine or stop doing so (issue: the meter read 0.16x-2.01x under load)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aded_engine.backend import BackendSettings
from aded_engine.cost import PlainStepClock
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, SessionSettings

HOG = "import time\nend = time.time() + 120\nwhile time.time() < end: pass\n"


def test_plain_step_clock_literal():
    clock = PlainStepClock(fallback_ms=10.0, every=3, window=3)
    assert clock.ms == 10.0 and not clock.due()  # no plain step yet: the estimate stands in
    for ms in (4.0, 100.0, 6.0, 5.0):
        clock.record(0, ms)
    assert clock.ms == pytest.approx(37.0)  # mean of the latest three plain steps: 100, 6, 5
    for _ in range(3):
        clock.record(4, 50.0)  # steps that verified drafts do not count
    assert clock.ms == pytest.approx(37.0) and clock.due()
    clock.record(0, 9.0)
    assert not clock.due() and clock.ms == pytest.approx((6 + 5 + 9) / 3)


@pytest.mark.slow
def test_plain_decoding_reads_1x_while_a_cpu_hog_comes_and_goes(demo_model_path):
    """Plain decoding compared with itself must read about 1x, whatever the machine does."""
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=1024,
                                                                            n_threads=2)))
    s.governor = None  # the load must slow decoding here: the baseline is what is tested
    hogs: list[subprocess.Popen] = []
    seen = [0]

    def on_event(ev):
        seen[0] += len(ev.step.reply.steps) and len(ev.pieces)
        if seen[0] >= 40 and not hogs and seen[0] < 120:
            hogs.extend(subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2))
        if seen[0] >= 120 and hogs and hogs[0].poll() is None:
            for hog in hogs:
                hog.kill()

    try:
        reply = s.generate([{"role": "user", "content": "Tell me a long story about a dragon."}],
                           SamplingSettings(max_tokens=200), on_event=on_event,
                           proposer=s.plain)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    s.close()
    assert hogs, "the load never started"
    steps = reply.stats.steps
    slow = sorted(st.verify_ms for st in steps[50:110])[30]
    quiet = sorted(st.verify_ms for st in steps[130:] or steps[:40])[len(steps[130:] or steps[:40]) // 2]
    print(f"plain step: {quiet:.1f} ms quiet, {slow:.1f} ms under load; "
          f"speedup read {reply.stats.speedup:.3f}")
    assert slow > 1.5 * quiet  # the load really slowed decoding down
    assert 0.85 < reply.stats.speedup < 1.15
