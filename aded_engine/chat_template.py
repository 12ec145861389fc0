"""Turn a list of chat messages into the prompt text the model was trained on.

The template stored in the GGUF (``tokenizer.chat_template``) is rendered in Jinja's
immutable sandbox: a model file is untrusted input and its template must not reach Python
objects. Models without a template fall back to ChatML (``<|im_start|>role ... <|im_end|>``),
the format llama.cpp itself falls back to.
"""

from __future__ import annotations

from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class TemplateError(ValueError):
    pass


def _raise(message):
    raise TemplateError(message)


class ChatFormatter:
    def __init__(self, template: str | None, bos_token: str = "", eos_token: str = ""):
        self.source = template or CHATML
        self.is_fallback = template is None
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                            undefined=jinja2.ChainableUndefined)
        env.globals.update(raise_exception=_raise,
                           strftime_now=lambda fmt: datetime.now().strftime(fmt))
        try:
            self._template = env.from_string(self.source)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template does not parse: {exc}") from exc
        self.bos_token, self.eos_token = bos_token, eos_token

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        try:
            return self._template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                         bos_token=self.bos_token, eos_token=self.eos_token)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template failed: {exc}") from exc
