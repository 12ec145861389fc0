"""The Model menu: open a GGUF file, get one from the catalog (app/catalog/), recent models
(loaded in the engine thread), teach the learned table from documents, reset the learned tables, and the settings
(a new context needs a reload; ADED's knobs apply to the loaded model at once)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from aded_engine.catalog import find
from aded_engine.models import installed_path
from aded_engine.paths import models_dir

from ..catalog.dialog import CatalogDialog
from ..engine.worker import EngineClient
from ..settings.dialogs import SettingsDialog, confirm
from ..settings.settings import AppSettings, save_settings
from ..settings.teach_dialog import TeachDialog

BUSY = "Busy: wait for the reply or the load to finish."


class ModelMenu(QMenu):
    """Signals:
        loadStarted(str): a model is loading (its file name, or "the default model").
        settingsChanged(): the settings were edited and saved.
        notice(str, int): a status-bar message and how long it shows (ms; 0: until the next).
    """

    loadStarted = Signal(str)
    settingsChanged = Signal()
    notice = Signal(str, int)

    def __init__(self, client: EngineClient, settings: AppSettings, parent=None):
        super().__init__("&Model", parent)
        self.client = client
        self.settings = settings
        self.addAction("Open GGUF…", QKeySequence("Ctrl+O"), self.open_file)
        self.addAction("Get a model…", QKeySequence("Ctrl+Shift+M"), self.get_model)
        self.recent_menu = self.addMenu("Recent models")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.addSeparator()
        self.teach_action = self.addAction("Teach from documents…", self.teach_documents)
        self.reset_tables_action = self.addAction("Reset learned tables…", self.reset_tables)
        self.reset_tables_action.setEnabled(False)  # until a model is loaded
        self.teach_action.setEnabled(False)
        self.teach_dialog: TeachDialog | None = None
        self.catalog_dialog: CatalogDialog | None = None
        self.addSeparator()
        self.addAction("Settings…", QKeySequence("Ctrl+,"), self.edit_settings)

    def load(self, path: str) -> bool:
        """Load a GGUF file in the engine thread; an empty path means the default model."""
        if not self.client.load(path, self.settings.session_settings()):
            self.notice.emit(BUSY, 4000)
            return False
        what = Path(path).name if path else "the default model"
        self.notice.emit(f"Loading {what}…", 0)
        self.loadStarted.emit(what)
        return True

    def get_model(self, name: str = "") -> CatalogDialog:
        """Model > Get a model…: the catalog, one dialog kept (a download goes on while it is
        closed). With a ``name`` (the welcome page's choices): that model, loaded at once when
        it is here, else downloaded first."""
        if self.catalog_dialog is None:
            self.catalog_dialog = CatalogDialog(parent=self.parent())
            self.catalog_dialog.useModel.connect(self.load)
            self.catalog_dialog.openFile.connect(self.open_file)
        dialog = self.catalog_dialog
        model = find(name) if name else None
        if model is not None and installed_path(model) is not None:
            self.load(str(installed_path(model)))
            return dialog
        dialog.show()
        dialog.raise_()
        if model is not None and not (dialog.download and dialog.download.running):
            dialog.start_download(model, use_when_done=True)
        return dialog

    def shutdown(self) -> None:
        """The window closes: a download stops (what it completed is kept for next time)."""
        if self.catalog_dialog is not None:
            self.catalog_dialog.shutdown()

    def open_folder(self) -> str:
        """Where Open GGUF… starts: the folder of the last model opened (Recent models),
        else the models folder the catalog downloads into."""
        for path in self.settings.recent_models[:1]:
            if Path(path).parent.is_dir():
                return str(Path(path).parent)
        return str(models_dir())

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent(), "Open a GGUF model",
                                              self.open_folder(),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.load(path)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_models:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.load(p))
        if not self.settings.recent_models:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def on_loaded(self, info: dict) -> None:
        self.settings.add_recent(info["path"])
        save_settings(self.settings)
        self.reset_tables_action.setEnabled(True)
        self.teach_action.setEnabled(True)

    def teach_documents(self) -> TeachDialog:
        """Model > Teach from documents (app/settings/teach_dialog.py): one dialog, kept."""
        if self.teach_dialog is None:
            self.teach_dialog = TeachDialog(self.client, self.parent())
        elif not self.teach_dialog.isVisible():
            self.teach_dialog.refresh()
        self.teach_dialog.show()
        self.teach_dialog.raise_()
        return self.teach_dialog

    def reset_tables(self) -> bool:
        """Ask, then make the engine thread delete the loaded model's learned tables."""
        info = self.client.info
        if info is None:
            return False
        if not confirm(self.parent(), "Reset learned tables",
                       f"Forget everything the tri-gram tables learned for {info['model']} (and "
                       "models sharing its tokenizer)? Replies are drafted from scratch again "
                       "and the speedup starts low. Conversations are kept. This cannot be "
                       "undone."):
            return False
        if not self.client.reset_tables():
            self.notice.emit(BUSY, 4000)
            return False
        self.notice.emit("Resetting the learned tables…", 0)
        return True

    def edit_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.parent(), self.client.info, self.client)
        if not dialog.exec():
            return
        before = self.settings.session_settings()
        dialog.apply_to(self.settings)
        save_settings(self.settings)
        self.settingsChanged.emit()
        after = self.settings.session_settings()
        if not self.client.info or after == before:
            return
        if after.backend != before.backend:  # threads, GPU layers, context: a new context
            if not self.client.busy:
                self.load(self.client.info["path"])
        else:
            self.client.configure(after)
