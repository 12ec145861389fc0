"""The transcript: messages rendered from Markdown, user and assistant set apart, code
blocks boxed with a Copy link, a details line of statistics under each reply.

The reply being written arrives whole each time (``show_partial``: its text so far and
drafted spans, owned by app/reply/reply.py) and is drawn at most ~30 times a second; only that
reply is re-rendered (the earlier messages stay laid out), so long replies stay smooth.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QTextCursor, QTextOption
from PySide6.QtWidgets import QTextBrowser

from aded_engine.reply_record import ReplyRecord

from ..attachments.chips import DocumentDialog, chips_html, documents_footer_html
from ..mainwindow.theme import LIGHT, Theme, theme_for
from ..reply.continuation import can_continue, continue_footer_html
from ..speed.meter import stats_line
from ..storage.store import ERROR, INTERRUPTED, PARTIAL, STOPPED, Message
from .drafted import drafted_html
from .markdown import PRE_WRAP, code_blocks, to_html

FLUSH_MS = 33  # ~30 Hz
ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}
STATUS_NOTES = {PARTIAL: "writing…", STOPPED: "stopped", ERROR: "error",
                INTERRUPTED: "interrupted"}
# the keys the transcript handles itself (Help > Keyboard shortcuts lists them)
KEYS = (("Arrow keys, Page Up/Down", "move the caret, scroll"),
        ("Menu key, Shift+F10", "the actions of the message at the caret: copy, edit, "
                                "regenerate, other versions, copy a code block"),
        ("Ctrl+C", "copy the selected text"))
# Longer messages (a pasted file) show their beginning only: laying out megabytes of rich
# text would freeze the window. They are stored, sent and copied whole.
DISPLAY_LIMIT = 20_000


@dataclass(frozen=True)
class ViewOptions:
    busy: bool = False  # a reply is streaming: no actions, no copy links
    show_drafts: bool = False  # replies with the accepted drafts highlighted
    waiting: str = "…"  # in place of a reply that has no text yet (app/reply/reading.py)
    theme: Theme = LIGHT


def typed_html(text: str) -> str:
    """The user's own text, shown as typed: not read as Markdown (which joins lines and eats
    indentation, ``*`` and ``_``) nor as HTML; long lines wrap (PRE_WRAP)."""
    return f"<p style=\"margin:0; {PRE_WRAP}\">{html.escape(text, quote=False)}</p>"


def body_html(index: int, msg: Message, record: ReplyRecord, view: ViewOptions) -> str:
    muted = view.theme.muted
    if not msg.content and msg.status == PARTIAL:
        return f"<p style=\"color:{muted};\"><i>{html.escape(view.waiting)}</i></p>"
    text, cut = msg.content[:DISPLAY_LIMIT], len(msg.content) - DISPLAY_LIMIT
    copy_prefix = None if view.busy else f"act:copycode:{index}:"
    if msg.role == "user":  # as typed: pasted code keeps its line breaks and indentation
        body = typed_html(text)
    elif view.show_drafts and msg.role == "assistant" and record.drafted_spans is not None:
        body = drafted_html(msg.content, record.drafted_spans, view.theme, copy_prefix,
                            DISPLAY_LIMIT)
    else:
        body = to_html(text, copy_prefix, view.theme)
    if cut > 0:
        body += (f"<p style=\"color:{muted};\"><i>… {cut:,} more characters not shown "
                 f"(Copy copies the whole message).</i></p>")
    return body


def message_actions(index: int, msg: Message, is_last_reply: bool) -> list[tuple[str, str]]:
    """A message's actions as (label, link): the links in its header, and the transcript's
    context menu (the keyboard's way to them: the transcript is one Tab stop)."""
    out = [("Copy", f"act:copymsg:{index}")]
    if msg.role == "user":
        out.append(("Edit", f"act:edit:{index}"))
    if is_last_reply:
        out.append(("Regenerate", f"act:regen:{index}"))
        if can_continue(msg):
            out.append(("Continue", f"act:continue:{index}"))
    return out


def version_html(index: int, msg: Message, busy: bool) -> str:
    """'‹ 2/3 ›': which version of this turn is shown; the arrows switch (not while busy)."""
    label = f"{msg.version}/{msg.versions}"
    if busy:
        return label
    prev = (f"<a href=\"act:version:{index}:-1\">‹</a>" if msg.version > 1 else "‹")
    after = (f"<a href=\"act:version:{index}:1\">›</a>" if msg.version < msg.versions else "›")
    return f"{prev}&nbsp;{label}&nbsp;{after}"


def message_html(index: int, msg: Message, is_last_reply: bool, view: ViewOptions) -> str:
    """One message as a full-width table row: a header (who, status, actions), the body,
    and for replies a statistics line."""
    t = view.theme
    bg = t.user_bg if msg.role == "user" else t.assistant_bg
    accent = t.user_accent if msg.role == "user" else t.assistant_accent
    note = STATUS_NOTES.get(msg.status, "")
    note_html = f" <span style=\"color:{t.note};\">({note})</span>" if note else ""
    if msg.damaged:  # its checksum does not match (app/storage/store.py, issue 22 item 4)
        note_html += (f" <span style=\"color:{t.error};\">(damaged: this text is not what "
                      "was saved)</span>")
    actions = [version_html(index, msg, view.busy)] if msg.versions > 1 else []
    if not view.busy:
        actions += [f"<a href=\"{href}\">{label}</a>"
                    for label, href in message_actions(index, msg, is_last_reply)]
    details = ""
    record = msg.record
    if msg.role == "assistant" and record.measured:
        details = (f"<p style=\"color:{t.muted}; font-size:small; margin-top:2px;\">"
                   f"{html.escape(stats_line(record))}</p>")
    if msg.role == "assistant" and record.documents:
        details += documents_footer_html(record.documents, t)
    if record.error:
        details += f"<p style=\"color:{t.error};\">{html.escape(record.error)}</p>"
    if is_last_reply and not view.busy:
        details += continue_footer_html(index, msg, t)
    return (f"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"10\" "
            f"style=\"background-color:{bg}; color:{t.text}; border-left:4px solid {accent}; "
            f"margin-bottom:10px;\"><tr><td>"
            f"<p style=\"margin:0;\"><b style=\"color:{accent};\">"
            f"{ROLE_NAMES.get(msg.role, msg.role)}</b>{note_html}"
            f"&nbsp;&nbsp;&nbsp;<span style=\"font-size:small;\">{' · '.join(actions)}</span></p>"
            f"{body_html(index, msg, record, view)}{chips_html(index, msg.attachments, t)}"
            f"{details}</td></tr></table>")


class ChatView(QTextBrowser):
    """Signals:
        editRequested(int): index of a user message to edit and resend.
        regenerateRequested(): make the last reply again.
        continueRequested(): go on with the last reply, cut short (app/reply/continuation.py).
        versionRequested(int, int): index of a message and a step (-1, 1): show the
            previous or next version of that turn.
        copied(str): what was put on the clipboard (for a status message).
    """

    editRequested = Signal(int)
    regenerateRequested = Signal()
    continueRequested = Signal()
    versionRequested = Signal(int, int)
    copied = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        # one Tab stop: Tab leaves the transcript instead of walking (and scrolling to) every
        # link; the arrow keys move a caret and the menu key opens the message's actions
        self.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard
                                     | Qt.LinksAccessibleByMouse)
        self.anchorClicked.connect(self.on_anchor)
        self.messages: list[Message] = []
        self.busy = False
        self._partial: tuple[str, tuple] | None = None  # the streaming reply, not yet drawn
        self._stream_start = -1  # document position where the streaming reply begins
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self.renders = 0  # how many times the streaming reply was drawn (tests, profiling)
        self.show_drafts = False  # mark the tokens that came from accepted drafts
        self.waiting = "…"  # shown by a reply with no text yet
        self.document().setDocumentMargin(12)
        # the transcript never scrolls sideways: lines wrap at spaces, and a word longer than
        # the line (a hash, a URL, a minified line of code) between its characters
        self.setWordWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)

    # --- whole transcript -----------------------------------------------------------------
    def set_messages(self, messages: list[Message], busy: bool = False) -> None:
        self.messages = list(messages)
        self.busy = busy
        if not busy:
            self.waiting = "…"
        self.render_all()

    def render_all(self) -> None:
        stream = bool(self.busy and self.messages and self.messages[-1].status == PARTIAL)
        if stream and self._partial:
            self._take_partial()
        self._partial = None
        last_reply = self._last_reply_index()
        head = self.messages[:-1] if stream else self.messages
        view = self.view_options()
        self.setHtml("".join(message_html(i, m, i == last_reply, view)
                             for i, m in enumerate(head)))
        self.moveCursor(QTextCursor.End)  # the keyboard's context menu starts at the last message
        self._stream_start = -1
        if stream:
            self._stream_start = self._end_position()
            self._draw_stream()
            self._timer.start()
        else:
            self._timer.stop()
        self.scroll_to_bottom()

    def _last_reply_index(self) -> int:
        if self.messages and self.messages[-1].role == "assistant":
            return len(self.messages) - 1
        return -1

    def _end_position(self) -> int:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.End)
        return cursor.position()

    # --- streaming ------------------------------------------------------------------------
    def show_partial(self, text: str, spans: tuple = ()) -> None:
        """The reply being written (the last message, status partial), as far as it has
        arrived: its text and drafted character spans. Drawn at the next flush."""
        self._partial = (text, spans)

    def flush(self) -> None:
        if not self._partial or not self.messages:
            return
        self._take_partial()
        self._draw_stream()

    def _take_partial(self) -> None:
        (text, spans), self._partial = self._partial, None
        last = self.messages[-1]
        last.content = text
        last.stats = ReplyRecord(drafted_spans=spans, measured=False).to_json()

    def _draw_stream(self) -> None:
        at_bottom = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._stream_start)
        cursor.movePosition(QTextCursor.End, QTextCursor.KeepAnchor)
        cursor.insertHtml(message_html(len(self.messages) - 1, self.messages[-1], False,
                                       self.view_options()))
        self.renders += 1
        if at_bottom:
            self.scroll_to_bottom()

    def view_options(self) -> ViewOptions:
        return ViewOptions(self.busy, self.show_drafts, self.waiting, theme_for(self.palette()))

    def show_waiting(self, text: str) -> None:
        """What the reply being written shows until its first text (e.g. how far the prompt
        has been read); "" for the plain "…"."""
        self.waiting = text or "…"
        if self._stream_start >= 0:
            self._draw_stream()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # the system switched light / dark
            self.render_all()

    def set_show_drafts(self, on: bool) -> None:
        self.show_drafts = on
        self.render_all()

    def end_reply(self, text: str | None, status: str, stats: dict | None) -> None:
        self.busy = False
        self.waiting = "…"
        if self.messages:
            last = self.messages[-1]
            if text is not None:
                last.content = text
            last.status = status
            last.stats = stats
        self.render_all()

    # --- scrolling ------------------------------------------------------------------------
    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- the keyboard's way to the links: a context menu per message -----------------------
    def message_at(self, position: int) -> int:
        """Index of the message at a document position (each is one top-level table; past the
        last one: the last one; before the first: the first), or -1 when there is none."""
        starts = [f.firstPosition() for f in self.document().rootFrame().childFrames()]
        return max(0, sum(1 for start in starts if start <= position) - 1) if starts else -1

    def menu_actions(self, index: int) -> list[tuple[str, str]]:
        """What the context menu offers for message ``index`` (none while a reply streams)."""
        if self.busy or not 0 <= index < len(self.messages):
            return []
        msg = self.messages[index]
        out = []
        if msg.versions > 1:
            if msg.version > 1:
                out.append((f"Previous version ({msg.version - 1}/{msg.versions})",
                            f"act:version:{index}:-1"))
            if msg.version < msg.versions:
                out.append((f"Next version ({msg.version + 1}/{msg.versions})",
                            f"act:version:{index}:1"))
        out += [(label if label != "Copy" else "Copy message", href) for label, href in
                message_actions(index, msg, index == self._last_reply_index())]
        out += [(f"Copy code block {n + 1}" + (f" ({b.language})" if b.language else ""),
                 f"act:copycode:{index}:{n}") for n, b in enumerate(code_blocks(msg.content))]
        return out

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt's name)
        by_mouse = event.reason() == QContextMenuEvent.Mouse
        cursor = self.cursorForPosition(event.pos()) if by_mouse else self.textCursor()
        menu = self.createStandardContextMenu(event.pos())
        first = menu.actions()[0] if menu.actions() else None
        ours = self.menu_actions(self.message_at(cursor.position()))
        for label, href in ours:
            action = menu.addAction(label)  # then moved above the standard Copy / Select all
            action.triggered.connect(lambda _=False, h=href: self.on_anchor(QUrl(h)))
            menu.insertAction(first, action)
        if ours and first is not None:
            menu.insertSeparator(first)
        where = event.globalPos() if by_mouse else \
            self.viewport().mapToGlobal(self.cursorRect(cursor).center())
        menu.exec(where)
        menu.deleteLater()

    # --- links ----------------------------------------------------------------------------
    def on_anchor(self, url) -> None:
        target = url.toString()
        if not target.startswith("act:"):
            return  # links inside replies are not opened: a local model may write anything
        parts = target.split(":")
        action, index = parts[1], int(parts[2])
        if not 0 <= index < len(self.messages):
            return
        msg = self.messages[index]
        if action == "copymsg":
            self._copy(msg.content)
        elif action == "copycode":
            blocks = code_blocks(msg.content)
            n = int(parts[3])
            if 0 <= n < len(blocks):
                self._copy(blocks[n].code)
        elif action == "edit":
            self.editRequested.emit(index)
        elif action == "regen":
            self.regenerateRequested.emit()
        elif action == "continue":
            self.continueRequested.emit()
        elif action == "version":
            self.versionRequested.emit(index, int(parts[3]))
        elif action == "doc":
            self.open_document(index, int(parts[3]))

    def open_document(self, index: int, n: int) -> DocumentDialog | None:
        """Show what the model was given for attachment ``n`` of message ``index``."""
        attachments = self.messages[index].attachments if 0 <= index < len(self.messages) else []
        if not 0 <= n < len(attachments):
            return None
        self.document_dialog = DocumentDialog(attachments[n], self.window())
        self.document_dialog.show()
        return self.document_dialog

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
