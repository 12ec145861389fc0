"""The welcome page reads whole at any width: its wrapped texts get the height they need."""

import pytest

from app.mainwindow.welcome import WelcomePanel


@pytest.mark.parametrize("width", [380, 520, 900])
def test_welcome_text_and_loading_message_are_not_clipped(qtbot, width):
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.resize(width, 560)
    panel.show()
    qtbot.waitExposed(panel)
    panel.on_load_started("the demo model")
    qtbot.wait(20)  # the layout settles
    labels = [panel.message] + [w for w in panel.findChildren(type(panel.message))
                                if w.wordWrap() and w is not panel.message]
    assert len(labels) >= 2 and panel.message.text() == "Loading the demo model…"
    for label in labels:
        assert label.width() <= width
        assert label.height() >= label.heightForWidth(label.width()), label.text()[:30]
