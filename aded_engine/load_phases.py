"""The phases of opening a model, timed, and a progress figure that tells the truth.

llama.cpp's own progress callback covers reading the weights only; after it says 100% the
context is made, the tokenizer read, the learned tables loaded and the batch cost checked.
Each phase here has a share of the progress bar, so the bar moves through all of them and
names the one running ("Checking batch cost…") instead of sitting at 100%.

    phases = LoadPhases(report)            # report(fraction 0..1, phase label)
    phases.begin("weights")                # report(0.05, "Loading the weights…")
    phases.within(0.5)                     # half of the weights read
    phases.begin("cost") ...; phases.done()
    phases.seconds                         # {"probe": 0.01, "weights": 0.4, ...}
"""

from __future__ import annotations

import logging
import time
from itertools import accumulate
from typing import Callable

log = logging.getLogger(__name__)

# (name, label, share of the bar), in the order a load runs them; shares sum to 1
PHASES = (
    ("probe", "Checking the model on this computer…", 0.05),
    ("weights", "Loading the weights…", 0.55),
    ("context", "Creating the context…", 0.10),
    ("tokenizer", "Reading the tokenizer…", 0.05),
    ("tables", "Loading the learned tables…", 0.10),
    ("cost", "Checking batch cost…", 0.15),
)
# name -> (where its part of the bar starts, its share, its label)
_START = {name: (start, share, label) for (name, label, share), start
          in zip(PHASES, accumulate([0.0] + [share for _, _, share in PHASES]))}


class LoadPhases:
    """Times the phases of one load (``seconds``, logged as each ends) and reports the
    overall fraction with the running phase's label."""

    def __init__(self, report: Callable[[float, str], None] | None = None):
        self.report = report
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._t0 = 0.0

    @property
    def current(self) -> str | None:
        """The phase running now (None before the first and after ``done``)."""
        return self._name

    def begin(self, name: str) -> None:
        self._close()
        self._name, self._t0 = name, time.perf_counter()
        self.within(0.0)

    def within(self, fraction: float) -> None:
        """How far the running phase has got (0..1)."""
        start, share, label = _START[self._name]
        if self.report is not None:
            self.report(start + share * min(1.0, max(0.0, fraction)), label)

    def done(self) -> None:
        self._close()
        log.info("model opened in %.2f s: %s", sum(self.seconds.values()),
                 ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()))

    def _close(self) -> None:
        if self._name is not None:
            self.seconds[self._name] = round(time.perf_counter() - self._t0, 3)
            self._name = None
