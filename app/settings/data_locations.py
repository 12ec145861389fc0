"""“Where is my data?”: the folders and files the program uses, each with its path (selectable,
to copy) and a button that opens its folder in the file manager."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QGridLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout)


def data_locations(database: Path) -> list[tuple[str, Path]]:
    """(what, path) for each place the program keeps files; ``database`` is the open
    conversation store's file."""
    from aded_engine.paths import cache_dir, config_dir, models_dir, tables_dir
    return [("Conversations database", Path(database)),
            ("Learned tables", tables_dir()),
            ("Settings", config_dir()),
            ("Cache (measured model speeds)", cache_dir()),
            ("Demo models", models_dir())]


class DataLocationsDialog(QDialog):
    def __init__(self, locations: list[tuple[str, Path]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Data locations")
        self.resize(720, 280)
        intro = QLabel("ADED Chat keeps these files on this computer only. Conversations and "
                       "learned tables are your data; the cache can be deleted at any time.")
        intro.setWordWrap(True)
        self.message = QLabel("")
        self.paths: dict[str, QLineEdit] = {}
        self.open_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for row, (what, path) in enumerate(locations):
            field = QLineEdit(str(path))
            field.setReadOnly(True)  # selectable and copyable, not editable
            field.setCursorPosition(0)
            button = QPushButton("Open folder")
            button.setToolTip(f"Show {self.folder_of(path)} in the file manager")
            button.clicked.connect(lambda _=False, p=path: self.open_folder(p))
            grid.addWidget(QLabel(what), row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(button, row, 2)
            self.paths[what] = field
            self.open_buttons[what] = button
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(intro)
        box.addLayout(grid)
        box.addWidget(self.message)
        box.addWidget(buttons)

    @staticmethod
    def folder_of(path: Path) -> Path:
        """A folder itself; for a file, the folder that holds it."""
        return path if path.is_dir() else path.parent

    def open_folder(self, path: Path) -> bool:
        folder = self.folder_of(path)
        ok = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self.message.setText("" if ok else f"Could not open {folder}: no file manager answered.")
        return ok
