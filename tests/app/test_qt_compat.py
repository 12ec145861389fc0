"""The refcount guard (app/qt_compat.py): what it decides, and what it does for a detected
and an undetected leak."""

import sys
import weakref

import pytest

from app import qt_compat
from app.qt_compat import RESERVE, add_reserve, guard_singleton_refcounts, reserve_needed

LEAK = {"emit": True, "processEvents": False}
NO_LEAK = {"emit": False, "processEvents": False}


@pytest.mark.parametrize("implementation, version, seen, needed", [
    ("cpython", (3, 11, 7), LEAK, True),  # emit() drops references to True
    ("cpython", (3, 11, 7), {"emit": False, "processEvents": True}, True),  # ... or to None
    ("cpython", (3, 11, 7), NO_LEAK, False),  # this PySide6 is fine
    ("cpython", (3, 12, 0), LEAK, False),  # the singletons are immortal
    ("pypy", (3, 10, 0), LEAK, False),  # no reference counts to mend
])
def test_the_reserve_is_needed_only_for_a_seen_leak_on_mortal_singletons(
        implementation, version, seen, needed):
    assert reserve_needed(lambda: seen, implementation, version) is needed


def test_the_probe_runs_only_where_the_singletons_can_be_freed():
    calls = []

    def probe():
        calls.append(1)
        return LEAK

    reserve_needed(probe, "cpython", (3, 12, 0))
    reserve_needed(probe, "pypy", (3, 10, 0))
    assert calls == []
    reserve_needed(probe, "cpython", (3, 11, 7))
    assert calls == [1]


def test_the_reserve_keeps_an_object_alive():
    class Thing:
        pass

    thing = Thing()
    alive = weakref.ref(thing)
    before = sys.getrefcount(thing)
    add_reserve([thing])  # it can never be freed now: one small object, on purpose
    assert sys.getrefcount(thing) == before + RESERVE
    del thing
    assert alive() is not None


@pytest.fixture
def fresh_guard(monkeypatch):
    """The guard as if not yet applied; ``add_reserve`` recorded instead of done."""
    reserved = []
    monkeypatch.setattr(qt_compat, "_applied", False)
    monkeypatch.setattr(qt_compat, "add_reserve", reserved.append)
    return reserved


def test_an_undetected_leak_leaves_the_singletons_alone(fresh_guard, monkeypatch):
    monkeypatch.setattr(qt_compat, "_leaks", lambda: NO_LEAK)
    assert guard_singleton_refcounts() is False
    assert fresh_guard == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="immortal singletons: never applied")
def test_a_detected_leak_gives_the_singletons_their_reserve_once(fresh_guard, monkeypatch):
    monkeypatch.setattr(qt_compat, "_leaks", lambda: LEAK)
    assert guard_singleton_refcounts() is True
    assert guard_singleton_refcounts() is True
    assert fresh_guard == [(True, False, None)]  # once, for all three


def test_in_this_process_the_guard_did_what_it_decided():
    applied = guard_singleton_refcounts()  # applied by conftest.py already, if needed
    assert applied == reserve_needed(qt_compat._leaks, sys.implementation.name,
                                     sys.version_info)
    if applied:
        assert sys.getrefcount(True) > RESERVE and sys.getrefcount(None) > RESERVE
