"""Model > Teach from documents: the window's form of ``aded import-corpus``.

The documents the user picks join the loaded model's learned table (its corpus layer, saved
per tokenizer), so drafts that copy their wording are accepted more often; they are not put
in any prompt. The import runs in the engine thread in pieces (app/engine/learning.py): a progress
bar shows how far the document being read is, Cancel stops it (the document being read
teaches nothing). The list shows what the table was taught; Remove takes a document out
again, exactly what it taught (aded_engine/provenance.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..engine.learning import TaughtRow
from ..engine.worker import EngineClient

FILE_TYPES = ("Documents (*.txt *.md *.markdown *.pdf *.html *.htm *.csv *.json *.jsonl *.py "
              "*.c *.h *.cpp *.js *.ts *.java *.go *.rs *.rb *.sh *.sql *.toml *.yaml *.yml "
              "*.xml *.css *.log);;All files (*)")


class TeachDialog(QDialog):
    """Thin: asks the LearningClient, shows what its worker answers (slots on this thread)."""

    def __init__(self, client: EngineClient, parent=None):
        super().__init__(parent)
        self.client = client
        self.learning = client.learning
        self.busy = False
        self.rows: list[TaughtRow] = []
        self.setWindowTitle("Teach from documents")
        self.resize(640, 420)
        self.intro = intro = QLabel()
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Document", "Tokens", "Taught"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.add_button = QPushButton("Add files…")
        self.add_button.clicked.connect(self.pick_files)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (intro, self.table, self.progress, self.status):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(close)

        worker = self.learning.worker  # queued onto this (the GUI) thread
        worker.documents.connect(self.on_documents)
        worker.teachProgress.connect(self.on_progress)
        worker.taught.connect(self.on_taught)
        worker.teachFailed.connect(self.on_failed)
        worker.teachEnded.connect(self.on_ended)
        self.refresh()

    def refresh(self) -> None:
        """Show the loaded model's documents (the dialog is kept and shown again)."""
        model = (self.client.info or {}).get("model")
        self.intro.setText(
            f"Documents taught here join what <b>{model}</b> (and every model with its "
            "tokenizer) has learned for drafting: replies that reuse their wording are "
            "written faster. They are not shown to the model as context; attach a file to a "
            "message for that." if model else "Load a model first (Model menu).")
        self._update_buttons()
        if self.client.info is not None:
            self.learning.list_documents()

    # --- requests -------------------------------------------------------------------------
    def pick_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Teach from documents", str(Path.home()),
                                                FILE_TYPES)
        if paths:
            self.teach(paths)

    def teach(self, paths: list[str]) -> bool:
        """Start importing these files (one at a time, in the engine thread)."""
        if self.busy or self.client.info is None or not paths:
            return False
        self.busy = True
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Reading {Path(paths[0]).name}…")
        self._update_buttons()
        self.learning.teach(paths)
        return True

    def cancel(self) -> None:
        if self.busy:
            self.learning.cancel()
            self.status.setText("Stopping…")

    def remove_selected(self) -> None:
        chosen = sorted({i.row() for i in self.table.selectedIndexes()})
        sources = [self.rows[r].source for r in chosen if r < len(self.rows)]
        if sources and not self.busy:
            self.status.setText(f"Removing {len(sources)} document(s)…")
            self.learning.remove_documents(sources)

    # --- answers (slots for the worker's signals) ----------------------------------------------
    def on_documents(self, rows: list) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            tokens = QTableWidgetItem(f"{row.tokens:,}")
            tokens.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            for col, item in enumerate((QTableWidgetItem(row.name), tokens,
                                        QTableWidgetItem(row.date.replace("T", " ")))):
                self.table.setItem(i, col, item)
        if not self.busy and self.status.text().startswith("Removing"):
            self.status.setText("Removed.")
        self._update_buttons()

    def on_progress(self, name: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(f"Reading {name}…")

    def on_taught(self, name: str, tokens: int) -> None:
        self.status.setText(f"Taught {name}: {tokens:,} tokens.")

    def on_failed(self, message: str) -> None:
        self.status.setText(message)

    def on_ended(self, cancelled: bool) -> None:
        self.busy = False
        self.progress.hide()
        if cancelled:
            self.status.setText("Cancelled: the document being read was not taught.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        loaded = self.client.info is not None
        self.add_button.setEnabled(loaded and not self.busy)
        self.remove_button.setEnabled(loaded and not self.busy
                                      and bool(self.table.selectedIndexes()))
        self.cancel_button.setEnabled(self.busy)
