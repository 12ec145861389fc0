"""Settings dialogs: the app's settings and one conversation's system prompt and sampling;
a Yes/No question and an error message."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFormLayout, QInputDialog, QLabel, QMessageBox,
                               QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from aded_engine.cpu_cores import default_threads

from .measure_panel import MeasurePanel
from .settings import ADAPTATIONS, RANGES, SAMPLING_KEYS, AppSettings


# Every number is a spin box with the range the settings keep (settings.RANGES): a value
# out of range cannot be typed, and one left half-typed ("0" where 1 is the least) becomes
# the nearest allowed value, not silently the previous one; the label and the tooltip say
# the range.
def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounded_box(box: QAbstractSpinBox, lo, hi) -> None:
    box.setCorrectionMode(QAbstractSpinBox.CorrectToNearestValue)
    box.setToolTip(f"From {_num(lo)} to {_num(hi)}")


def _spin(lo: int, hi: int, value: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    _bounded_box(box, lo, hi)
    return box


def _dspin(lo: float, hi: float, step: float, value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(2)
    box.setValue(value)
    _bounded_box(box, lo, hi)
    return box


def ranged(label: str, key: str, unit: str = "") -> str:
    """A field's label with its range: "Draft depth (1–16 tokens)"."""
    lo, hi = RANGES[key]
    return f"{label} ({_num(lo)}–{_num(hi)}{' ' + unit if unit else ''})"


def _note(text: str) -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


# which sampling values a reply uses: said in both dialogs
DEFAULTS_NOTE = ("These are the defaults. A conversation's own values (“Prompt & sampling…” "
                 "beside its title) win over them; fields it leaves at these defaults follow "
                 "any change here.")
CONVERSATION_NOTE = ("For this conversation only: what you change here wins over the defaults "
                     "in Settings; fields left at those defaults follow them when Settings "
                     "change.")


class SamplingForm(QWidget):
    """Temperature, top-k, top-p, min-p, repeat penalty, max tokens and seed, with a one-click
    Greedy."""

    def __init__(self, values: dict, parent=None):
        super().__init__(parent)
        self.fields = {
            "temperature": _dspin(*RANGES["temperature"], 0.05, values["temperature"]),
            "top_k": _spin(*RANGES["top_k"], values["top_k"], "off"),
            "top_p": _dspin(*RANGES["top_p"], 0.01, values["top_p"]),
            "min_p": _dspin(*RANGES["min_p"], 0.01, values["min_p"]),
            "repeat_penalty": _dspin(*RANGES["repeat_penalty"], 0.05, values["repeat_penalty"]),
            "repeat_last_n": _spin(*RANGES["repeat_last_n"], values["repeat_last_n"]),
            "max_tokens": _spin(*RANGES["max_tokens"], values["max_tokens"]),
            "seed": _spin(*RANGES["seed"], values["seed"], "random"),
        }
        self.fields["temperature"].setSpecialValueText("0 (greedy)")
        self.fields["repeat_penalty"].setSpecialValueText("1 (off)")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        labels = {"temperature": "Temperature", "top_k": "Top-k", "top_p": "Top-p",
                  "min_p": "Min-p", "repeat_penalty": "Repeat penalty",
                  "repeat_last_n": "…over the last tokens", "max_tokens": "Max reply tokens",
                  "seed": "Seed"}
        for key in SAMPLING_KEYS:
            label = ranged(labels[key], key) if key in ("max_tokens", "repeat_last_n") \
                else labels[key]
            form.addRow(label, self.fields[key])
        greedy = QPushButton("Greedy")
        greedy.setToolTip("Always take the most likely token (temperature 0)")
        greedy.clicked.connect(lambda: self.fields["temperature"].setValue(0.0))
        form.addRow("", greedy)

    def values(self) -> dict:
        return {k: w.value() for k, w in self.fields.items()}


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def context_hint(info: dict | None) -> str:
    """Under the context size: the loaded model's longest context, which caps a bigger one
    (the model loads with its own limit: 99999 asked gave 8192)."""
    most = (info or {}).get("n_ctx_train") or 0
    if not most:
        return ""
    return (f"{info['model']} supports at most {most} tokens: a larger size loads as {most}.")


