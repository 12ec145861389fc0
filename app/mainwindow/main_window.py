"""The main window: sidebar | transcript + composer | speed meter, menus and status bar.

It lays the widgets out and handles conversations: open, create, rename, delete, export.
Beside it: their system prompt and sampling in conversation_sampling.py, its first size in
geometry.py, the menus in menus.py, the signal connections in connections.py, loading
models in model_menu.py, the status bar's items in statusbar/.
Elsewhere: a reply, from Send to the saved row, in app/reply/reply.py; the middle column in
app/conversation/pane.py. The widgets know nothing of the store or the engine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ..attachments.drops import FileDrops
from ..conversation.export import export_conversation
from ..conversation.pane import ConversationPane
from ..conversation.sidebar import Sidebar
from ..engine.worker import EngineClient
from ..reply.reply import ReplyController
from ..reply.token_budget import BudgetCounter
from ..settings.dialogs import ask_text, confirm, show_error
from ..settings.info_dialogs import InfoDialogs
from ..settings.reopen import first_conversation
from ..settings.settings import AppSettings, save_settings
from ..speed.history import SpeedHistoryDialog
from ..speed.meter import SpeedMeter
from ..storage.learned_sources import keep_stored
from ..storage.store import NEW_TITLE, Conversation, ConversationStore
from .appearance import Appearance
from .conversation_sampling import ConversationSampling
from .geometry import MainSplitter, default_size
from .connections import connect_controllers, connect_engine
from .menus import build_menus
from .model_menu import ModelMenu
from .shortcuts_dialog import ShortcutsDialog
from .statusbar.bar import StatusBar

class MainWindow(ConversationSampling, QMainWindow):
    def __init__(self, store: ConversationStore, settings: AppSettings,
                 client: EngineClient | None = None):
        super().__init__()
        self.store = store
        self.settings = settings
        self.owns_client = client is None
        self.client = client or EngineClient()
        store.mark_interrupted()  # replies a crash cut short: their text stays, Continue goes on
        self.replies = ReplyController(store, self.client, settings, self)
        self.models = ModelMenu(self.client, settings, self)
        self.current_id: int | None = None
        # Prompt & sampling and Greedy set while no conversation is open: the conversation the
        # first message makes gets them (an empty row for them would pile up in the sidebar)
        self.pending_prompt, self.pending_sampling = "", {}
        self.error_box: QMessageBox | None = None
        self.info = InfoDialogs(store, self)
        self.damage_told: set[int] = set()  # conversations whose damaged message was told
        self.appearance = Appearance()
        self.appearance.apply(settings.theme)
        self.setWindowTitle("ADED Chat")
        self.resize(default_size())
        self._build_widgets()
        build_menus(self)  # menus.py
        connect_controllers(self)  # connections.py
        connect_engine(self)
        # the tables forget what a crash or a kill left learned from deleted messages; once
        # the status bar listens: a damaged table found here is said (issue 22 item 5)
        self.client.learning.forget_sources(keep_stored(store))
        self.refresh_sidebar()
        self.open_conversation(first_conversation(settings, self.sidebar.ids()))

    # --- construction ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.sidebar = Sidebar()
        self.sidebar.selected.connect(self.open_conversation)
        self.sidebar.newRequested.connect(self.new_conversation)
        self.sidebar.renameRequested.connect(self.rename_conversation)
        self.sidebar.deleteRequested.connect(self.delete_conversation)
        self.sidebar.exportRequested.connect(self.export_conversation)
        self.sidebar.searchChanged.connect(lambda _t: self.refresh_sidebar())

        self.pane = ConversationPane()
        self.chat, self.composer = self.pane.chat, self.pane.composer
        self.composer.settings = self.settings  # Attach… starts where the last file came from
        self.pane.header.greedyToggled.connect(self.on_greedy_toggled)
        self.pane.header.settingsRequested.connect(self.edit_conversation_settings)
        self.pane.welcome.modelChosen.connect(self.models.get_model)
        self.pane.welcome.moreModels.connect(self.models.get_model)
        self.pane.welcome.open_button.clicked.connect(self.models.open_file)
        self.chat.show_drafts = self.settings.show_drafts
        self.chat.regenerateRequested.connect(self.regenerate)
        self.chat.versionRequested.connect(self.switch_version)
        self.chat.continueRequested.connect(self.continue_reply)
        self.chat.copied.connect(lambda _t: self.statusBar().showMessage("Copied", 2000))
        self.composer.send.connect(self.send_message)
        self.composer.stop.connect(self.replies.stop)
        self.drops = FileDrops(self, self.composer.tray)
        self.drops.modelDropped.connect(self.models.load)
        self.budget = BudgetCounter(self.composer, self.client, self.settings, self.current,
                                    lambda: self.models.load(self.client.info["path"]), self)
        self.speed = SpeedMeter()
        self.speed.setMinimumWidth(200)  # with the sidebar's 150: 800 px wide stays usable
        splitter = MainSplitter()
        splitter.setChildrenCollapsible(False)  # hidden only through View (remembered)
        for widget in (self.sidebar, self.pane, self.speed):
            splitter.addWidget(widget)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 700, 270])
        self.setCentralWidget(splitter)
        self.setStatusBar(StatusBar())

    # --- conversations --------------------------------------------------------------------
    def refresh_sidebar(self) -> None:
        self.sidebar.set_conversations(
            self.store.list_conversations(self.sidebar.search.text()), self.current_id)

    def current(self) -> Conversation | None:
        return self.store.get_conversation(self.current_id) if self.current_id else None

    def open_conversation(self, conversation_id: int | None) -> None:
        reply = self.replies.reply
        if reply and conversation_id != reply.conversation_id:
            self.statusBar().showMessage("A reply is being written; stop it to switch.", 4000)
            # after the click has selected the item it hit: the highlight goes back
            QTimer.singleShot(0, lambda: self.sidebar.set_current(self.current_id))
            return
        self.current_id = conversation_id
        self.pane.cancel_edit()
        self.show_conversation()

    def show_conversation(self, conv: Conversation | None = None) -> None:
        """Show ``conv`` (just read: it becomes the open one), or read the open one again."""
        if conv is not None:
            self.current_id = conv.id
        conv = conv or self.current()
        messages = conv.messages if conv else []
        reply = self.replies.reply
        if reply and messages and messages[-1].id == reply.message_id:
            messages[-1].content = reply.text  # newer than the last throttled save
        greedy = self.sampling_values(conv)["temperature"] <= 0
        self.pane.show_conversation(conv.title if conv else NEW_TITLE, greedy, messages,
                                    reply is not None, self.client.info is not None)
        self.statusBar().context.on_conversation_shown()
        if conv and conv.id not in self.damage_told and any(m.damaged for m in conv.messages):
            self.damage_told.add(conv.id)  # once: the transcript marks the message itself
            self.statusBar().showMessage(
                f"“{conv.title}” has a damaged message: its text changed in the file since "
                f"it was saved (marked in the transcript). {self.store.integrity()}.", 0)
        self.sidebar.set_current(self.current_id)  # the highlight follows what is shown
        if reply is None:  # the meter follows the reply being written, else this chat's last
            self.speed.show_last_reply(next((m.record for m in reversed(messages)
                                             if m.role == "assistant"), None))
        if conv and reply is None:  # a reply's prompt is measured as it is fitted
            self.client.measure(conv.chat_messages())
        self.budget.schedule()  # the message being written counts against this conversation

    def new_conversation(self) -> int | None:
        if self.replies.reply:
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
        title = ask_text(self, "Rename conversation", "Title:", conv.title)
        if title and title.strip():
            self.store.rename_conversation(conversation_id, title.strip())
            self.refresh_sidebar()
            if conversation_id == self.current_id:
                self.pane.header.on_renamed(title.strip())

    def delete_conversation(self, conversation_id: int) -> bool:
        conv = self.store.get_conversation(conversation_id)
        if conv is None:
            return False
        if self.replies.reply and self.replies.reply.conversation_id == conversation_id:
            self.statusBar().showMessage("Stop the reply before deleting this conversation.", 4000)
            return False
        if not confirm(self, "Delete conversation",
                       f"Delete “{conv.title}” and its {len(conv.messages)} messages? The text "
                       "is erased from disk and the model's learned table forgets it. This "
                       "cannot be undone."):
            return False
        self.client.forget(self.store.delete_conversation(conversation_id))
        self.client.learning.forget_sources(keep_stored(self.store))  # every version, exactly
        if conversation_id == self.current_id:
            self.current_id = None
        self.refresh_sidebar()
        self.current_id = self.current_id or next(iter(self.sidebar.ids()), None)
        self.show_conversation()
        self.statusBar().showMessage("Conversation deleted", 4000)
        return True

    def export_conversation(self, conversation_id: int | None, kind: str) -> None:
        if not conversation_id:
            return
        try:
            path = export_conversation(self, self.store, conversation_id, kind)
        except OSError as exc:
            self.show_error("Export failed", str(exc))
            return
        if path:
            self.statusBar().showMessage(f"Exported to {path}", 5000)

    # --- sending: the reply itself is ReplyController's ---------------------------------------
    def send_message(self, text: str) -> bool:
        """Send ``text`` (in place of the message being edited, if one is); True when a reply
        started."""
        if self.replies.send(self.current_id, text, self.pane.editing_id,
                             self.composer.tray.attachments,
                             (self.pending_prompt, self.pending_sampling)) is None:
            return False
        self.pending_prompt, self.pending_sampling = "", {}  # given to the chat, if one was made
        self.pane.on_message_sent()
        self.refresh_sidebar()
        return self.replies.reply is not None

    def regenerate(self) -> bool:
        return self.replies.regenerate(self.current_id)

    def switch_version(self, index: int, step: int) -> bool:
        """Show the previous (-1) or next (1) version of message ``index``'s turn: it is
        what the model sees from now on (not while a reply is written)."""
        messages = self.chat.messages
        if self.replies.reply or self.current_id is None or not 0 <= index < len(messages):
            return False
        if not self.store.switch_version(self.current_id, messages[index].id, step):
            return False
        self.show_conversation()
        return True

    def continue_reply(self) -> bool:
        """Chat > Continue the reply: go on with a reply cut short (app/reply/continuation.py)."""
        if self.replies.continue_reply(self.current_id):
            return True
        if not self.replies.reply:
            self.statusBar().showMessage("Nothing to continue: the last reply was not cut short "
                                         "by the length limit.", 5000)
        return False

    def on_reply_saved(self, conversation_id: int, text: str, status: str, stats: dict) -> None:
        if conversation_id == self.current_id:
            self.chat.end_reply(text, status, stats)
            self.client.measure(self.current().chat_messages())
        self.refresh_sidebar()

    # --- models: the Model menu loads them ----------------------------------------------------
    def on_loaded(self, _info: dict) -> None:
        self.pane.on_model_changed(model_loaded=True)
        conv = self.current()
        if conv:
            self.client.measure(conv.chat_messages())

    def on_load_failed(self, message: str) -> None:
        self.show_error("Could not open the model", message)

    def show_error(self, title: str, message: str) -> None:
        self.error_box = show_error(self, title, message)

    def set_show_drafts(self, on: bool) -> None:
        self.settings.show_drafts = on
        save_settings(self.settings)
        self.chat.set_show_drafts(on)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_speed_history(self) -> SpeedHistoryDialog:
        return self.info.speed_history(self.current_id, (self.client.info or {}).get("model"))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Stop a reply, keep what was written (status 'stopped'), end the engine thread;
        remember the conversation shown (app/settings/reopen.py)."""
        self.server_panel.shutdown()  # before the engine: its request stops at once
        self.models.shutdown()
        self.replies.close(shutdown_engine=self.owns_client)
        self.settings.last_conversation = self.current_id or 0
        save_settings(self.settings)
        event.accept()
