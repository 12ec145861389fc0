"""Files set aside while a model loads reach the window every time (issue 22 item 5): a
damaged learned table of the model is named in the status bar once the model is loaded."""

from __future__ import annotations

from pathlib import Path

from aded_engine.set_aside import take_notes
from app.engine.wait import wait_until
from damaged_tables import damaged_history_table  # tests/


def _loaded(window, demo_model, qtbot) -> str:
    """Load the demo model through the Model menu; the status bar's message once loaded."""
    client, before = window.client, window.client.info
    assert window.models.load(str(demo_model))
    assert wait_until(lambda: client.info is not before and not client.loading, 120)
    qtbot.wait(200)  # the queued slots of every listener
    return window.statusBar().currentMessage()


def test_a_learned_table_set_aside_at_load_is_said_in_the_window(window, demo_model, qtbot):
    take_notes()
    damaged = damaged_history_table(Path(demo_model))
    message = _loaded(window, demo_model, qtbot)
    assert list(damaged.parent.glob(damaged.name + ".corrupt-*"))
    assert f"{damaged.name}: file is truncated; set aside as" in message, message


def test_a_learned_table_set_aside_at_start_is_said_once_the_model_loads(make_window,
                                                                        demo_model, qtbot):
    """At start no model is loaded yet: the window's first act (the tables forget what
    deleted conversations taught, app/mainwindow/main_window.py) reads every table on disk
    and set the damaged one aside before the model's load, which then found nothing wrong;
    the window was not listening yet, and "Loading…" would have replaced the notice anyway:
    it was lost, 22 times out of 22."""
    take_notes()
    damaged = damaged_history_table(Path(demo_model))
    window = make_window(client=None)  # its own engine, no model loaded: a start
    message = _loaded(window, demo_model, qtbot)
    assert list(damaged.parent.glob(damaged.name + ".corrupt-*"))
    assert f"{damaged.name}: file is truncated; set aside as" in message, message
    # still there once the message is gone
    assert damaged.name in window.statusBar().model.toolTip()
