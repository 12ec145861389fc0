"""The open conversation's system prompt and sampling, from the header's Greedy switch and
Prompt & sampling…: part of MainWindow (a mixin: it reads the window's store, settings and
conversation). Before the first message there is no conversation: the values wait in
``pending_prompt`` / ``pending_sampling`` for the one that message makes."""

from __future__ import annotations

from ..settings.dialogs import ConversationDialog
from ..storage.store import Conversation


class ConversationSampling:
    def sampling_values(self, conv: Conversation | None) -> dict:
        return self.settings.sampling_values(conv.sampling if conv else self.pending_sampling)

    def on_greedy_toggled(self, on: bool) -> None:
        conv = self.current()
        if conv is None:  # for the conversation the first message makes
            self.pending_sampling = self.settings.greedy(self.pending_sampling, on)
            return
        self.store.set_sampling(conv.id, self.settings.greedy(conv.sampling, on))

    def edit_conversation_settings(self) -> None:
        conv = self.current()
        prompt = conv.system_prompt if conv else self.pending_prompt
        dialog = ConversationDialog(prompt, self.sampling_values(conv), self)
        if dialog.exec():
            # only the values that differ from Settings' defaults: the others follow them
            prompt = dialog.prompt.toPlainText().strip()
            sampling = self.settings.overrides(dialog.sampling.values())
            if conv is None:  # for the conversation the first message makes
                self.pending_prompt, self.pending_sampling = prompt, sampling
            else:
                self.store.set_system_prompt(conv.id, prompt)
                self.store.set_sampling(conv.id, sampling)
            self.show_conversation()
