import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.qt_compat import guard_singleton_refcounts


class Pinger(QObject):
    ping = Signal(int)


def test_many_emits_and_event_loops_never_free_the_singletons(qapp):
    guard_singleton_refcounts()
    p = Pinger()
    for i in range(20_000):  # about what a few long replies emit
        p.ping.emit(i)
        QCoreApplication.processEvents()
    # whether or not this PySide6 drops references, True and None stay far from zero
    assert sys.getrefcount(True) > 10_000 and sys.getrefcount(None) > 10_000
