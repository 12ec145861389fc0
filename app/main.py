"""Entry point of ``aded-chat``: the window, or ``--self-test`` (headless, one ADED reply)."""

from __future__ import annotations

import argparse
import json
import os
import sys

SELF_TEST_PROMPT = "Count from 1 to 30, separated by commas."
SELF_TEST_TOKENS = 64


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="aded-chat", description="Desktop chat for local GGUF "
                                "models, decoded faster with ADED.")
    p.add_argument("--data-dir", metavar="DIR",
                   help="keep every file (conversations, tables, settings) under DIR")
    p.add_argument("--model", metavar="PATH", help="open this GGUF model at start")
    p.add_argument("--demo", action="store_true",
                   help="open the default model, Qwen2.5-Coder-0.5B (fetched once)")
    p.add_argument("--self-test", action="store_true",
                   help="headless check: load the model (default: the default one), stream one reply through the "
                        "engine thread, print its statistics, exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from aded_engine.paths import set_data_dir
    if args.data_dir:
        set_data_dir(args.data_dir)  # before anything opens a file
    if args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return self_test(args.model or "")
    from .qt_compat import application
    from .settings.settings import load_settings
    from .storage.dialog import open_conversations
    from .storage.store import StoreError

    app = application()
    app.setApplicationName("ADED Chat")
    try:
        store = open_conversations()
    except StoreError as exc:
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.critical(None, "ADED Chat", f"The conversation database cannot be opened:\n{exc}")
        return 2
    if store is None:  # the user chose to quit rather than move a bad file aside
        return 2
    window = open_window(args, store, load_settings())  # noqa: F841 (kept while it runs)
    return run_until_closed(app, store)


def run_until_closed(app, store) -> int:
    """The event loop until the window closes, then the store closed. When the engine
    thread is still busy after closing's wait (a long prefill cannot be interrupted), the
    process ends here with ``os._exit``: everything is saved (the reply as "stopped", the
    settings, the store closed), and Python's teardown would otherwise destroy the running
    QThread, which aborts the process (SIGABRT, issue 22 item 7)."""
    from .engine.worker import engine_still_running

    code = app.exec()
    store.close()
    if engine_still_running():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def open_window(args: argparse.Namespace, store, settings):
    """Show the main window and open the model asked for: ``--model``, ``--demo``, or the
    last one used (app/settings/reopen.py)."""
    from .mainwindow.main_window import MainWindow
    from .settings.reopen import last_model
    from .storage.dialog import tell_notices

    window = MainWindow(store, settings)
    window.show()
    show_settings_problems(window)
    tell_notices(store, window)  # a damaged write-ahead log (app/storage/dialog.py)
    path = args.model or ("" if args.demo else last_model(settings))
    if path is not None:
        window.models.load(path)  # "": the default model
    return window


def show_settings_problems(window) -> None:
    """Say which settings file was set aside at start, and where its copy is (app/settings/
    settings.py): a box that does not block the window."""
    from PySide6.QtWidgets import QMessageBox

    from .settings.settings import take_problems

    problems = take_problems()
    if problems:
        box = QMessageBox(QMessageBox.Icon.Warning, "ADED Chat",
                          "The settings file could not be read:\n\n" + "\n".join(problems),
                          QMessageBox.StandardButton.Ok, window)
        box.setObjectName("settingsProblem")
        box.open()  # window-modal, not blocking: the window is usable behind it


def self_test(model_path: str = "", timeout_s: float = 600.0) -> int:
    """Open the conversations as the window would, load the model (the default one unless given),
    generate one ADED reply through the same EngineClient/QThread the window uses, print the
    statistics. 0 on success."""
    from .qt_compat import application
    from .storage.store import ConversationStore, StoreError

    try:
        ConversationStore().close()
    except StoreError as exc:
        print(f"self-test FAILED: the conversations cannot be opened: {exc}", file=sys.stderr)
        return 1
    app = application()  # noqa: F841 (keeps Qt alive)
    test = SelfTest(model_path)
    result = test.run(timeout_s)
    if result["error"]:
        print(f"self-test FAILED: {result['error']}", file=sys.stderr)
        return 1
    stats = result["stats"]
    if stats is None or stats.tokens <= 0 or result["chunks"] == 0:
        print(f"self-test FAILED: no tokens streamed (stats: {stats})", file=sys.stderr)
        return 1
    print("reply: " + result["text"].strip().replace("\n", " ")[:200])
    print(f"streamed in {result['chunks']} chunks")
    print("stats: " + json.dumps(stats.to_json()))
    print("self-test OK")
    return 0


def _self_test_class():
    from PySide6.QtCore import QEventLoop, QObject, QTimer

    from aded_engine.reply_record import ReplyRecord
    from aded_engine.sampling import SamplingSettings

    from .engine.worker import EngineClient
    from .mainwindow.statusbar.model import threads_text
    from .settings.settings import load_settings

    class SelfTest(QObject):
        """Drives one load + one reply; its methods are slots on the GUI thread (queued
        connections from the engine thread), exactly like the window's."""

        def __init__(self, model_path: str):
            super().__init__()
            self.model_path = model_path
            self.client = EngineClient()
            self.loop = QEventLoop()
            self.result: dict = {"chunks": 0, "text": "", "stats": None, "error": None}
            worker = self.client.worker
            worker.loaded.connect(self.on_loaded)
            worker.loadFailed.connect(self.on_load_failed)
            worker.token.connect(self.on_token)
            worker.finished.connect(self.on_finished)
            worker.failed.connect(self.on_failed)
            worker.status.connect(self.on_status)

        def run(self, timeout_s: float) -> dict:
            QTimer.singleShot(int(timeout_s * 1000), self.on_timeout)
            self.client.load(self.model_path, load_settings().session_settings())
            self.loop.exec()
            self.client.shutdown()
            return self.result

        def on_loaded(self, info: dict) -> None:
            print(f"model: {info['model']} on {info['device']}, {threads_text(info['threads'])}, "
                  f"context {info['n_ctx']}, one token {info['single_token_ms']} ms", flush=True)
            sampling = SamplingSettings(temperature=0.0, max_tokens=SELF_TEST_TOKENS)
            if not self.client.generate([{"role": "user", "content": SELF_TEST_PROMPT}],
                                        sampling, aded=True, learn_user_text=SELF_TEST_PROMPT):
                self.fail("the engine refused the request")

        def on_token(self, _rid: int, text: str, _pieces: list) -> None:
            self.result["chunks"] += 1
            self.result["text"] += text

        def on_finished(self, _rid: int, text: str, stats: ReplyRecord) -> None:
            self.result["stats"], self.result["text"] = stats, text
            self.loop.quit()

        def on_failed(self, _rid: int, _kind: str, message: str) -> None:
            self.fail(message)

        def on_load_failed(self, message: str) -> None:
            self.fail(message)

        def on_status(self, text: str) -> None:
            print(text, flush=True)

        def on_timeout(self) -> None:
            if self.result["stats"] is None:
                self.fail("no reply in time")

        def fail(self, message: str) -> None:
            self.result["error"] = message
            self.loop.quit()

    return SelfTest


def SelfTest(model_path: str):  # noqa: N802 (a class made on demand: Qt imports stay lazy)
    return _self_test_class()(model_path)


if __name__ == "__main__":
    sys.exit(main())
