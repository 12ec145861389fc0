"""The window's geometry: its first size (it must fit the screen, frame included) and the
splitter that takes a narrower window's width from the side panels first."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter

DEFAULT_SIZE = QSize(1180, 760)  # the first size where the screen has room for it
SCREEN_SHARE = 0.9  # of the screen's free area (without panels and docks), frame included


def default_size(screen=None) -> QSize:
    """The window's first size: 1180×760, or less where that would not fit the screen with
    the window's frame (1180×760 plus a title bar is taller than a 1366×768 laptop: the
    status bar was cut off); at most 90% of the screen's free area, so the title bar and
    the frame fit too."""
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(DEFAULT_SIZE)
    free = screen.availableGeometry()
    return QSize(min(DEFAULT_SIZE.width(), int(free.width() * SCREEN_SHARE)),
                 min(DEFAULT_SIZE.height(), int(free.height() * SCREEN_SHARE)))


PANE_ROOM = 460  # px the middle column keeps before the side panels shrink to their minimum


class MainSplitter(QSplitter):
    """Sidebar | conversation | speed panel. A narrower window takes the width from the side
    panels first, down to their minimum widths, before the conversation (QSplitter shrinks
    all three in proportion: at 800 px the conversation's title read "Wh…")."""

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        sizes = self.sizes()
        short = PANE_ROOM - sizes[1]
        if short <= 0:
            return
        for i in (2, 0):  # the speed panel first: the list of conversations is used more
            widget = self.widget(i)
            if widget.isHidden() or not sizes[i]:
                continue
            least = max(widget.minimumWidth(), widget.minimumSizeHint().width())
            give = min(short, max(0, sizes[i] - least))
            sizes[i] -= give
            sizes[1] += give
            short -= give
        if sizes != self.sizes():
            self.setSizes(sizes)
