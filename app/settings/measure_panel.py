"""Settings › "Measure this machine again": the loaded model's batch costs timed now, on
the engine thread, replacing the measurement cached for it (aded_engine/cost.py). A
measurement taken while other programs loaded the machine made every later reply draft
too much (issue 21); this is how a user puts it right without deleting files."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from aded_engine.cost import CostCurve

NO_MODEL = "Load a model first: the measurement times the loaded model on this computer."
BUSY = "Wait for the reply to finish: the measurement needs the model to itself."
ABOUT = ("Times this model's calls on this computer (a few seconds) and replaces the "
         "measurement saved for it. Best done while other programs are quiet.")


def curve_text(curve: CostCurve) -> str:
    """'1 row 20.8 ms, 8 rows 4.1× one row': the one-row time and how a batch grows."""
    text = f"1 row {curve.ms[0]:.1f} ms"
    if curve.sizes[-1] >= 8:  # one-row batches only where bigger ones crash (probe.py)
        text += f", 8 rows {curve.relative(8):.1f}× one row"
    return text


def result_text(curve: CostCurve | None, error: str) -> str:
    """What the measurement found, or why there is none."""
    if curve is None:
        return f"Could not measure: {error}"
    if curve.steady:
        return f"Measured now: {curve_text(curve)}. Saved, and used from the next reply on."
    return (f"Not saved: the timings scattered as they do while other programs use the CPU "
            f"({curve_text(curve)}). The old measurement is dropped; replies keep the one in "
            "use, and the next start measures again. Try again when the machine is quieter.")


class MeasurePanel(QWidget):
    """A button, a busy bar while the engine thread measures, and the result."""

    def __init__(self, client=None, parent=None):
        super().__init__(parent)
        self.client = client
        self.button = QPushButton("Measure this machine again")
        self.button.clicked.connect(self.on_measure)
        self.progress = QProgressBar(maximumHeight=12, textVisible=False)
        self.progress.setRange(0, 0)  # no fraction to show: it moves while measuring
        self.progress.hide()
        self.result = QLabel(ABOUT, wordWrap=True, objectName="measure_result")
        self.result.setStyleSheet("color: palette(placeholder-text);")
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.progress, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.result)
        why_not = self._why_not()
        self.button.setEnabled(not why_not)
        self.button.setToolTip(why_not or ABOUT)
        self.waiting = False  # this panel asked (an earlier dialog's panel may still exist)
        if client is not None:
            client.worker.machineMeasured.connect(self.on_measured)  # queued: GUI thread

    def _why_not(self) -> str:
        if self.client is None or self.client.info is None:
            return NO_MODEL
        return BUSY if self.client.busy or self.client.loading else ""

    @Slot()
    def on_measure(self) -> None:
        if not self.client.measure_machine():
            self.result.setText(self._why_not() or NO_MODEL)
            return
        self.waiting = True
        self.button.setEnabled(False)
        self.progress.show()
        self.result.setText("Measuring… (a few seconds)")

    @Slot(object, str)
    def on_measured(self, curve: CostCurve | None, error: str) -> None:
        if not self.waiting:
            return
        self.waiting = False
        self.progress.hide()
        self.button.setEnabled(True)
        self.result.setText(result_text(curve, error))
