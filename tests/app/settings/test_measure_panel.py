"""Settings › "Measure this machine again" on the real window and the real model: the cached
batch-cost measurement is replaced on the engine thread, and the dialog says what it found,
or that a busy machine's measurement was not saved (issue 21 item 4)."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import Qt

from aded_engine import cost
from aded_engine.session import cost_cache_file

from app.settings.dialogs import SettingsDialog
from app.settings.measure_panel import NO_MODEL, curve_text
from app.settings.settings import AppSettings

MEASURE_TIMEOUT_MS = 60_000


def measure(qtbot, dialog) -> str:
    """Click the button as a user would; the result once the engine thread has answered."""
    panel = dialog.measure
    qtbot.mouseClick(panel.button, Qt.LeftButton)
    assert panel.result.text().startswith("Measuring") and not panel.button.isEnabled()
    assert panel.progress.isVisible()  # the window stays live: the GUI thread did not wait
    qtbot.waitUntil(lambda: panel.button.isEnabled(), timeout=MEASURE_TIMEOUT_MS)
    assert not panel.progress.isVisible()
    return panel.result.text()


def test_without_a_model_the_button_is_disabled_and_says_why(qtbot):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    assert not dialog.measure.button.isEnabled()
    assert dialog.measure.button.toolTip() == NO_MODEL


def test_measure_again_replaces_the_cached_curve_or_says_why_not(qtbot, make_window,
                                                                  monkeypatch):
    window = make_window()
    session = window.client.worker.session
    cache = cost_cache_file()
    seen = {}

    def use(dialog):
        dialog.show()
        # steady, whatever this machine does meanwhile: the saved case is checked here
        monkeypatch.setattr(cost, "STEADY_SPREAD", float("inf"))
        seen["first"] = measure(qtbot, dialog)
        # as if measured under load (issue 21: 1 to 12 rows all 61.8 ms), an hour ago
        stale = {key: {"sizes": e["sizes"], "ms": [61.8] * len(e["sizes"])}
                 for key, e in json.loads(cache.read_text()).items()}
        cache.write_text(json.dumps(stale))
        os.utime(cache, (cache.stat().st_atime - 3600, cache.stat().st_mtime - 3600))
        seen["stale_mtime"] = cache.stat().st_mtime
        seen["again"] = measure(qtbot, dialog)
        seen["saved"] = json.loads(cache.read_text())
        seen["mtime"] = cache.stat().st_mtime
        seen["in_use"] = list(session.curve.ms)
        # a machine so busy that every timing scatters: nothing is saved, and it says so
        monkeypatch.setattr(cost, "STEADY_SPREAD", 0.0)
        seen["busy"] = measure(qtbot, dialog)
        seen["after_busy"] = json.loads(cache.read_text())
        return False

    monkeypatch.setattr(SettingsDialog, "exec", use)
    window.models.edit_settings()
    assert seen["first"].startswith("Measured now: 1 row ")
    [entry] = seen["saved"].values()  # the loaded model's one entry, measured again
    assert seen["mtime"] > seen["stale_mtime"] and entry["ms"] != [61.8] * len(entry["sizes"])
    curve = cost.curve_from_json(entry)
    assert curve_text(curve) in seen["again"] and "Saved" in seen["again"]
    assert f"1 row {entry['ms'][0]:.1f} ms" in seen["again"]
    assert seen["in_use"] == entry["ms"]  # replies use the new curve from now on
    assert seen["busy"].startswith("Not saved") and "other programs" in seen["busy"]
    assert seen["after_busy"] == {}  # the old measurement is dropped: the next start measures
    assert list(session.curve.ms) == seen["in_use"]  # the busy one is not used either
