"""The live speed indicator: tokens/s, speedup over plain decoding, tokens per model call,
acceptance rate, whether other programs slowed the reply, and a small plot of the speedup
over the reply."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from aded_engine.decode import ReplyStats
from aded_engine.reply_record import ReplyRecord

from ..mainwindow.theme import theme_for

NOT_ENOUGH = "not enough data yet"
STOPPED_UNSTARTED = "stopped before the first token"


def speedup_text(speedup: float | None) -> str:
    return NOT_ENOUGH if speedup is None else f"{speedup:.2f}× vs plain"


def acceptance_text(stats: ReplyRecord) -> str:
    """'250 of 446 drafted tokens accepted (56%)': a share of the draft tokens the model
    checked, not of the reply (the drafted view's figure is the reply's share)."""
    return (f"{stats.drafts_accepted} of {stats.nodes_verified} drafted tokens accepted "
            f"({100 * stats.acceptance_rate:.0f}%)")


def busy_text(stats: ReplyRecord) -> str:
    """The sentence for a reply slowed by other programs (aded_engine/machine_load.py);
    empty when the machine was quiet enough or the reply too short to say."""
    if not stats.busy:
        return ""
    return ("The machine was busy during this reply: other programs used the CPU, speeds are "
            "lower than usual.")


BUSY_TIP = ("Every model call of the reply is timed. On a quiet computer they take about the "
            "same time; here many took far longer than the reply's fast ones, or the decoder "
            "moved to fewer threads because another program had taken a core.")


def stats_line(stats: ReplyRecord) -> str:
    """One line under a finished message: '42 tokens · 55.1 tok/s · 1.12× vs plain · ...'.
    A reply stopped while its prompt was read has no figures, only that."""
    if stats.tokens == 0 and stats.finish_reason == "cancelled":
        return STOPPED_UNSTARTED
    parts = [f"{stats.tokens} tokens", f"{stats.tokens_per_s:.1f} tok/s"]
    parts.append("speedup: " + NOT_ENOUGH if stats.speedup is None
                 else f"{stats.speedup:.2f}× vs plain")
    parts.append(f"{stats.tokens_per_call:.2f} tokens/call")
    if stats.nodes_verified:
        parts.append(acceptance_text(stats))
    reason = {"cancelled": "stopped", "length": "length limit", "context": "context full"}.get(
        stats.finish_reason)
    if reason:
        parts.append(reason)
    if stats.dropped_turns:
        parts.append(f"{stats.dropped_turns} oldest turns left out")
    line = " · ".join(parts)
    return f"{line}. {busy_text(stats)}" if stats.busy else line


class SpeedPlot(QWidget):
    """Speedup (y) over x, with the 1.0× line of plain decoding. The live meter plots it over
    the tokens of one reply; the speed history over reply number (with a dot per reply)."""

    def __init__(self, parent=None, height: int = 46, placeholder: str = "speedup plot",
                 markers: bool = False):
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.placeholder = placeholder
        self.markers = markers
        self.setMinimumSize(160, height)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(height)

    def clear(self) -> None:
        self.set_points([])

    def add(self, x: float, speedup: float | None) -> None:
        if speedup is not None:
            self.points.append((x, speedup))
            self.update()

    def set_points(self, points) -> None:
        """(x, speedup) pairs in x order; a speedup of None (not measured) is left out."""
        self.points = [(x, s) for x, s in points if s is not None]
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        theme = theme_for(self.palette())  # light or dark, as the window is (View > Theme)
        p.fillRect(r, self.palette().color(QPalette.Base))
        p.setPen(QPen(QColor(theme.code_border), 1))
        p.drawRect(r)
        top = max([2.0] + [s for _, s in self.points])
        inner = r.adjusted(4, 4, -4, -4)

        def y(s: float) -> float:
            return inner.bottom() - (s / top) * inner.height()

        p.setPen(QPen(QColor(theme.muted), 1, Qt.DashLine))
        p.drawLine(QPointF(inner.left(), y(1.0)), QPointF(inner.right(), y(1.0)))
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.75))
        p.setFont(small)
        p.drawText(QPointF(inner.left() + 2, y(1.0) - 2), "1×")
        if not self.points:
            p.setPen(QColor(theme.muted))
            p.drawText(inner, Qt.AlignCenter, self.placeholder)
            return
        last = max(self.points[-1][0], 1)
        first = self.points[0][0]
        span = max(last - first, 1)
        path = QPainterPath()
        dots = []
        for i, (t, s) in enumerate(self.points):
            pt = QPointF(inner.left() + (t - first) / span * inner.width(), y(s))
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
            dots.append(pt)
        colour = QColor("#16a34a") if self.points[-1][1] >= 1.0 else QColor("#dc2626")
        p.setPen(QPen(colour, 2))
        p.drawPath(path)
        if self.markers:
            p.setBrush(colour)
            for pt in dots:
                p.drawEllipse(pt, 2.5, 2.5)


class SpeedMeter(QWidget):
    """Live statistics of the reply being generated, or of the open conversation's last
    reply (nothing for a conversation without one)."""

    FIELDS = (("tokens_per_s", "Speed"), ("speedup", "Speedup"),
              ("tokens_per_call", "Tokens / model call"), ("acceptance_rate", "Drafts"))
    TIPS = {
        "tokens_per_s": "Tokens of this reply per second of decoding (reading the prompt "
                        "is not counted).",
        "speedup": "How much faster than plain one-token-at-a-time decoding on this computer, "
                   "now: the time plain decoding would take for these tokens (its cost is "
                   "measured during the reply, from its own steps without a draft) over the "
                   f"time taken. Shown from {ReplyStats.MIN_TOKENS_FOR_SPEEDUP} tokens on; "
                   "above 1× ADED is faster.",
        "tokens_per_call": "Tokens added to the reply per model evaluation (llama_decode): "
                           "1.00 is plain decoding; more means accepted drafts.",
        "acceptance_rate": "Draft tokens the model checked in this reply, and how many of "
                           "them it accepted (a draft is kept only where it is what the "
                           "model itself chose). Not the share of the reply's text: that "
                           "is in Chat > Mark drafted tokens.",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        for row, (key, title) in enumerate(self.FIELDS):
            name = QLabel(title)
            name.setStyleSheet("color:#6b7280;")
            value = QLabel("–")
            value.setObjectName(f"speed_{key}")
            value.setStyleSheet("font-weight:600;")
            value.setWordWrap(True)  # "not enough data yet" fits a narrow panel
            for label in (name, value):
                label.setToolTip(self.TIPS[key])
            name.setAlignment(Qt.AlignLeft | Qt.AlignTop)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        self.busy_note = QLabel(wordWrap=True, objectName="speed_busy", toolTip=BUSY_TIP)
        self.busy_note.setStyleSheet("color:#b45309;")
        self.busy_note.hide()
        self.plot = SpeedPlot()
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        header = QLabel("ADED speed")
        header.setStyleSheet("font-weight:600;")
        box.addWidget(header)
        box.addLayout(grid)
        box.addWidget(self.busy_note)
        box.addWidget(self.plot)
        box.addStretch(1)
        self.stats = ReplyRecord()

    def start_reply(self) -> None:
        self.plot.clear()
        self.stats = ReplyRecord()
        self._say_busy(self.stats)
        for key, label in self.values.items():
            label.setText(NOT_ENOUGH if key == "speedup" else "–")

    def show_last_reply(self, record: ReplyRecord | None) -> None:
        """Another conversation is shown: its last reply's figures, or dashes if it has no
        measured one (a new chat starts empty)."""
        self.plot.clear()
        if record is not None and record.measured:
            self.show_stats(record)
            return
        self.stats = ReplyRecord(measured=False)
        self._say_busy(self.stats)
        for label in self.values.values():
            label.setText("–")

    def show_stats(self, stats: ReplyRecord) -> None:
        """Statistics of the reply so far."""
        self.stats = stats
        self._say_busy(stats)
        if not stats.tokens and stats.finish_reason == "cancelled":
            for label in self.values.values():  # "0 tokens · 0.0 tok/s" would measure nothing
                label.setText("–")
            self.values["tokens_per_s"].setText(STOPPED_UNSTARTED)
            return
        self.values["tokens_per_s"].setText(f"{stats.tokens_per_s:.1f} tok/s")
        self.values["speedup"].setText(speedup_text(stats.speedup))
        self.values["tokens_per_call"].setText(f"{stats.tokens_per_call:.2f}")
        if stats.nodes_verified:
            self.values["acceptance_rate"].setText(acceptance_text(stats))
        else:
            self.values["acceptance_rate"].setText("no drafts yet")
        self.plot.add(stats.tokens, stats.speedup)

    def _say_busy(self, stats: ReplyRecord) -> None:
        self.busy_note.setText(busy_text(stats))
        self.busy_note.setVisible(stats.busy)
