"""Render screenshots of the real window offscreen: ``python -m app.screenshots OUTDIR``.

Everything shown is real: the default model answers in a throw-away data folder. The
welcome page before it loads (``welcome.png``), one finished conversation with a code block
(``conversation.png``), Model > Get a model… (``catalog.png``), the speed meter while a
second reply streams (``mid-reply.png``), the "Mark drafted tokens" view of a reply that
repeats earlier text (``drafted.png``), a reply with a code line longer than the window
(``long-code-line.png``), and a question about an attached document, with its chip, the
reply's footer and a second document waiting in the composer (``attachment.png``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

CODE_PROMPT = ("Write a Python function that reverses a list. Put the code in a Markdown "
               "code block.")
STREAM_PROMPT = ("Write a Python class for a bank account with deposit and withdraw "
                 "methods, then explain it.")
REPEAT_PROMPT = "Write the same class again, unchanged."
DOCUMENT = ("# Release notes 2.4\n\n- Exports now keep attached documents.\n"
            "- The sidebar can be hidden with Ctrl+B.\n- Replies stop at once with Esc.\n"
            "- Fixed: long pastes were refused without saying why.\n")
DOCUMENT_PROMPT = "List the changes in these release notes."
NEXT_QUESTION = "Which of these changes affect exports?"
LONG_LINE_PROMPT = ("Repeat this line of Python exactly, in a Markdown code block:\n\n"
                    "MONTH_DAYS = {'January': 31, 'February': 28, 'March': 31, 'April': 30, "
                    "'May': 31, 'June': 30, 'July': 31, 'August': 31, 'September': 30, "
                    "'October': 31, 'November': 30, 'December': 31}")
SIZE = (1280, 800)
SEED = 3
SHOTS = ("welcome.png", "conversation.png", "catalog.png", "mid-reply.png", "drafted.png",
         "long-code-line.png", "attachment.png")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m app.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from aded_engine.paths import set_data_dir
    tmp = tempfile.TemporaryDirectory(prefix="aded-shots-")
    set_data_dir(tmp.name)

    from .engine.wait import wait_until
    from .mainwindow.main_window import MainWindow
    from .qt_compat import application
    from .settings.settings import AppSettings
    from .storage.store import ConversationStore

    app = application()  # noqa: F841
    store = ConversationStore()
    # the app's default sampling with a fixed seed: the same pictures on every run
    window = MainWindow(store, AppSettings(max_tokens=400, seed=SEED))
    window.resize(*SIZE)
    window.show()
    wait_until(lambda: False, 0.3)
    window.grab().save(str(out / "welcome.png"))
    window.models.load("")  # the default model
    # a first start in a fresh data folder measures the machine (minutes when it is busy)
    if not wait_until(lambda: window.client.info is not None, 900):
        print("the default model did not load", file=sys.stderr)
        return 1

    window.send_message(CODE_PROMPT)
    wait_until(lambda: window.replies.reply is None, 300)
    wait_until(lambda: False, 0.3)
    window.chat.verticalScrollBar().setValue(0)
    window.grab().save(str(out / "conversation.png"))
    catalog = window.models.get_model()
    wait_until(lambda: False, 0.3)
    catalog.grab().save(str(out / "catalog.png"))
    catalog.close()

    window.new_conversation()
    window.send_message(STREAM_PROMPT)
    wait_until(lambda: window.replies.reply is None or window.speed.stats.tokens >= 60, 300)
    wait_until(lambda: False, 0.1)
    window.grab().save(str(out / "mid-reply.png"))

    wait_until(lambda: window.replies.reply is None, 300)
    window.send_message(REPEAT_PROMPT)
    wait_until(lambda: window.replies.reply is None, 300)
    window.drafts_action.trigger()
    wait_until(lambda: False, 0.3)
    window.chat.scroll_to_bottom()
    window.grab().save(str(out / "drafted.png"))
    window.drafts_action.trigger()  # leave the setting as it was (throw-away folder anyway)

    window.new_conversation()
    window.send_message(LONG_LINE_PROMPT)
    wait_until(lambda: window.replies.reply is None, 300)
    wait_until(lambda: False, 0.3)
    window.grab().save(str(out / "long-code-line.png"))

    window.new_conversation()
    notes = Path(tmp.name) / "release-notes.md"
    notes.write_text(DOCUMENT, encoding="utf-8")
    tray = window.composer.tray
    tray.attach_paths([notes])
    wait_until(lambda: not tray.reading, 60)
    window.send_message(DOCUMENT_PROMPT)
    wait_until(lambda: window.replies.reply is None, 300)
    tray.attach_paths([notes])  # the next message's attachment, counted while typing
    window.composer.edit.setPlainText(NEXT_QUESTION)
    wait_until(lambda: not tray.reading and window.composer.budget.count is not None, 60)
    wait_until(lambda: False, 0.3)
    window.chat.verticalScrollBar().setValue(0)
    window.grab().save(str(out / "attachment.png"))
    window.close()
    store.close()
    for name in SHOTS:
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
