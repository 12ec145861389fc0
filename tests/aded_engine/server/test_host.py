"""The session host's line: one job at a time, in arrival order, bounded for the server."""

import threading
import time

import pytest

from aded_engine.server.host import Busy, Cancelled, NoModel, SessionHost


class FakeSession:
    """Stands in for a ChatSession here: the host only hands it out and closes it."""

    closed = False

    def close(self):
        self.closed = True


def wait_for(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_jobs_run_one_at_a_time_in_arrival_order():
    host = SessionHost(FakeSession())
    order, inside = [], []
    release = threading.Event()

    def job(i):
        with host.use():
            inside.append(i)
            assert len(inside) == 1  # nobody else holds the session
            order.append(i)
            if i == 0:
                release.wait(10)
            inside.pop()

    threads = []
    for i in range(4):
        t = threading.Thread(target=job, args=(i,))
        t.start()
        threads.append(t)
        wait_for(lambda: host.waiting == i)  # queued behind job 0, in this order
    release.set()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3] and not host.busy


def test_a_full_line_refuses_and_a_cancelled_waiter_leaves():
    host = SessionHost(FakeSession())
    stop = threading.Event()
    errors = []
    with host.use():
        def waiter():
            try:
                with host.use(stop.is_set, limit=1):
                    pass
            except Cancelled as exc:
                errors.append(exc)
        t = threading.Thread(target=waiter)
        t.start()
        wait_for(lambda: host.waiting == 1)
        with pytest.raises(Busy):
            host.join(limit=1)
        host.leave(host.join())  # unbounded (the app) still gets in line
        stop.set()
        t.join(10)
        assert errors and host.waiting == 0


def test_replace_closes_the_old_session_and_no_model_is_an_error():
    old = FakeSession()
    host = SessionHost(old)
    host.replace(None)
    assert old.closed and host.session is None
    with pytest.raises(NoModel):
        with host.use():
            pass
    assert not host.busy
