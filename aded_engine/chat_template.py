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
import re
import string
import sys
import time
import types
from dataclasses import dataclass
from datetime import datetime

import jinja2
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.runtime import Namespace, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

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


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


class _Budget:
    """One render's limits. Time: a line tracer on the template's own code (Jinja compiles a
    template to Python whose filename is ``<template>``) checks the clock on every line it
    runs, so even an empty nested loop is stopped. Size: the output is counted as it streams,
    and every operation that can build a large value in one step is refused before it
    allocates, from the size its result would have: ``*``, ``**``, ``+``, ``~``, ``%``,
    ``str.format``, the ``format``, ``replace``, ``join`` and ``indent`` filters and methods,
    widths (``'x'.ljust(n)``, ``'{:>n}'``, ``'%ns'``), the text of a structure printed whole,
    and the joining of a block's output (``{% set %}``, macros)."""

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

    def weight(self, value) -> int:
        """About how many characters ``str(value)`` has (within a small factor: a string
        inside a structure is counted without its quotes' escapes), counted without building
        it and given up on once past the limit (every item counts at least 2, so that is
        soon), so a structure that shares one big part many times is refused quickly."""
        total, stack = 0, [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                total += len(v) + 2
            elif isinstance(v, (int, float, bool)) or v is None:
                total += 24
            elif isinstance(v, (list, tuple, dict, set, frozenset, Namespace)):
                if isinstance(v, Namespace):
                    v = v._Namespace__attrs  # its repr shows its attributes
                items = [x for kv in v.items() for x in kv] if isinstance(v, dict) else v
                total += 2 + 2 * len(items)
                if total <= self.max_chars:
                    stack.extend(items)
            else:
                total += 64  # Undefined, a macro, a loop: a short text
            if total > self.max_chars:
                break
        return total

    def check_value(self, value) -> None:
        """Refuse to print ``value`` if its text would be beyond the limit."""
        if not isinstance(value, str):
            self.check_size(self.weight(value))

    def check_join(self, parts, separator: str = "") -> None:
        total = len(separator) * max(len(parts) - 1, 0)
        for p in parts:
            total += len(p) if isinstance(p, str) else self.weight(p)
            self.check_size(total)

    def check_replace(self, s, old, new, count=-1) -> None:
        if isinstance(s, str) and isinstance(old, str) and isinstance(new, str):
            n = s.count(old)  # '' is found len(s) + 1 times
            if isinstance(count, int) and count >= 0:
                n = min(n, count)
            self.check_size(len(s) + n * (len(new) - len(old)))

    def check_percent(self, fmt, args) -> None:
        """``fmt % args``: each field's width and precision, and the values' text."""
        if not isinstance(fmt, str):
            return
        total = len(fmt)
        for spec in _PERCENT_SPEC.finditer(fmt):
            for n in spec.groups():
                if n == "*":
                    self.check_arguments(args if isinstance(args, (tuple, list)) else [args])
                elif n:
                    self.check_size(len(n) > 9 and self.max_chars + 1 or int(n))
                    total += int(n)
        self.check_size(total + self.weight(args))

    def check_format_spec(self, spec: str) -> None:
        """A ``str.format`` field's spec: no width or precision beyond the limit."""
        for n in _DIGITS.findall(spec):
            self.check_size(self.max_chars + 1 if len(n) > 9 else int(n))

    def check_indent(self, s, width=4, *rest) -> None:
        if isinstance(s, str):
            per_line = width if isinstance(width, int) else len(str(width))
            self.check_size(len(s) + (s.count("\n") + 1) * abs(per_line))


class _LimitedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox, within the render's budget: each field's spec is
    checked before it is applied, and the fields' text is counted before the result is
    joined (``'{0}{0}{0}'.format(x)`` repeats ``x``)."""

    def __init__(self, env):
        super().__init__(env)
        self._total = 0

    def vformat(self, format_string, args, kwargs):
        self._env.budget.check_size(len(format_string))
        self._total = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value, format_spec):
        budget = self._env.budget
        budget.check_format_spec(format_spec)
        budget.check_value(value)
        text = super().format_field(value, format_spec)
        self._total += len(text)
        budget.check_size(self._total)
        return text


class _LimitedCodeGenerator(CodeGenerator):
    """Jinja's code, except that ``a ~ b`` joins through the environment (and its budget)
    instead of straight through ``str_join``."""

    @optimizeconst
    def visit_Concat(self, node, frame) -> None:
        self.write("environment.concat_values((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _value_args(args):
    """A filter's arguments without the context Jinja passes first to some filters."""
    return [a for a in args if not isinstance(a, (jinja2.runtime.Context, jinja2.nodes.EvalContext,
                                                  jinja2.Environment))]


class _LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the current render's ``_Budget`` applied to calls, filters,
    the operators that can allocate without bound, ``~``, printed values and the joining of
    captured output."""

    code_generator_class = _LimitedCodeGenerator
    # also keeps Jinja from folding them at parse, outside any budget
    intercepted_binops = frozenset({"*", "**", "+", "%", "/", "//"})
    budget: _Budget | None = None  # set for the duration of a render

    # what a filter or str method would build, checked from its arguments before it runs
    _FILTER_CHECKS = {"replace": "check_replace", "indent": "check_indent"}
    # filters that turn a whole structure into text: its text is measured first
    _PRINTING = frozenset({"tojson", "string", "pprint", "urlencode", "xmlattr", "escape", "e",
                           "forceescape", "safe", "trim", "striptags", "wordwrap", "truncate",
                           "center", "upper", "lower", "title", "capitalize", "indent"})

    def __init__(self, **options):
        super().__init__(finalize=self._finalize, **options)
        self.filters = {name: self._limited(name, f) for name, f in self.filters.items()}

    def _limited(self, name, f):
        @functools.wraps(f)  # keeps Jinja's pass_context/pass_environment marks
        def limited(*args, **kwargs):
            budget = self.budget
            budget.check_arguments([*args, *kwargs.values()])
            values = _value_args(args)
            if name in self._PRINTING and values:
                budget.check_value(values[0])
            if name in self._FILTER_CHECKS:
                getattr(budget, self._FILTER_CHECKS[name])(*values, *kwargs.values())
            elif name == "format" and values:
                budget.check_percent(values[0], tuple(values[1:]) or kwargs)
            elif name == "join" and values:
                items = list(values[0])  # what the filter would read anyway
                attribute = values[2] if len(values) > 2 else kwargs.get("attribute")
                measured = items if attribute is None else list(
                    map(jinja2.filters.make_attrgetter(self, attribute), items))
                budget.check_join(measured, str(values[1]) if len(values) > 1
                                  else str(kwargs.get("d", "")))
                args = (*args[:len(args) - len(values)], items, *values[1:])
            elif name == "sum" and values:
                items = list(values[0])
                budget.check_size(sum(len(x) for x in items if isinstance(x, (list, tuple))))
                args = (*args[:len(args) - len(values)], items, *values[1:])
            result = f(*args, **kwargs)
            if isinstance(result, str):
                budget.check_size(len(result))  # e.g. tojson, wordwrap: a few times the input
            return result
        return limited

    def _finalize(self, value):
        """Every ``{{ value }}``, before Jinja turns it into text."""
        if self.budget is not None:  # None: Jinja folding a constant at parse
            self.budget.check_value(value)
        return value

    def concat(self, parts):
        """The text of a captured block (``{% set x %}``, a macro, ``{% filter %}``)."""
        parts = list(parts)
        if self.budget is not None:
            self.budget.check_join(parts)
        return "".join(parts)

    def concat_values(self, parts):
        """``a ~ b ~ c``."""
        if self.budget is not None:
            self.budget.check_join(parts)
        return str_join(parts)

    def wrap_str_format(self, value):
        """``str.format`` and ``format_map``, through ``_LimitedFormatter``."""
        if (not isinstance(value, (types.MethodType, types.BuiltinMethodType))
                or value.__name__ not in ("format", "format_map")
                or type(value.__self__) is not str):
            return super().wrap_str_format(value)  # Markup and the rest: Jinja's own
        fmt, is_map = value.__self__, value.__name__ == "format_map"

        def wrapper(*args, **kwargs):
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return _LimitedFormatter(self).vformat(fmt, args, kwargs)
        return functools.update_wrapper(wrapper, value)

    def call(self, __context, __obj, *args, **kwargs):
        budget = self.budget
        budget.check_arguments([*args, *kwargs.values()])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and isinstance(__obj, types.BuiltinMethodType):
            name = __obj.__name__
            if name == "replace":
                budget.check_replace(owner, *args, *kwargs.values())
            elif name == "join" and args:
                items = list(args[0])
                budget.check_join(items, owner)
                args = (items, *args[1:])
            elif name == "expandtabs":
                size = (args or list(kwargs.values()) or [8])[0]
                if isinstance(size, int):
                    budget.check_size(len(owner) + owner.count("\t") * abs(size))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str):
            budget.check_size(len(result))
        return result

    def call_binop(self, context, operator, left, right):
        budget = self.budget
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    budget.check_size(len(seq) * n)  # a list's text is checked if printed
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                budget.check_size(left.bit_length() * right // 8)  # bytes of the result
        elif operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
                budget.check_size(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            budget.check_percent(left, right)
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
        except TemplateError:  # a limit, or the template's own raise_exception
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template failed: {exc}") from exc
        except (RecursionError, MemoryError) as exc:
            raise TemplateError(f"the model's chat template failed: {type(exc).__name__}") from exc
        except Exception as exc:  # ZeroDivisionError, OverflowError, TypeError, ...: the
            # template's own mistake, said as one (the caller shows it for this model)
            raise TemplateError(f"the model's chat template failed: {type(exc).__name__}: "
                                f"{exc}") from exc
        finally:
            sys.settrace(outer_trace)
            self._env.budget = None
        return "".join(chunks)
