"""The loaded model: "model.gguf · CPU · 4 threads · 0 GPU layers · context 4096", its
description and chat template in the tooltip, and " · safe mode" when the first-use probe
had to pick a safe configuration (aded_engine/probe.py; the note says why)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

SAFE_MODE_MESSAGE_MS = 30_000  # long enough to read why


def loaded_message(info: dict) -> tuple[str, int]:
    """The status message for a model that just loaded, and how long it shows (ms)."""
    note = f" in safe mode: {info['load_note']}" if info.get("load_note") else ""
    if info.get("table_problems"):
        note += " (learned table reset: " + "; ".join(info["table_problems"]) + ")"
    return f"Loaded {info['model']}{note}", SAFE_MODE_MESSAGE_MS if info.get("load_note") else 8000


class ModelLabel(QLabel):
    def __init__(self, parent=None):
        super().__init__("No model", parent)
        self.setContentsMargins(8, 0, 8, 0)  # colour from the palette: light or dark

    def on_loaded(self, info: dict) -> None:
        note = info.get("load_note")
        self.setText(f"{info['model']} · {info['device']} · {info['threads']} threads · "
                     f"{info['gpu_layers']} GPU layers · context {info['n_ctx']}"
                     + (" · safe mode" if note else ""))
        self.setToolTip(f"{info['description']}\nchat template: {info['chat_template']}"
                        + (f"\n{note}" if note else ""))
