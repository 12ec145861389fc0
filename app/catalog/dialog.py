"""Model > Get a model… (and the welcome page's choices): the catalog with what each model is
good for, its size, the memory it needs, its licence and who packaged it, whether it is here,
and after first use its speed measured on this machine. A model not here yet is downloaded
with progress and Cancel; a cancelled or cut download resumes where it stopped; the file is
verified before it is used."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from aded_engine.backend import physical_memory_bytes
from aded_engine.catalog import CATALOG, DEFAULT_MODEL, CatalogModel
from aded_engine.model_speeds import measured_speed
from aded_engine.models import installed_path, partial_bytes

from .download import CatalogDownload


def size_text(n: int) -> str:
    """A size as a person reads it: 469 MB, 1.0 GB."""
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB"


def entry_state(model: CatalogModel) -> str:
    """Here or not, and what was measured here: one line."""
    path = installed_path(model)
    if path is None:
        kept = partial_bytes(model)
        return f"{kept / model.size:.0%} downloaded: resumes" if kept else "not downloaded"
    speed = measured_speed(path)
    if speed is None:
        return "downloaded"
    return (f"downloaded · measured here: {speed.plain_tokens_per_s:.1f} tok/s plain, "
            f"{speed.aded_tokens_per_s:.1f} tok/s with ADED ({speed.speedup:.2f}x)")


def entry_text(model: CatalogModel) -> str:
    recommended = "  (recommended)" if model is DEFAULT_MODEL else ""
    return (f"{model.title}{recommended}\n{model.good_for}\n"
            f"{size_text(model.size)} · needs about {size_text(model.memory)} of memory · "
            f"{model.licence} · {entry_state(model)}")


class CatalogDialog(QDialog):
    """Signals:
        useModel(str): the user chose a verified model file to load.
        openFile(): the user would rather open a GGUF file of their own.
    """

    useModel = Signal(str)
    openFile = Signal()

    def __init__(self, catalog: tuple[CatalogModel, ...] = CATALOG, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Get a model")
        self.catalog = catalog
        self.download: CatalogDownload | None = None
        self._use_when_done = False
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)  # entries of three lines each, set apart
        for model in catalog:
            item = QListWidgetItem(entry_text(model))
            item.setData(Qt.UserRole, model.name)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self.on_selection)
        self.list.itemDoubleClicked.connect(lambda _item: self.on_get())
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.get_button = QPushButton()
        self.get_button.clicked.connect(self.on_get)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self.on_cancel)
        self.cancel_button.setVisible(False)
        open_button = QPushButton("Open a GGUF file…")
        open_button.clicked.connect(self._open_file)
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for b in (self.get_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(open_button)
        buttons.addWidget(close_button)
        box = QVBoxLayout(self)
        intro = QLabel("Models the program can download and verify itself (checked by sha256 "
                       "before use). Files you already have open with Model > Open GGUF… or by "
                       "dropping them on the window.")
        intro.setWordWrap(True)
        for w in (intro, self.list, self.details, self.progress, self.status):
            box.addWidget(w)
        box.addLayout(buttons)
        self.resize(640, 520)
        self.list.setCurrentRow(0)

    @property
    def selected(self) -> CatalogModel:
        return self.catalog[max(0, self.list.currentRow())]

    def select(self, name: str) -> None:
        self.list.setCurrentRow(next(i for i, m in enumerate(self.catalog) if m.name == name))

    def on_selection(self, _row: int) -> None:
        model = self.selected
        memory = physical_memory_bytes()
        too_big = bool(memory) and model.memory > 0.8 * memory
        self.details.setText(
            f"<b>{model.title}</b><br>Licence: {model.licence}. Source: {model.packaged_by}."
            f"<br>File: {model.file_name}, sha256 {model.sha256[:16]}…"
            + ("" if model.chat else "<br>A base model: it continues text, it does not chat.")
            + (f"<br><b>This computer has {size_text(memory)} of memory: too little for it.</b>"
               if too_big else ""))
        self._update_buttons(too_big)

    def _update_buttons(self, too_big: bool = False) -> None:
        busy = self.download is not None and self.download.running
        here = installed_path(self.selected) is not None
        self.get_button.setText("Use this model" if here else "Download and use")
        self.get_button.setEnabled(not busy and not too_big)
        self.cancel_button.setVisible(busy)
        self.list.setEnabled(not busy)

    def on_get(self) -> None:
        """Use the selected model, downloading it first when it is not here."""
        model = self.selected
        path = installed_path(model)
        if path is not None:
            self.useModel.emit(str(path))
            self.close()
            return
        self.start_download(model, use_when_done=True)

    def start_download(self, model: CatalogModel, use_when_done: bool) -> CatalogDownload:
        self.select(model.name)
        self._use_when_done = use_when_done
        self.download = CatalogDownload(model, self)
        self.download.progress.connect(self.on_progress)
        self.download.finished.connect(self.on_finished)
        self.download.failed.connect(self.on_failed)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText(f"Downloading {model.title}…")
        self.download.start()
        self._update_buttons()
        return self.download

    def on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(1000 * done / max(1, total)))
        self.status.setText(f"Downloading {self.selected.title}: {size_text(done)} of "
                            f"{size_text(total)}")

    def on_cancel(self) -> None:
        if self.download is not None:
            self.download.cancel()
            self.status.setText("Cancelling…")

    def on_finished(self, path: str) -> None:
        self._refresh_row()
        self.progress.setVisible(False)
        self.status.setText(f"{self.selected.title} is downloaded and verified.")
        self._update_buttons()
        if self._use_when_done:
            self.useModel.emit(path)
            self.close()

    def on_failed(self, message: str, cancelled: bool) -> None:
        self._refresh_row()
        self.progress.setVisible(False)
        self.status.setText(f"Download stopped: {message}" if cancelled
                            else f"The download failed: {message}")
        self._update_buttons()

    def shutdown(self) -> None:
        """The window closes: stop a download (what is complete is kept for next time)."""
        if self.download is not None:
            self.download.stop_and_wait()

    def _refresh_row(self) -> None:
        self.list.currentItem().setText(entry_text(self.selected))

    def _open_file(self) -> None:
        self.close()
        self.openFile.emit()
