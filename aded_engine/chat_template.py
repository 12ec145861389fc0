"""Turn a list of chat messages into the prompt text the model was trained on.

The template stored in the GGUF (``tokenizer.chat_template``) is rendered in Jinja's
immutable sandbox: a model file is untrusted input and its template must not reach Python
objects, and it runs within limits (``RenderLimits``): a template that loops for long or
builds a huge string is stopped with an error instead of pinning a CPU or filling memory.
Models without a template fall back to ChatML (``<|im_start|>role ... <|im_end|>``),
the format llama.cpp itself falls back to.
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = 5.0  # wall time of one render (real templates take milliseconds)
    base_chars: int = 1_000_000  # output allowed beyond ``per_input_char`` x the messages' text
    per_input_char: int = 4


class _Budget:
    """One render's limits. Time: a line tracer on the template's own code (Jinja compiles a
    template to Python whose filename is ``<template>``) checks the clock on every line it
    runs, so even an empty nested loop is stopped. Size: the output is counted as it streams,
    and single operations that could build a huge value in one step (``'x' * n``,
    ``n ** m``, a call or filter given a huge number such as ``'x'.ljust(n)``) are refused
    before they run."""

    def __init__(self, limits: RenderLimits, input_chars: int):
        self.seconds = limits.seconds
        self.deadline = time.monotonic() + limits.seconds
        self.max_chars = limits.base_chars + limits.per_input_char * input_chars

    def trace(self, frame, event, arg):
        return self._line if frame.f_code.co_filename == "<template>" else None

    def _line(self, frame, event, arg):
        if time.monotonic() > self.deadline:
            raise TemplateError(f"the model's chat template ran longer than {self.seconds:g} s")
        return self._line

    def check_size(self, chars: int) -> None:
        if chars > self.max_chars:
            raise TemplateError(f"the model's chat template builds more than {self.max_chars:,} "
                                "characters")

    def check_arguments(self, args) -> None:
        for a in args:
            if isinstance(a, int):
                self.check_size(abs(a))


class _LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the current render's ``_Budget`` applied to calls, filters
    and the binary operators that can allocate without bound."""

    intercepted_binops = frozenset({"*", "**"})  # also keeps Jinja from folding them at parse
    budget: _Budget | None = None  # set for the duration of a render

    def __init__(self, **options):
        super().__init__(**options)
        self.filters = {name: self._limited(f) for name, f in self.filters.items()}

    def _limited(self, f):
        @functools.wraps(f)  # keeps Jinja's pass_context/pass_environment marks
        def limited(*args, **kwargs):
            self.budget.check_arguments([*args, *kwargs.values()])
            return f(*args, **kwargs)
        return limited

    def call(self, __context, __obj, *args, **kwargs):
        self.budget.check_arguments([*args, *kwargs.values()])
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    self.budget.check_size(len(seq) * n)
        elif isinstance(left, int) and isinstance(right, int) and right > 0:
            self.budget.check_size(left.bit_length() * right // 8)  # bytes of the result
        return super().call_binop(context, operator, left, right)


class ChatFormatter:
    def __init__(self, template: str | None, bos_token: str = "", eos_token: str = "",
                 limits: RenderLimits = RenderLimits()):
        self.source = template or CHATML
        self.is_fallback = template is None
        self.limits = limits
        env = self._env = _LimitedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                              undefined=jinja2.ChainableUndefined)
        env.globals.update(raise_exception=_raise,
                           strftime_now=lambda fmt: datetime.now().strftime(fmt))
        try:
            self._template = env.from_string(self.source)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template does not parse: {exc}") from exc
        self.bos_token, self.eos_token = bos_token, eos_token

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        budget = self._env.budget = _Budget(self.limits, sum(len(str(m.get("content", "")))
                                                             for m in messages))
        chunks, size = [], 0
        outer_trace = sys.gettrace()  # a debugger's or coverage's, put back afterwards
        sys.settrace(budget.trace)
        try:
            for chunk in self._template.generate(
                    messages=messages, add_generation_prompt=add_generation_prompt,
                    bos_token=self.bos_token, eos_token=self.eos_token):
                size += len(chunk)
                budget.check_size(size)
                chunks.append(chunk)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template failed: {exc}") from exc
        except (RecursionError, MemoryError) as exc:
            raise TemplateError(f"the model's chat template failed: {type(exc).__name__}") from exc
        finally:
            sys.settrace(outer_trace)
            self._env.budget = None
        return "".join(chunks)
