"""Issue 23, the first hour of a careful user, through the real window and the demo model:
the window's size on a 1366×768 screen, four attachments beside a narrow sidebar, the title
at 800×600 (item 5); a load that stands still says it is alive (item 4); the settings say
what they do with the values given (item 7)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QLabel

import app.mainwindow.geometry as geometry
import app.mainwindow.main_window as main_window
from app.mainwindow.statusbar import progress
from app.settings.dialogs import ConversationDialog, SettingsDialog

LAPTOP = QRect(0, 0, 1366, 768 - 40)  # 1366×768 without a 40 px task bar
TITLE_BAR_PX = 40  # a window manager's title bar, which the offscreen platform leaves out
TITLE = "What is the capital of France, and why is it there?"


def test_the_first_window_fits_a_1366x768_screen_with_its_frame(qtbot, make_window,
                                                                 monkeypatch):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(LAPTOP))
    window = make_window()
    frame = window.frameGeometry()
    assert frame.width() <= LAPTOP.width()
    assert frame.height() + TITLE_BAR_PX <= LAPTOP.height(), "the status bar is cut off"
    assert window.statusBar().geometry().bottom() < window.height()
    # a big screen keeps the size it had
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(0, 0, 2560, 1400))
    assert geometry.default_size() == geometry.DEFAULT_SIZE


def test_four_attachments_wrap_and_leave_the_sidebar_as_it_was(qtbot, make_window, tmp_path):
    window = make_window()
    window.resize(1000, 700)
    qtbot.wait(50)
    sidebar, width = window.sidebar.width(), window.width()
    files = []
    for n in range(4):
        path = tmp_path / f"quarterly-report-2024-final-draft-number-{n}.txt"
        path.write_text(f"Report {n}: sales went up.\n", encoding="utf-8")
        files.append(path)
    tray = window.composer.tray
    tray.attach_paths(files)
    qtbot.waitUntil(lambda: len(tray.chips) == 4, timeout=10_000)
    qtbot.wait(50)  # laid out
    assert window.sidebar.width() == sidebar, "the attachments squeezed the sidebar"
    assert window.width() == width
    assert tray.width() <= window.composer.width()
    assert len({chip.y() for chip in tray.chips}) > 1  # they wrap onto a second line
    for chip in tray.chips:
        assert tray.rect().contains(chip.geometry()), "a chip lies outside the tray"


def test_the_title_keeps_20_characters_at_800x600(qtbot, make_window, monkeypatch):
    window = make_window()
    window.new_conversation()
    monkeypatch.setattr(main_window, "ask_text", lambda *_args: TITLE)
    window.rename_conversation(window.current_id)
    window.resize(800, 600)
    qtbot.wait(50)
    label = window.pane.header.title_label
    shown = label.fontMetrics().elidedText(label.text(), Qt.ElideRight, label.width())
    assert len(shown.rstrip("…")) >= 20, f"the title reads {shown!r}"
    button = window.pane.header.settings_button
    assert button.isVisible() and button.accessibleName() == "Prompt & sampling…"
    window.resize(1180, 760)  # room again: the button says it in words
    qtbot.wait(50)
    assert button.text() == "Prompt && sampling…"


def test_a_load_phase_without_progress_counts_its_seconds(qtbot, make_window, monkeypatch):
    window = make_window()
    bar = window.statusBar().progress
    now = [1000.0]
    monkeypatch.setattr(progress, "clock", lambda: now[0])
    bar.on_load_started()
    phase = "Checking the model on this computer…"
    worker = window.client.worker
    for _ in range(3):  # the poll, every 100 ms
        worker.loadProgress.emit(0.0, phase)
        now[0] += 0.1
    assert bar.text() == f"{phase} 0%"  # just begun: nothing to say yet
    now[0] += 12
    worker.loadProgress.emit(0.0, phase)
    assert bar.text() == f"{phase} 0% · 12 s", "the load looks stuck"
    worker.loadProgress.emit(0.3, "Loading the weights…")  # moving again: no count
    assert bar.text() == "Loading the weights… 30%"
    bar.on_load_ended()


def test_settings_say_their_bounds_and_which_sampling_values_win(qtbot, make_window,
                                                                 monkeypatch):
    window = make_window()
    info = window.client.info
    assert "1 thread ·" in window.statusBar().model.text()  # not "1 threads"
    seen = {}

    def look(dialog):
        seen["texts"] = [label.text() for label in dialog.findChildren(QLabel)]
        box = dialog.sampling.fields["max_tokens"]
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), "0")  # 0 cannot be a reply's length
        box.interpretText()
        box.clearFocus()
        box.editingFinished.emit()
        seen["max_tokens"] = box.value()
        depth = dialog.depth
        depth.lineEdit().selectAll()
        qtbot.keyClicks(depth.lineEdit(), "999")
        seen["depth"] = depth.lineEdit().text()
        seen["depth_tip"] = depth.toolTip()
        return False

    monkeypatch.setattr(SettingsDialog, "exec", look)
    window.models.edit_settings()
    texts = "\n".join(seen["texts"])
    assert "Prompt & sampling…" in texts and "win over" in texts
    assert f"at most {info['n_ctx_train']} tokens" in texts  # the loaded model's limit
    assert "Draft depth (1–16 tokens)" in texts and "Max reply tokens (1–32768)" in texts
    assert seen["max_tokens"] == 1, "0 went back to the old value without a word"
    assert seen["depth"] in ("9", "16") and seen["depth_tip"] == "From 1 to 16"

    def change_temperature(dialog):
        seen["conversation"] = [label.text() for label in dialog.findChildren(QLabel)]
        dialog.sampling.fields["temperature"].setValue(0.9)
        return True

    window.new_conversation()
    monkeypatch.setattr(ConversationDialog, "exec", change_temperature)
    window.edit_conversation_settings()
    assert any("follow them" in text for text in seen["conversation"])
    conv = window.current()
    assert conv.sampling == {"temperature": 0.9}  # the fields left alone follow Settings
    window.settings.max_tokens = 64
    assert window.sampling_values(conv)["max_tokens"] == 64


def test_a_context_larger_than_the_model_supports_is_said(qtbot, make_window, settings_for):
    """Last in the module: it loads the module's engine with the model's whole context."""
    window = make_window(settings_for(n_ctx=99999))
    most = window.client.info["n_ctx_train"]
    assert 0 < most < 99999
    assert window.models.load(window.client.info["path"])
    qtbot.waitUntil(lambda: not window.client.loading, timeout=120_000)
    assert window.client.info["n_ctx"] == most
    said = f"context {most}: the most this model supports (99999 asked in Settings)"
    assert said in window.statusBar().currentMessage()
    assert said in window.statusBar().model.toolTip()
