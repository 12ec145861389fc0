"""Waiting on the GUI thread for something the event loop brings (a model loaded, a reply
finished) where no event loop runs: closing the window, scripts, test fixtures."""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QCoreApplication


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Deliver Qt events until ``condition()`` holds; False if ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return True
