"""The main window: sidebar | transcript + composer | speed meter, menus and status bar.

It wires the widgets to the conversation store and the engine client; the widgets know
nothing of either. Data rules: the user's message is committed before generation starts,
the reply is saved while it streams (every ``SAVE_EVERY_S``) and once more when it ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QPushButton, QSplitter,
                               QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from .chat_view import ChatView
from .composer import Composer
from .data_locations import DataLocationsDialog, data_locations
from .dialogs import ConversationDialog, SettingsDialog
from .drafted import extend_spans
from .settings import AppSettings, save_settings, sampling_settings
from .sidebar import Sidebar
from .speed_history import SpeedHistoryDialog
from .speed_meter import SpeedMeter
from .store import (COMPLETE, ERROR, PARTIAL, STOPPED, Conversation, ConversationStore,
                    Message, title_from)
from .worker import EngineClient

SAVE_EVERY_S = 0.5
NEW_TITLE = "New chat"


@dataclass
class ReplyInFlight:
    request_id: int
    conversation_id: int
    message_id: int
    text: str = ""
    saved_at: float = 0.0
    drafted: list = field(default_factory=list)  # character spans from accepted drafts


class WelcomePanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("<h2>Welcome to ADED Chat</h2>")
        text = QLabel("Chat with a local GGUF model. Replies are decoded with ADED: a table "
                      "learned from your conversations drafts tokens, the model checks them "
                      "in one batch, and the speed meter shows how much faster that is than "
                      "plain decoding on this machine.")
        text.setWordWrap(True)
        self.demo_button = QPushButton("Use the demo model (SmolLM2-135M, 98 MB)")
        self.open_button = QPushButton("Open a GGUF file…")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (title, text, self.demo_button, self.open_button, self.message):
            box.addWidget(w, 0, Qt.AlignHCenter)
            w.setMaximumWidth(520)
        box.addStretch(2)


class MainWindow(QMainWindow):
    def __init__(self, store: ConversationStore, settings: AppSettings,
                 client: EngineClient | None = None):
        super().__init__()
        self.store = store
        self.settings = settings
        self.owns_client = client is None
        self.client = client or EngineClient()
        self.current_id: int | None = None
        self.reply: ReplyInFlight | None = None
        self.editing_id: int | None = None  # user message being edited (resend from there)
        self.error_box: QMessageBox | None = None
        self.info_dialog: QDialog | None = None  # the last speed history / data locations
        self.context_used = 0
        self.setWindowTitle("ADED Chat")
        self.resize(1180, 760)
        self._build_widgets()
        self._build_menus()
        self.client.connect_handlers(self)
        if self.client.info:
            self.on_loaded(self.client.info)
        self.refresh_sidebar()
        first = self.sidebar.ids()
        self.open_conversation(first[0] if first else None)

    # --- construction ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.sidebar = Sidebar()
        self.sidebar.selected.connect(self.open_conversation)
        self.sidebar.newRequested.connect(self.new_conversation)
        self.sidebar.renameRequested.connect(self.rename_conversation)
        self.sidebar.deleteRequested.connect(self.delete_conversation)
        self.sidebar.exportRequested.connect(self.export_conversation)
        self.sidebar.searchChanged.connect(lambda _t: self.refresh_sidebar())

        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight:600; font-size:14px;")
        self.greedy_button = QToolButton()
        self.greedy_button.setText("Greedy")
        self.greedy_button.setCheckable(True)
        self.greedy_button.setToolTip("Temperature 0 for this conversation")
        self.greedy_button.toggled.connect(self.on_greedy_toggled)
        conv_settings = QToolButton()
        conv_settings.setText("System prompt && sampling…")
        conv_settings.clicked.connect(self.edit_conversation_settings)
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.greedy_button)
        header.addWidget(conv_settings)

        self.chat = ChatView()
        self.chat.show_drafts = self.settings.show_drafts
        self.chat.editRequested.connect(self.on_edit_requested)
        self.chat.regenerateRequested.connect(self.regenerate)
        self.chat.copied.connect(lambda _t: self.statusBar().showMessage("Copied", 2000))
        self.welcome = WelcomePanel()
        self.welcome.demo_button.clicked.connect(self.load_demo)
        self.welcome.open_button.clicked.connect(self.open_model_dialog)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.chat)

        self.edit_banner = QWidget()
        banner = QHBoxLayout(self.edit_banner)
        banner.setContentsMargins(0, 0, 0, 0)
        banner.addWidget(QLabel("Editing an earlier message: sending replaces it and "
                                "everything after it."), 1)
        cancel_edit = QPushButton("Cancel edit")
        cancel_edit.clicked.connect(self.cancel_edit)
        banner.addWidget(cancel_edit)
        self.edit_banner.hide()

        self.composer = Composer()
        self.composer.send.connect(self.send_message)
        self.composer.stop.connect(self.stop_reply)

        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(6, 6, 6, 6)
        column.addLayout(header)
        column.addWidget(self.pages, 1)
        column.addWidget(self.edit_banner)
        column.addWidget(self.composer)

        self.speed = SpeedMeter()
        self.speed.setMinimumWidth(260)
        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(middle)
        splitter.addWidget(self.speed)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 700, 270])
        self.setCentralWidget(splitter)

        self.model_label = QLabel("No model")
        self.context_label = QLabel("")
        for label in (self.model_label, self.context_label):
            label.setContentsMargins(8, 0, 8, 0)  # colour from the palette: light or dark
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        bar = self.statusBar()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.context_label)
        bar.addPermanentWidget(self.model_label)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "New chat", self.new_conversation, "Ctrl+N")
        self._action(file_menu, "Export as Markdown…",
                     lambda: self.export_conversation(self.current_id, "md"))
        self._action(file_menu, "Export as JSON…",
                     lambda: self.export_conversation(self.current_id, "json"))
        file_menu.addSeparator()
        self._action(file_menu, "Quit", self.close, "Ctrl+Q")
        model_menu = bar.addMenu("&Model")
        self._action(model_menu, "Open GGUF…", self.open_model_dialog, "Ctrl+O")
        self._action(model_menu, "Use the demo model", self.load_demo)
        self.recent_menu = model_menu.addMenu("Recent models")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        model_menu.addSeparator()
        self.reset_tables_action = self._action(model_menu, "Reset learned tables…",
                                                self.reset_tables)
        self.reset_tables_action.setEnabled(False)  # until a model is loaded
        model_menu.addSeparator()
        self._action(model_menu, "Settings…", self.edit_settings, "Ctrl+,")
        chat_menu = bar.addMenu("&Chat")
        self._action(chat_menu, "Regenerate last reply", self.regenerate, "Ctrl+R")
        self._action(chat_menu, "Stop", self.stop_reply)
        self._action(chat_menu, "System prompt and sampling…", self.edit_conversation_settings)
        chat_menu.addSeparator()
        self._action(chat_menu, "Speed history…", self.show_speed_history)
        self.drafts_action = self._action(chat_menu, "Mark drafted tokens", self.set_show_drafts,
                                          "Ctrl+D")
        self.drafts_action.setCheckable(True)
        self.drafts_action.setChecked(self.settings.show_drafts)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Data locations…", self.show_data_locations)

    # --- conversations --------------------------------------------------------------------
    def refresh_sidebar(self) -> None:
        self.sidebar.set_conversations(
            self.store.list_conversations(self.sidebar.search.text()), self.current_id)

    def current(self) -> Conversation | None:
        return self.store.get_conversation(self.current_id) if self.current_id else None

    def open_conversation(self, conversation_id: int | None) -> None:
        if self.reply and conversation_id != self.reply.conversation_id:
            self.statusBar().showMessage("A reply is being written; stop it to switch.", 4000)
            self.refresh_sidebar()
            return
        self.current_id = conversation_id
        self.cancel_edit()
        self.show_conversation()

    def show_conversation(self) -> None:
        conv = self.current()
        messages = conv.messages if conv else []
        if self.reply and messages and messages[-1].id == self.reply.message_id:
            messages[-1].content = self.reply.text  # newer than the last throttled save
        self.title_label.setText(conv.title if conv else NEW_TITLE)
        self.greedy_button.blockSignals(True)
        self.greedy_button.setChecked(self.sampling_values(conv)["temperature"] <= 0)
        self.greedy_button.blockSignals(False)
        self.chat.set_messages(messages, busy=self.reply is not None)
        self.update_page()
        if conv:
            self.client.measure(conv.chat_messages())
        self.context_used = 0
        self.update_context_label()

    def update_page(self) -> None:
        no_model = self.client.info is None
        empty = not self.chat.messages
        self.pages.setCurrentWidget(self.welcome if no_model and empty else self.chat)

    def new_conversation(self) -> int | None:
        if self.reply:
            return None
        conv = self.current()
        if conv is not None and not conv.messages:
            return conv.id  # reuse the empty one instead of piling them up
        self.current_id = self.store.create_conversation(NEW_TITLE)
        self.refresh_sidebar()
        self.show_conversation()
        self.composer.edit.setFocus()
        return self.current_id

    def rename_conversation(self, conversation_id: int) -> None:
        conv = self.store.get_conversation(conversation_id)
        if conv is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=conv.title)
        if ok and title.strip():
            self.store.rename_conversation(conversation_id, title.strip())
            self.refresh_sidebar()
            if conversation_id == self.current_id:
                self.title_label.setText(title.strip())

    def delete_conversation(self, conversation_id: int) -> bool:
        conv = self.store.get_conversation(conversation_id)
        if conv is None:
            return False
        if self.reply and self.reply.conversation_id == conversation_id:
            self.statusBar().showMessage("Stop the reply before deleting this conversation.", 4000)
            return False
        answer = QMessageBox.question(
            self, "Delete conversation",
            f"Delete “{conv.title}” and its {len(conv.messages)} messages? The text is erased "
            "from disk and the model's learned table forgets it. This cannot be undone.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return False
        self.client.forget(self.store.delete_conversation(conversation_id))
        if conversation_id == self.current_id:
            self.current_id = None
        self.refresh_sidebar()
        if self.current_id is None:
            ids = self.sidebar.ids()
            self.current_id = ids[0] if ids else None
        self.show_conversation()
        self.statusBar().showMessage("Conversation deleted", 4000)
        return True

    def export_conversation(self, conversation_id: int | None, kind: str) -> None:
        if not conversation_id:
            return
        conv = self.store.get_conversation(conversation_id)
        suffix = ".md" if kind == "md" else ".json"
        name = "".join(c if c.isalnum() or c in " -_" else "_" for c in conv.title)[:60]
        path, _ = QFileDialog.getSaveFileName(self, "Export conversation",
                                              str(Path.home() / (name + suffix)))
        if not path:
            return
        text = (self.store.export_markdown if kind == "md" else self.store.export_json)(
            conversation_id)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            self.show_error("Export failed", str(exc))
            return
        self.statusBar().showMessage(f"Exported to {path}", 5000)

    # --- sampling ---------------------------------------------------------------------------
    def sampling_values(self, conv: Conversation | None) -> dict:
        values = self.settings.sampling_defaults()
        if conv:
            values.update({k: v for k, v in conv.sampling.items() if k in values})
        return values

    def on_greedy_toggled(self, on: bool) -> None:
        conv = self.current()
        if conv is None:
            self.current_id = self.store.create_conversation(NEW_TITLE)
            self.refresh_sidebar()
            conv = self.current()
        sampling = dict(conv.sampling)
        default_t = self.settings.temperature if self.settings.temperature > 0 else 0.7
        sampling["temperature"] = 0.0 if on else default_t
        self.store.set_sampling(conv.id, sampling)

    def edit_conversation_settings(self) -> None:
        conv = self.current()
        if conv is None:
            self.new_conversation()
            conv = self.current()
        dialog = ConversationDialog(conv.system_prompt, self.sampling_values(conv), self)
        if dialog.exec():
            self.store.set_system_prompt(conv.id, dialog.prompt.toPlainText().strip())
            self.store.set_sampling(conv.id, dialog.sampling.values())
            self.show_conversation()

    def edit_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if not dialog.exec():
            return
        before = self.settings.session_settings()
        dialog.apply_to(self.settings)
        save_settings(self.settings)
        self.show_conversation()
        after = self.settings.session_settings()
        if not self.client.info or after == before:
            return
        if after.backend != before.backend:  # threads, GPU layers, context: a new context
            if not self.client.busy:
                self.load_model(self.client.info["path"])
        else:
            self.client.configure(after)

    # --- model ------------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a GGUF model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.load_model(path)

    def load_model(self, path: str) -> bool:
        """Load a GGUF file in the engine thread; an empty path means the demo model."""
        if not self.client.load(path, self.settings.session_settings()):
            self.statusBar().showMessage("Busy: wait for the reply or the load to finish.", 4000)
            return False
        what = Path(path).name if path else "the demo model"
        self.statusBar().showMessage(f"Loading {what}…")
        self.welcome.message.setText(f"Loading {what}…")
        self.progress.setValue(0)
        self.progress.show()
        return True

    def load_demo(self) -> bool:
        return self.load_model("")

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_models:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.load_model(p))
        if not self.settings.recent_models:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def on_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def on_load_progress(self, fraction: float) -> None:
        self.progress.setValue(int(100 * fraction))

    def on_loaded(self, info: dict) -> None:
        self.progress.hide()
        self.settings.add_recent(info["path"])
        save_settings(self.settings)
        safe = " · safe mode" if info.get("load_note") else ""
        self.model_label.setText(
            f"{info['model']} · {info['device']} · {info['threads']} threads · "
            f"{info['gpu_layers']} GPU layers · context {info['n_ctx']}{safe}")
        self.model_label.setToolTip(f"{info['description']}\nchat template: "
                                    f"{info['chat_template']}"
                                    + (f"\n{info['load_note']}" if safe else ""))
        note = f" in safe mode: {info['load_note']}" if safe else ""
        if info.get("table_problems"):
            note += " (learned table reset: " + "; ".join(info["table_problems"]) + ")"
        self.statusBar().showMessage(f"Loaded {info['model']}{note}", 30000 if safe else 8000)
        self.welcome.message.setText("")
        self.reset_tables_action.setEnabled(True)
        self.update_page()
        conv = self.current()
        if conv:
            self.client.measure(conv.chat_messages())

    def reset_tables(self) -> bool:
        """Ask, then make the engine thread delete the loaded model's learned tables."""
        info = self.client.info
        if info is None:
            return False
        answer = QMessageBox.question(
            self, "Reset learned tables",
            f"Forget everything the tri-gram tables learned for {info['model']} (and models "
            "sharing its tokenizer)? Replies are drafted from scratch again and the speedup "
            "starts low. Conversations are kept. This cannot be undone.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return False
        if not self.client.reset_tables():
            self.statusBar().showMessage("Busy: wait for the reply or the load to finish.", 4000)
            return False
        self.statusBar().showMessage("Resetting the learned tables…")
        return True

    def on_tables_reset(self, ok: bool, message: str) -> None:
        if ok:
            self.statusBar().showMessage("Learned tables reset: drafting starts from scratch.",
                                         8000)
        else:
            self.statusBar().showMessage("The learned tables could not be reset: " + message,
                                         15000)

    def on_load_failed(self, message: str) -> None:
        self.progress.hide()
        self.welcome.message.setText("")
        self.statusBar().showMessage("The model could not be loaded", 8000)
        self.show_error("Could not open the model", message)

    def show_error(self, title: str, message: str) -> None:
        """A non-blocking error dialog (the app keeps running behind it)."""
        box = QMessageBox(QMessageBox.Critical, title, message, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose, False)
        box.open()
        self.error_box = box

    def on_context_usage(self, used: int, n_ctx: int) -> None:
        self.context_used = used
        self.update_context_label(n_ctx)

    def update_context_label(self, n_ctx: int | None = None) -> None:
        n_ctx = n_ctx or (self.client.info or {}).get("n_ctx")
        if n_ctx:
            self.context_label.setText(f"context {self.context_used} / {n_ctx} tokens")

    # --- sending and replies ------------------------------------------------------------------
    def send_message(self, text: str) -> bool:
        if not text.strip() or self.reply:
            return False
        if self.client.info is None:
            self.statusBar().showMessage("Load a model first (Model menu).", 5000)
            self.update_page()
            return False
        if self.current_id is None or self.store.get_conversation(self.current_id) is None:
            self.current_id = self.store.create_conversation(NEW_TITLE)
        if self.editing_id is not None:
            self.store.delete_messages_from(self.current_id, self.editing_id)
            self.cancel_edit()
        conv = self.current()
        if not any(m.role == "user" for m in conv.messages) and conv.title == NEW_TITLE:
            self.store.rename_conversation(conv.id, title_from(text))
        self.store.add_message(self.current_id, "user", text)  # committed before generating
        self.composer.take_text()
        self.refresh_sidebar()
        return self.start_reply(text)

    def start_reply(self, user_text: str) -> bool:
        conv = self.current()
        sampling = sampling_settings(self.sampling_values(conv))
        self.show_conversation()  # as stored, with the user's new message
        message_id = self.store.add_message(conv.id, "assistant", "", status=PARTIAL,
                                            model=(self.client.info or {}).get("model"))
        request = self.client.generate(conv.chat_messages(), sampling, self.settings.aded,
                                       user_text)
        if not request:
            self.store.delete_messages_from(conv.id, message_id)
            return False
        self.reply = ReplyInFlight(request, conv.id, message_id, saved_at=time.monotonic())
        self.chat.begin_reply(Message(message_id, "assistant", "",
                                      stats={"drafted_spans": self.reply.drafted}))
        self.speed.start_reply()
        self.composer.set_busy(True)
        self.statusBar().showMessage("Writing…")
        return True

    def _is_current(self, request_id: int) -> bool:
        return self.reply is not None and request_id == self.reply.request_id

    def on_fitted(self, request_id: int, dropped: int, prompt_tokens: int) -> None:
        if not self._is_current(request_id):
            return
        self.context_used = prompt_tokens
        self.update_context_label()
        if dropped:
            self.statusBar().showMessage(
                f"The conversation is longer than the context: the {dropped} oldest "
                f"message(s) were left out of this reply's prompt.", 15000)

    def on_token(self, request_id: int, text: str, pieces: list) -> None:
        if not self._is_current(request_id):
            return
        extend_spans(self.reply.drafted, len(self.reply.text), pieces)
        self.reply.text += text
        self.chat.append_text(text)
        now = time.monotonic()
        if now - self.reply.saved_at >= SAVE_EVERY_S:
            self.store.update_message(self.reply.message_id, content=self.reply.text)
            self.reply.saved_at = now

    def on_step(self, request_id: int, stats: dict) -> None:
        if self._is_current(request_id):
            self.speed.show_stats(stats)

    def on_finished(self, request_id: int, text: str, stats: dict) -> None:
        if not self._is_current(request_id):
            return
        status = STOPPED if stats.get("finish_reason") == "cancelled" else COMPLETE
        self.speed.show_stats(stats)
        stats["drafted_spans"] = self.reply.drafted
        self._end_reply(text, status, stats)
        reason = {"length": " (reached the reply length limit)",
                  "context": " (the context is full)"}.get(stats.get("finish_reason"), "")
        self.statusBar().showMessage(("Stopped" if status == STOPPED else "Done") + reason, 5000)

    def on_failed(self, request_id: int, kind: str, message: str) -> None:
        if not self._is_current(request_id):
            return
        reply = self.reply
        if kind == "overflow" and not reply.text:
            # nothing was generated: drop the empty reply row; the user's message stays
            self.store.delete_messages_from(reply.conversation_id, reply.message_id)
            self.reply = None
            self.composer.set_busy(False)
            self.show_conversation()
            self.statusBar().showMessage("Message too long for the context: " + message, 20000)
            self.show_error("Message too long", message + "\n\nYour message is saved.")
            return
        self._end_reply(reply.text, ERROR, {"error": message})
        self.statusBar().showMessage("The reply failed: " + message, 15000)

    def _end_reply(self, text: str, status: str, stats: dict) -> None:
        reply, self.reply = self.reply, None
        self.store.update_message(reply.message_id, content=text, status=status, stats=stats)
        self.store.touch(reply.conversation_id)
        self.composer.set_busy(False)
        if isinstance(self.info_dialog, SpeedHistoryDialog) and self.info_dialog.isVisible():
            self.info_dialog.refresh()  # the new reply's numbers appear at once
        if reply.conversation_id == self.current_id:
            self.chat.end_reply(text, status, stats)
            self.client.measure(self.current().chat_messages())
        self.refresh_sidebar()

    def stop_reply(self) -> None:
        if self.reply:
            self.client.stop()
            self.statusBar().showMessage("Stopping…")

    def regenerate(self) -> bool:
        conv = self.current()
        if self.reply or conv is None or self.client.info is None:
            return False
        messages = conv.messages
        while messages and messages[-1].role != "user":
            messages = messages[:-1]
        if not messages:
            return False
        if len(messages) < len(conv.messages):
            self.store.delete_messages_from(conv.id, conv.messages[len(messages)].id)
        return self.start_reply(messages[-1].content)

    def on_edit_requested(self, index: int) -> None:
        if self.reply or not 0 <= index < len(self.chat.messages):
            return
        msg = self.chat.messages[index]
        self.editing_id = msg.id
        self.composer.set_text(msg.content)
        self.edit_banner.show()

    def cancel_edit(self) -> None:
        if self.editing_id is not None:
            self.composer.take_text()
        self.editing_id = None
        self.edit_banner.hide()

    # --- information dialogs: opened, not exec'd, so the call returns at once -----------------
    def set_show_drafts(self, on: bool) -> None:
        self.settings.show_drafts = on
        save_settings(self.settings)
        self.chat.set_show_drafts(on)

    def show_speed_history(self) -> SpeedHistoryDialog:
        dialog = SpeedHistoryDialog(self.store, self.current_id,
                                    (self.client.info or {}).get("model"), self)
        return self._open_info(dialog)

    def show_data_locations(self) -> DataLocationsDialog:
        return self._open_info(DataLocationsDialog(data_locations(self.store.path), self))

    def _open_info(self, dialog: QDialog) -> QDialog:
        if self.info_dialog is not None:
            self.info_dialog.close()
        dialog.setAttribute(Qt.WA_DeleteOnClose, False)
        dialog.open()
        self.info_dialog = dialog
        return dialog

    # --- closing ------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Stop a reply, keep what was written (status 'stopped'), end the engine thread."""
        if self.reply:
            self.client.stop()
        if self.owns_client:
            self.client.shutdown()
        elif self.reply:
            deadline = time.monotonic() + 30
            while self.reply and self.client.busy and time.monotonic() < deadline:
                QCoreApplication.processEvents()
                time.sleep(0.01)
        QCoreApplication.sendPostedEvents()  # deliver the worker's last token/finished signals
        if self.reply:  # the engine did not answer: keep what arrived
            self._end_reply(self.reply.text, STOPPED, {"finish_reason": "cancelled"})
        event.accept()
