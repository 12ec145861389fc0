"""A guard against a reference-count bug in the PySide6 build in use.

PySide6 6.12.0 on CPython 3.11 returns ``True`` from ``SignalInstance.emit()`` and ``None``
from ``QCoreApplication.processEvents()`` without a new reference: every call takes one
reference away from the singleton. The engine thread emits two signals per decoding step,
so after some thousands of steps the interpreter aborts with "Fatal Python error:
bool_dealloc: deallocating True or False" (or none_dealloc), often at exit.

The guard measures whether the running PySide6 has the bug and, only then, gives
``True``, ``False`` and ``None`` a reserve of 2**40 references: they can never be freed,
as CPython 3.12+ makes them immortal anyway. Surplus references to these singletons are
harmless, so the guard is safe even if only part of the bug is present.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from typing import Callable

RESERVE = 1 << 40
_applied = False


def _leaks() -> dict[str, bool]:
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    t0, n0 = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(8):
        probe.ping.emit()
    t1 = sys.getrefcount(True)
    if QCoreApplication.instance() is not None:
        for _ in range(8):
            QCoreApplication.processEvents()
    n1 = sys.getrefcount(None)
    return {"emit": t1 < t0, "processEvents": n1 < n0}


def reserve_needed(probe: Callable[[], dict[str, bool]], implementation: str,
                   version: tuple) -> bool:
    """The guard's decision: only on a CPython whose singletons can be freed (before 3.12)
    and only if ``probe()`` (``_leaks``, run only then) saw a call drop a reference."""
    return implementation == "cpython" and version < (3, 12) and any(probe().values())


def add_reserve(objects) -> None:
    """Give each object RESERVE more references: it can never be freed after this."""
    for obj in objects:
        ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE  # ob_refcnt is the first field


def guard_singleton_refcounts() -> bool:
    """Apply the guard if this PySide6 drops references; returns whether it was applied.
    Call after the QApplication exists (so processEvents can be probed)."""
    global _applied
    if not _applied and reserve_needed(_leaks, sys.implementation.name, sys.version_info):
        add_reserve((True, False, None))
        _applied = True
    return _applied


def application(argv: list[str] | None = None):
    """The QApplication (made if needed), with the guard above applied."""
    from PySide6.QtWidgets import QApplication
    from PySide6.QtGui import QIcon
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    guard_singleton_refcounts()
    # must match packaging/linux/aded-chat.desktop, or Wayland shows no icon for the window
    app.setDesktopFileName("aded-chat")
    app.setApplicationName("ADED Chat")
    app.setWindowIcon(QIcon(str(Path(__file__).with_name("aded-chat.svg"))))
    return app
