"""The middle column: the open conversation's header, its transcript (or the welcome page,
while no model is loaded and there is nothing to show), the edit banner and the composer.

Editing an earlier message is this pane's state: ``editing_id`` is the user message that the
next send replaces, with everything after it."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from ..mainwindow.welcome import WelcomePanel
from ..reply.composer import Composer, EditBanner
from ..storage.store import Message
from .chat_view import ChatView
from .header import ConversationHeader


class ConversationPane(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.editing_id: int | None = None
        self.header = ConversationHeader()
        self.chat = ChatView()
        self.welcome = WelcomePanel()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.chat)
        self.edit_banner = EditBanner()
        self.composer = Composer()
        self.chat.editRequested.connect(self.on_edit_requested)
        self.edit_banner.cancelled.connect(self.cancel_edit)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.header)
        column.addWidget(self.pages, 1)
        column.addWidget(self.edit_banner)
        column.addWidget(self.composer)

    def show_conversation(self, title: str, greedy: bool, messages: list[Message], busy: bool,
                          model_loaded: bool) -> None:
        self.header.on_conversation_shown(title, greedy)
        self.chat.set_messages(messages, busy=busy)
        self.on_model_changed(model_loaded)

    def on_model_changed(self, model_loaded: bool) -> None:
        """The welcome page while no model is loaded and there is nothing to show, else the
        transcript; the message box keeps (or gets) the focus unless the user put it
        elsewhere."""
        typing = self._focus_is_unclaimed()
        empty = not self.chat.messages
        self.pages.setCurrentWidget(self.welcome if not model_loaded and empty else self.chat)
        if typing:
            self.composer.edit.setFocus(Qt.OtherFocusReason)

    def _focus_is_unclaimed(self) -> bool:
        """Nothing has the focus yet (the window is being built), or what has it is about to
        go (a button of the welcome page, once a model loads) or is where one types: then the
        message box takes it. Hidden, the welcome page's button would hand the focus on to the
        read-only transcript."""
        focus = self.window().focusWidget()
        return (focus is None or focus is self.composer.edit or focus is self.welcome
                or self.welcome.isAncestorOf(focus))

    def on_edit_requested(self, index: int) -> None:
        if self.composer.busy or not 0 <= index < len(self.chat.messages):
            return  # no edits while a reply is written
        msg = self.chat.messages[index]
        self.editing_id = msg.id
        self.composer.set_text(msg.content)
        self.composer.tray.set_attachments([replace(a, id=0) for a in msg.attachments])
        self.edit_banner.show()

    def cancel_edit(self) -> None:
        if self.editing_id is not None:
            self.composer.take_text()
        self.editing_id = None
        self.edit_banner.hide()

    def on_message_sent(self) -> None:
        self.cancel_edit()
        self.composer.take_text()
