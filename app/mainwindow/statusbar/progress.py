"""The model load's progress bar, shown only while a model loads.

A phase that reports no progress (the first-use check of the model, creating a big context on
a busy machine) could hold the bar at "0%" for half a minute with nothing moving: once the bar
has stood still for ``STILL_S`` it counts the phase's seconds ("Checking the model on this
computer… 0% · 12 s"), so the load visibly goes on."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar

STILL_S = 2.0  # the bar shows the phase's seconds once it has not moved for this long
clock = time.monotonic  # (tests move it on)


class LoadProgress(QProgressBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(0, 100)
        self.setMaximumWidth(360)
        self.setMinimumWidth(240)
        self._phase = ""
        self._phase_since = self._moved_at = 0.0
        self.hide()

    def on_load_started(self) -> None:
        self.setValue(0)
        self.setFormat("%p%")
        self._phase = ""
        self._phase_since = self._moved_at = clock()
        self.show()

    def on_load_progress(self, fraction: float, phase: str = "") -> None:
        """Polled every 100 ms while a model loads (app/engine/worker.py)."""
        now = clock()
        value = int(100 * fraction)
        if phase != self._phase or value != self.value():
            self._moved_at = now
        if phase != self._phase:
            self._phase, self._phase_since = phase, now
        self.setValue(value)
        shown = f"{phase} %p%" if phase else "%p%"
        if now - self._moved_at >= STILL_S:  # alive, though the phase says nothing more
            shown += f" · {int(now - self._phase_since)} s"
        self.setFormat(shown)

    def on_load_ended(self, *_result) -> None:
        """The model loaded, or did not (connected to both)."""
        self.hide()
