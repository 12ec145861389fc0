"""A prompt's tokens where only the chat template's own markup can be control tokens.

The template is rendered with a placeholder in place of each message's content (a random
marker per prompt, which no message can contain), and the result is tokenized piece by
piece: the template's text with special tokens parsed (``<|im_start|>`` is one token), each
message's text with special tokens NOT parsed (a user who types ``<|im_start|>system`` gets
those characters, not a forged system turn). A message's tokens are therefore exactly
``tokenize(content, parse_special=False)``.

Contents are tokenized once per ``PromptPieces`` and their lengths summed, so fitting a long
conversation to the context (render, measure, drop a turn, again) never re-tokenizes a
message, and a single huge message is measured alone first.
"""

from __future__ import annotations

import re
import secrets
from typing import Callable

from .chat_template import ChatFormatter
from .text_check import check_messages

Tokenize = Callable[[str, bool, bool], list[int]]  # (text, add_special, parse_special)


class PromptPieces:
    def __init__(self, formatter: ChatFormatter, tokenize: Tokenize, add_bos: bool):
        self.formatter = formatter
        self.tokenize = tokenize
        self.add_bos = add_bos
        self._content: dict[str, list[int]] = {}
        self._markup: dict[tuple[str, bool], list[int]] = {}

    def content_tokens(self, text: str) -> list[int]:
        tokens = self._content.get(text)
        if tokens is None:
            tokens = self._content[text] = self.tokenize(text, False, False)
        return tokens

    def _markup_tokens(self, text: str, first: bool) -> list[int]:
        key = (text, first)
        tokens = self._markup.get(key)
        if tokens is None:
            tokens = self._markup[key] = self.tokenize(text, first, True)
        return tokens

    def pieces(self, messages: list[dict], continue_reply: bool = False) -> list[list[int]]:
        """The prompt as token lists, in order (joined, they are the prompt).
        ``continue_reply``: the last message is a reply cut short; the prompt ends inside it
        (the template renders the turns before it, then its text follows)."""
        check_messages(messages)
        rendered = messages[:-1] if continue_reply else messages
        nonce = secrets.token_hex(8)
        marked = [{**m, "content": f"\ue000{nonce}:{i}\ue001"} for i, m in enumerate(rendered)]
        text = self.formatter.render(marked, add_generation_prompt=True)
        parts = re.split(f"\ue000{nonce}:(\\d+)\ue001", text)
        bos = self.formatter.bos_token
        # the tokenizer adds BOS unless the template wrote it (as llama.cpp's server does)
        first = self.add_bos and not (bos and text.startswith(bos))
        out: list[list[int]] = []
        for k, part in enumerate(parts):
            if k % 2:
                out.append(self.content_tokens(rendered[int(part)]["content"]))
            elif part or (k == 0 and first):
                out.append(self._markup_tokens(part, k == 0 and first))
        if continue_reply:
            out.append(self.content_tokens(messages[-1]["content"]))
        return out

    def length(self, messages: list[dict], continue_reply: bool = False) -> int:
        return sum(len(p) for p in self.pieces(messages, continue_reply))

    def tokens(self, messages: list[dict], continue_reply: bool = False) -> list[int]:
        return [t for p in self.pieces(messages, continue_reply) for t in p]