class SettingsDialog(QDialog):
    """``client``: the engine (app/engine/worker.py), for "Measure this machine again"."""

    def __init__(self, settings: AppSettings, parent=None, model_info: dict | None = None,
                 client=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        # the choice made for this computer, as llama.cpp makes it (aded_engine/cpu_cores.py)
        self.threads = _spin(*RANGES["n_threads"], settings.n_threads,
                             f"automatic: {default_threads()} (the physical cores)")
        self.gpu_layers = _spin(*RANGES["n_gpu_layers"], settings.n_gpu_layers)
        self.n_ctx = _spin(*RANGES["n_ctx"], settings.n_ctx)
        self.n_ctx.setSingleStep(1024)
        self.aded = QCheckBox("Decode with ADED (draft trees verified in one batch)")
        self.aded.setChecked(settings.aded)
        self.simulations = _spin(*RANGES["draft_simulations"], settings.draft_simulations)
        self.simulations.setToolTip("Most MCTS simulations per step (fewer are used when the "
                                    "cost model keeps only small trees). "
                                    + self.simulations.toolTip())
        self.depth = _spin(*RANGES["draft_depth"], settings.draft_depth)
        self.adaptation = QComboBox()
        for key, label in ADAPTATIONS.items():
            self.adaptation.addItem(label, key)
        self.adaptation.setCurrentIndex(max(0, self.adaptation.findData(settings.table_adaptation)))
        self.reopen = QCheckBox("Reopen the last model and conversation at start")
        self.reopen.setChecked(settings.reopen_last)
        self.context_note = _note(context_hint(model_info))
        self.context_note.setVisible(bool(self.context_note.text()))
        form = QFormLayout()
        form.addRow(ranged("CPU threads", "n_threads"), self.threads)
        form.addRow(ranged("GPU layers", "n_gpu_layers"), self.gpu_layers)
        form.addRow(ranged("Context size", "n_ctx", "tokens"), self.n_ctx)
        form.addRow("", self.context_note)
        form.addRow("", self.aded)
        form.addRow(ranged("Draft search simulations", "draft_simulations"), self.simulations)
        form.addRow(ranged("Draft depth", "draft_depth", "tokens"), self.depth)
        form.addRow("Table adaptation", self.adaptation)
        form.addRow("", self.reopen)
        self.measure = MeasurePanel(client)
        form.addRow("Speed of this machine", self.measure)
        self.sampling = SamplingForm(settings.sampling_defaults())
        self.sampling_note = _note(DEFAULTS_NOTE)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.sampling_note)
        box.addWidget(self.sampling)
        box.addWidget(_buttons(self))

    def apply_to(self, settings: AppSettings) -> None:
        """Write the dialog into ``settings``."""
        settings.n_threads = self.threads.value()
        settings.n_gpu_layers = self.gpu_layers.value()
        settings.n_ctx = self.n_ctx.value()
        settings.aded = self.aded.isChecked()
        settings.draft_simulations = self.simulations.value()
        settings.draft_depth = self.depth.value()
        settings.table_adaptation = self.adaptation.currentData()
        settings.reopen_last = self.reopen.isChecked()
        for key, value in self.sampling.values().items():
            setattr(settings, key, value)


class ConversationDialog(QDialog):
    def __init__(self, system_prompt: str, sampling: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Conversation settings")
        self.prompt = QPlainTextEdit(system_prompt)
        self.prompt.setPlaceholderText("System prompt (optional)")
        self.sampling = SamplingForm(sampling)
        self.sampling_note = _note(CONVERSATION_NOTE)
        box = QVBoxLayout(self)
        box.addWidget(self.prompt)
        box.addWidget(self.sampling_note)
        box.addWidget(self.sampling)
        box.addWidget(_buttons(self))


# room beside a dialog's title for the window manager's buttons and icon
TITLE_MARGIN_PX = 160


def text_dialog(parent, title: str, label: str, text: str) -> QInputDialog:
    """A one-line question wide enough that the window manager shows its whole title (a
    plain QInputDialog is so narrow that "Rename conversation" read "Renam… ation")."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    dialog.setMinimumWidth(max(420, dialog.fontMetrics().horizontalAdvance(title)
                               + TITLE_MARGIN_PX))
    return dialog


def ask_text(parent, title: str, label: str, text: str) -> str | None:
    """Ask for one line of text; None when cancelled."""
    dialog = text_dialog(parent, title, label, text)
    return dialog.textValue() if dialog.exec() else None


def confirm(parent, title: str, question: str) -> bool:
    """Ask Yes or No (No is the default); True for Yes."""
    answer = QMessageBox.question(parent, title, question, QMessageBox.Yes | QMessageBox.No,
                                  QMessageBox.No)
    return answer == QMessageBox.Yes


def show_error(parent, title: str, message: str) -> QMessageBox:
    """A non-blocking error dialog (the app keeps running behind it)."""
    box = QMessageBox(QMessageBox.Critical, title, message, QMessageBox.Ok, parent)
    box.setAttribute(Qt.WA_DeleteOnClose, False)
    box.open()
    return box
