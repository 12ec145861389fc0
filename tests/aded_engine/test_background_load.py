"""aded-bench's background loads: real processes that run beside the block and end with it."""

import time

import pytest

from aded_engine.background_load import LOADS, background_load


@pytest.mark.parametrize("kind", sorted(LOADS))
def test_a_load_runs_beside_the_block_and_ends_with_it(kind):
    with background_load(kind) as proc:
        time.sleep(0.5)
        assert proc.poll() is None  # still running: it loops for ever
        with open(f"/proc/{proc.pid}/stat") as f:
            cpu_ticks = sum(int(x) for x in f.read().split()[13:15])
        assert cpu_ticks > 0  # it did work
    assert proc.returncode is not None


def test_no_load_is_nothing():
    with background_load(None) as proc:
        assert proc is None
