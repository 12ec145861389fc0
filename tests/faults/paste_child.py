"""The program's real window, offscreen, in a fresh process that measures its own peak
memory while a user pastes a long text into the message box (another program's text on the
clipboard, then Ctrl+V) and, for ``send``, presses Enter. Run as
``python tests/faults/paste_child.py DATA_DIR STEP:CHARS...`` with steps ``paste`` (the
text is pasted, then the box emptied) and ``send`` (pasted and sent: stored, fitted by the
engine, measured); any ``send`` loads the demo model first. Prints one JSON line per step,
flushed: its baseline and peak (kB), the characters the box took, the notices shown, the
characters stored, the seconds it took.

Memory is /proc/self/status's VmHWM, this process's own peak resident set (ru_maxrss would
carry the peak of the interpreter that exec'd it), set back to the current resident set
before each step by writing 5 to /proc/self/clear_refs."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# prose in lines, as a pasted log or book comes (one line of millions of
# characters is the layout's slower case; the limit bounds it the same way)
LINE = b"The quick brown fox jumps over the lazy dog, then reads its manual twice over.\n"


def memory_kb() -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) for name in ("VmHWM", "VmRSS")}


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


def settle(seconds: float) -> None:
    from app.engine.wait import wait_until
    wait_until(lambda: False, seconds)


def put_on_clipboard(chars: int) -> None:
    """``chars`` characters of text on the clipboard, as another program's text arrives:
    UTF-8 bytes that Qt decodes when the paste asks for them."""
    from PySide6.QtCore import QByteArray, QMimeData
    from PySide6.QtGui import QGuiApplication
    data = QByteArray(LINE).repeated(-(-chars // len(LINE)))  # one allocation, then cut
    data.truncate(chars)
    mime = QMimeData()
    mime.setData("text/plain;charset=utf-8", data)
    QGuiApplication.clipboard().setMimeData(mime)  # the clipboard owns it


def step(window, store, kind: str, chars: int) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    from app.engine.wait import wait_until
    edit = window.composer.edit
    edit.setFocus()
    settle(0.5)
    reset_peak()
    baseline = memory_kb()["VmRSS"]
    started = time.monotonic()
    put_on_clipboard(chars)
    QTest.keyClick(edit, Qt.Key_V, Qt.ControlModifier)  # the paste a user makes
    box = edit.document().characterCount() - 1
    measured = []
    if kind == "send":
        settle(0.1)  # painted; Enter before the count's debounce: the message is sent
        window.client.worker.contextUsage.connect(lambda *a: measured.append(a))
        QTest.keyClick(edit, Qt.Key_Return)
        # the engine refuses it for the context, then measures the conversation
        assert wait_until(lambda: window.replies.reply is None and measured, 600), \
            "the engine did not answer"
    settle(1.0)  # the count's debounce, repaints
    peak = memory_kb()["VmHWM"]
    notice = window.composer.notice
    result = dict(step=kind, chars=chars, baseline_kb=baseline, peak_kb=peak,
                  above_kb=peak - baseline, box=box,
                  notice=notice.text() if notice.isVisibleTo(window) else "",
                  status=window.statusBar().currentMessage(),
                  stored=sum(len(m.content) for c in store.list_conversations()
                             for m in store.get_conversation(c.id).messages),
                  seconds=round(time.monotonic() - started, 1))
    edit.clear()
    QGuiApplication.clipboard().clear()
    window.composer.notice.hide()
    return result


def main(data_dir: str, steps: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from aded_engine.paths import set_data_dir
    set_data_dir(data_dir)
    from app.engine.wait import wait_until
    from app.mainwindow.main_window import MainWindow
    from app.qt_compat import application
    from app.settings.settings import AppSettings
    from app.storage.store import ConversationStore

    app = application()  # noqa: F841 (keeps Qt alive)
    settings = AppSettings(n_threads=1, n_ctx=1024, max_tokens=32, temperature=0.0)
    store = ConversationStore()
    window = MainWindow(store, settings)  # owns its engine, as the program's does
    window.show()
    if any(s.startswith("send:") for s in steps):
        from aded_engine.catalog import SMOLLM2
        from aded_engine.models import fetch_model
        window.models.load(str(fetch_model(SMOLLM2)))
        assert wait_until(lambda: window.client.info is not None, 600), "no model loaded"
    for s in steps:
        kind, chars = s.split(":")
        print(json.dumps(step(window, store, kind, int(chars))), flush=True)
    window.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
