"""The thread governor against simulated machines: the time of a step per thread count, as
measured on a 2-core AMD EPYC (Qwen2.5-Coder-0.5B: 21 ms a token with 2 threads, 36 ms with
1; with one spinning process, 2 threads stall at every op: about 19 times slower)."""

from aded_engine.thread_governor import ThreadGovernor, thread_counts

QUIET = {2: 21.0, 1: 36.0}
ONE_CORE_TAKEN = {2: 400.0, 1: 38.0}


def run(machine_at_step, steps: int) -> tuple[ThreadGovernor, list[int]]:
    """Decode ``steps`` one-row steps; returns the governor and the threads of each step."""
    threads = {"now": 2}
    governor = ThreadGovernor([2, 1], lambda rows: float(rows),
                              lambda n: threads.__setitem__("now", n))
    used = []
    for step in range(steps):
        used.append(threads["now"])
        governor.record(1, machine_at_step(step)[threads["now"]])
    return governor, used


def test_a_quiet_machine_keeps_all_threads_and_tries_the_others_rarely():
    governor, used = run(lambda _step: QUIET, 3000)
    assert governor.current == 2
    tried = used.count(1)
    assert 0 < tried <= 0.01 * len(used) + 10  # a few trials, each one losing, ever rarer


def test_when_another_program_takes_a_core_one_thread_takes_over_within_steps():
    governor, used = run(lambda step: QUIET if step < 500 else ONE_CORE_TAKEN, 1000)
    assert governor.current == 1
    assert used[520:].count(2) < 0.05 * len(used[520:])  # back to 2 only for short trials
    cost = sum((QUIET if s < 500 else ONE_CORE_TAKEN)[t] for s, t in enumerate(used))
    always_two = 500 * QUIET[2] + 500 * ONE_CORE_TAKEN[2]
    assert cost < 0.25 * always_two


def test_all_threads_come_back_when_the_core_is_free_again():
    busy = lambda step: ONE_CORE_TAKEN if 100 <= step < 400 else QUIET  # noqa: E731
    governor, used = run(busy, 3000)
    assert governor.current == 2 and used[-500:].count(2) > 480


def test_the_counts_tried():
    assert thread_counts(8) == [8, 4, 1] and thread_counts(2) == [2, 1] and thread_counts(1) == [1]
