"""How much of the context the open conversation takes: "context 312 / 4096 tokens" (its
prompt, and while a reply streams, the reply's tokens so far as well)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from aded_engine.reply_record import ReplyRecord


class ContextLabel(QLabel):
    def __init__(self, parent=None):
        super().__init__("", parent)
        self.setContentsMargins(8, 0, 8, 0)  # colour from the palette: light or dark
        self.setToolTip("Tokens of the model's context the open conversation fills: its "
                        "prompt (system prompt and messages, as the model reads them) and, "
                        "while a reply is written, that reply so far. Older turns are left "
                        "out of the prompt when it would not leave room for the reply.")
        self.used = 0  # prompt tokens of the open conversation
        self.prompt = 0  # prompt tokens of the reply being written
        self.n_ctx = 0  # the loaded model's context size (0: no model)

    def on_loaded(self, info: dict) -> None:
        self.n_ctx = info["n_ctx"]

    def on_conversation_shown(self) -> None:
        """Another conversation (or the same, changed): unknown until it is measured."""
        self.on_context_usage(0, self.n_ctx)

    def on_prompt_fitted(self, prompt_tokens: int) -> None:
        """The prompt of the reply being written, as the engine fitted it."""
        self.prompt = prompt_tokens
        self.on_context_usage(prompt_tokens, self.n_ctx)

    def on_reply_measured(self, record: ReplyRecord) -> None:
        """The reply so far: its tokens fill the context too, while it streams."""
        self.on_context_usage(self.prompt + record.tokens, self.n_ctx)

    def on_context_usage(self, used: int, n_ctx: int) -> None:
        self.used, self.n_ctx = used, n_ctx
        if n_ctx:
            self.setText(f"context {used} / {n_ctx} tokens")
