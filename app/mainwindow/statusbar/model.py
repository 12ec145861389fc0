"""The loaded model: "model.gguf · CPU · 4 threads · 0 GPU layers · context 4096", its
description and chat template in the tooltip, and " · safe mode" when the first-use probe
had to pick a safe configuration (aded_engine/probe.py; the note says why)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

SAFE_MODE_MESSAGE_MS = 30_000  # long enough to read why


def context_capped(info: dict) -> str:
    """What the loaded context says where it is smaller than Settings asked for ("" where
    it is not): 99999 asked, the model loaded at 8192 and nothing said so."""
    asked, got, most = info.get("n_ctx_asked", 0), info["n_ctx"], info.get("n_ctx_train", 0)
    if not asked or got >= asked:
        return ""
    why = "the most this model supports" if most and got >= most else "the most it could get"
    return f"context {got}: {why} ({asked} asked in Settings)"


def threads_text(n: int) -> str:
    return f"{n} thread" if n == 1 else f"{n} threads"


def loaded_message(info: dict) -> tuple[str, int]:
    """The status message for a model that just loaded, and how long it shows (ms)."""
    note = f" in safe mode: {info['load_note']}" if info.get("load_note") else ""
    if context_capped(info):
        note += " · " + context_capped(info)
    if info.get("table_problems"):
        note += " (learned table reset: " + "; ".join(info["table_problems"]) + ")"
    longer = info.get("load_note") or context_capped(info) or info.get("table_problems")
    return f"Loaded {info['model']}{note}", SAFE_MODE_MESSAGE_MS if longer else 8000


class ModelLabel(QLabel):
    def __init__(self, parent=None):
        super().__init__("No model", parent)
        self.setContentsMargins(8, 0, 8, 0)  # colour from the palette: light or dark

    def on_loaded(self, info: dict) -> None:
        note = info.get("load_note")
        self.setText(f"{info['model']} · {info['device']} · {threads_text(info['threads'])} · "
                     f"{info['gpu_layers']} GPU layers · context {info['n_ctx']}"
                     + (" · safe mode" if note else ""))
        capped = context_capped(info)
        aside = "".join(f"\nset aside at load: {p}" for p in info.get("table_problems", ()))
        self.setToolTip(f"{info['description']}\nchat template: {info['chat_template']}"
                        + (f"\n{note}" if note else "") + (f"\n{capped}" if capped else "")
                        + aside)  # after the message is gone
