"""The line under the message box: how many tokens the message with its attachments will
take against the room left in the context, counted live while typing, and what can be done
when it does not fit.

    BudgetLine      the widget (in the composer): the count, and the offers when too long
    BudgetCounter   asks the engine thread to count (debounced; the window never waits) and
                    carries out an offer: a larger context (a reload), the best-matching
                    parts of the documents, cutting a long paste, or making it an attachment

The counting itself is app/attachments/document_prompt.py's, in the engine thread.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ..attachments.attachments import attachment_from_text
from ..attachments.document_prompt import BudgetCount
from ..mainwindow.theme import theme_for
from ..settings.settings import save_settings

DEBOUNCE_MS = 250  # count once typing pauses


class BudgetLine(QWidget):
    """Signals:
        raiseContext(int): reload the model with this context size.
        useParts(): send, with the parts of the documents that best match the question.
        cutToFit(): shorten the message to what fits.
        makeAttachment(): turn the message's text into an attachment.
    """

    raiseContext = Signal(int)
    useParts = Signal()
    cutToFit = Signal()
    makeAttachment = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.count: BudgetCount | None = None
        self.label = QLabel(wordWrap=True)
        self.raise_button = QPushButton()
        self.raise_button.clicked.connect(self.on_raise)
        self.parts_button = QPushButton("Use the best-matching parts",
                                        toolTip="Send with the parts of the documents that "
                                        "best match your question (the reply's footer says "
                                        "which)")
        self.parts_button.clicked.connect(self.useParts)
        self.cut_button = QPushButton("Cut to fit", toolTip="Keep the beginning of the "
                                      "message, as much as fits")
        self.cut_button.clicked.connect(self.cutToFit)
        self.attach_button = QPushButton("Make it an attachment", toolTip="Attach the text "
                                         "as a document and write a short question instead")
        self.attach_button.clicked.connect(self.makeAttachment)
        self.offers = (self.raise_button, self.parts_button, self.cut_button, self.attach_button)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 0, 0)
        row.addWidget(self.label, 1)
        for button in self.offers:
            row.addWidget(button)
            button.hide()

    def clear(self) -> None:
        self.count = None
        self.label.setText("")
        for button in self.offers:
            button.hide()

    def on_raise(self) -> None:
        if self.count and self.count.context_needed:
            self.raiseContext.emit(self.count.context_needed)

    def show_waiting(self, text: str) -> None:
        """No count yet: say when it comes (the offers wait for it)."""
        self.clear()
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {theme_for(self.palette()).muted};")

    def blocks_send(self) -> bool:
        """The message as counted cannot be sent whole and no offer was taken yet."""
        return self.count is not None and self.count.too_long

    def show_count(self, count: BudgetCount) -> None:
        self.count = count
        theme = theme_for(self.palette())
        left = count.room - count.history_tokens
        if count.too_long:
            text = (f"Too long: this message takes {count.message_tokens:,} tokens; the "
                    f"context holds {count.room:,} with {count.n_ctx - count.room:,} kept for "
                    "the reply.")
            colour = theme.error
        elif count.message_tokens > left:
            text = (f"{count.message_tokens:,} tokens, {left:,} left: the oldest messages "
                    "will be left out of the prompt")
            colour = theme.note
        else:
            text = f"{count.message_tokens:,} tokens · {left:,} left of {count.n_ctx:,}"
            colour = theme.muted
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {colour};")
        self.label.setToolTip(
            f"The context holds {count.n_ctx:,} tokens; {count.n_ctx - count.room:,} are kept "
            f"for the reply; the conversation so far takes {count.history_tokens:,}.")
        can_raise = count.too_long and count.context_needed > 0
        self.raise_button.setVisible(can_raise)
        if can_raise:
            self.raise_button.setText(f"Raise the context to {count.context_needed:,}")
            self.raise_button.setEnabled(count.memory_ok)
            self.raise_button.setToolTip(count.memory_note)
        self.parts_button.setVisible(count.too_long and count.attachments > 0)
        self.cut_button.setVisible(count.too_long and not count.attachments
                                   and count.cut_chars > 0)
        self.attach_button.setVisible(count.too_long and not count.attachments)


class BudgetCounter(QObject):
    """Keeps the composer's budget line current and carries out its offers.

    ``conversation``: the open Conversation (or None); ``reload``: loads the loaded model
    again with the saved settings (the Model menu's path)."""

    def __init__(self, composer, client, settings, conversation: Callable,
                 reload: Callable[[], object], parent: QObject | None = None):
        super().__init__(parent)
        self.composer, self.client, self.settings = composer, client, settings
        self.conversation = conversation
        self.reload = reload
        self.request = 0
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.count_now)
        composer.edit.textChanged.connect(self.schedule)
        composer.tray.changed.connect(self.schedule)
        worker = client.worker  # to methods of this QObject: queued onto the GUI thread
        worker.counted.connect(self.on_counted)
        worker.loaded.connect(self.on_loaded)
        worker.finished.connect(self.on_reply_ended)
        worker.failed.connect(self.on_reply_ended)
        line = composer.budget
        line.raiseContext.connect(self.raise_context)
        line.useParts.connect(self.use_parts)
        line.cutToFit.connect(self.cut_to_fit)
        line.makeAttachment.connect(self.make_attachment)

    def schedule(self) -> None:
        """Count again once typing pauses (the message, its attachments or the conversation
        changed)."""
        self.timer.start()

    def on_loaded(self, _info: dict) -> None:
        self.schedule()  # another model, another context size

    def on_reply_ended(self, *_) -> None:
        self.schedule()  # the conversation grew

    def count_now(self) -> None:
        if self.composer.too_long():  # not copied out nor tokenized: it cannot be sent
            self.composer.budget.clear()
            return
        text = self.composer.edit.toPlainText().strip("\n ")
        attachments = list(self.composer.tray.attachments)
        if not text and not attachments:
            self.composer.budget.clear()
            return
        conv = self.conversation()
        messages = conv.chat_messages() if conv else []
        sampling = self.settings.sampling_values(conv.sampling if conv else {})
        self.request = self.client.count(messages, text, attachments, sampling["max_tokens"])
        if self.request and self.client.busy:  # the engine thread answers after the reply
            self.composer.budget.show_waiting("Tokens are counted when the reply being "
                                              "written ends.")

    def on_counted(self, count: BudgetCount) -> None:
        if count.request_id != self.request:
            return  # the message changed since: a newer count is on its way
        self.composer.tray.set_tokens(list(count.attachment_tokens))
        self.composer.budget.show_count(count)

    # --- the offers -------------------------------------------------------------------------
    def raise_context(self, n_ctx: int) -> None:
        self.settings.n_ctx = n_ctx
        save_settings(self.settings)
        self.reload()

    def use_parts(self) -> None:
        self.composer.budget.clear()  # accepted: the documents are fitted by their parts
        self.composer.on_submit()

    def cut_to_fit(self) -> None:
        count = self.composer.budget.count
        if count and count.cut_chars:
            edit = self.composer.edit
            edit.setPlainText(edit.toPlainText().strip("\n ")[:count.cut_chars])

    def make_attachment(self) -> None:
        text = self.composer.edit.toPlainText().strip("\n ")
        if text:
            self.composer.edit.clear()
            self.composer.tray.add(attachment_from_text(text))
            self.composer.edit.setFocus()
