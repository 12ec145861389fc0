"""The main window's signal connections: the reply's and the Model menu's signals, and the
engine thread's, to the widgets that show them (each slot runs queued on the window's
thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow


def connect_controllers(window: MainWindow) -> None:
    """The reply's and the Model menu's signals, to the widgets that show them."""
    replies, bar = window.replies, window.statusBar()
    replies.shown.connect(window.show_conversation)
    replies.busyChanged.connect(window.composer.set_busy)
    replies.started.connect(window.speed.start_reply)
    replies.promptFitted.connect(bar.context.on_prompt_fitted)
    replies.streamed.connect(window.chat.show_partial)
    replies.reading.connect(window.chat.show_waiting)
    replies.measured.connect(window.speed.show_stats)
    replies.measured.connect(bar.context.on_reply_measured)
    replies.saved.connect(window.on_reply_saved)
    replies.saved.connect(window.info.on_reply_saved)
    replies.notice.connect(bar.showMessage)
    replies.problem.connect(window.show_error)
    window.models.notice.connect(bar.showMessage)
    window.models.loadStarted.connect(bar.progress.on_load_started)
    window.models.loadStarted.connect(window.pane.welcome.on_load_started)
    window.models.settingsChanged.connect(window.show_conversation)


def connect_engine(window: MainWindow) -> None:
    """The engine thread's signals (the reply's go to ReplyController, which connects them
    itself); each slot runs queued on the window's thread."""
    client, bar = window.client, window.statusBar()
    worker = client.worker
    worker.loadProgress.connect(bar.progress.on_load_progress)
    worker.loadFailed.connect(bar.progress.on_load_ended)
    worker.loadFailed.connect(window.pane.welcome.on_load_ended)
    worker.loadFailed.connect(bar.on_load_failed)
    worker.loadFailed.connect(window.on_load_failed)
    worker.contextUsage.connect(bar.context.on_context_usage)
    worker.status.connect(bar.on_status)
    client.learning.worker.notice.connect(bar.on_status)
    worker.tablesReset.connect(bar.on_tables_reset)
    for on_loaded in (bar.progress.on_load_ended, bar.model.on_loaded, bar.context.on_loaded,
                      bar.on_loaded, window.pane.welcome.on_load_ended, window.models.on_loaded,
                      window.on_loaded):
        worker.loaded.connect(on_loaded)
        if client.info:  # loaded before this window
            on_loaded(client.info)
