r"""Markdown → HTML for the transcript (pure functions, no Qt).

Parsing is markdown-it-py's (CommonMark, plus GitHub's tables and strikethrough); raw HTML
in a reply is shown as text, never interpreted. Code is coloured by Pygments with inline
styles, because Qt's rich text knows no style sheets classes. What is rendered here is
limited to the HTML 4 subset that Qt's rich text understands: code blocks become a boxed
table with the language and a Copy link (long lines wrap: PRE_WRAP), headings a sized
paragraph, tables get borders.
A fence that is not closed yet (a reply still streaming) renders as code up to the end.

Math ($...$, $$...$$, \(...\), \[...\]; mdit-py-plugins' dollarmath and texmath parse it) is
kept as written, backslashes and all, and shown as a math-coloured code span or block: the
usual escapes of Markdown would eat ``\,`` and ``\{``. It is not typeset: Qt's rich text
shows neither MathML nor TeX, and the one offline renderer that would do (matplotlib's
mathtext, to images) is tens of megabytes in the bundle for a subset of TeX.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..mainwindow.theme import LIGHT, Theme

MONO = "'DejaVu Sans Mono','Menlo','Consolas',monospace"
HEADING_SIZES = {1: "x-large", 2: "large"}
# Code keeps its line breaks and indentation but wraps at the transcript's width: Qt's rich
# text has no horizontal scrolling per block, and one long line in a plain <pre> would widen
# the whole transcript (every message's start scrolled out of view).
PRE_WRAP = "white-space:pre-wrap;"
# Where the "Mark drafted tokens" view (drafted.py) puts a drafted span's start and end: two
# private-use characters, which Markdown reads as letters and html.escape leaves alone. Code
# is coloured without them and they are put back at the same characters (a lexer would make
# them error tokens).
DRAFT_OPEN, DRAFT_CLOSE = "\ue000", "\ue001"
_MARKS = re.compile(f"[{DRAFT_OPEN}{DRAFT_CLOSE}]")
_TAG_ENTITY_OR_CHAR = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)


@dataclass
class CodeBlock:
    language: str
    code: str


def _block(token) -> CodeBlock:
    info = _MARKS.sub("", token.info)  # drafted.py keeps marks off fence lines; belt and braces
    language = info.split()[0] if info.strip() else ""
    return CodeBlock(language, token.content.removesuffix("\n"))


@lru_cache(maxsize=64)
def _lexer(language: str):
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=4)
def _formatter(style: str) -> HtmlFormatter:
    return HtmlFormatter(nowrap=True, noclasses=True, style=style)


def highlighted(block: CodeBlock, theme: Theme = LIGHT) -> str:
    """The code as HTML, coloured when its language is known (escaped either way); draft
    marks in the code come back at the same characters."""
    if _MARKS.search(block.code):
        return _with_marks(block, theme)
    lexer = _lexer(block.language.lower()) if block.language else None
    if lexer is None:
        return html.escape(block.code)
    return highlight(block.code, lexer, _formatter(theme.code_style)).removesuffix("\n")


def _with_marks(block: CodeBlock, theme: Theme) -> str:
    """``highlighted`` of the code without its marks, the marks put back: each before the
    character it stood before (a tag or an entity ``&lt;`` is skipped whole)."""
    marks: list[tuple[int, str]] = []  # (character of the bare code, mark)
    bare: list[str] = []
    for piece in re.split(f"({_MARKS.pattern})", block.code):
        if _MARKS.fullmatch(piece):
            marks.append((sum(map(len, bare)), piece))
        else:
            bare.append(piece)
    coloured = highlighted(CodeBlock(block.language, "".join(bare)), theme)
    out, seen = [], 0  # seen: characters of the bare code passed
    for m in _TAG_ENTITY_OR_CHAR.finditer(coloured):
        if m.group().startswith("<"):
            out.append(m.group())
            continue
        while marks and marks[0][0] <= seen:
            out.append(marks.pop(0)[1])
        out.append(m.group())
        seen += 1
    out.extend(mark for _, mark in marks)
    return "".join(out)


def code_html(block: CodeBlock, copy_href: str | None, theme: Theme = LIGHT) -> str:
    code = highlighted(block, theme) or "&nbsp;"
    label = html.escape(block.language or "code")
    copy = (f"<a href=\"{copy_href}\" style=\"text-decoration:none;\">Copy</a>"
            if copy_href else "")
    return (f"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" "
            f"style=\"background-color:{theme.code_bg}; border:1px solid {theme.code_border}; "
            f"border-collapse:collapse; margin-top:4px; margin-bottom:6px;\">"
            f"<tr><td style=\"color:{theme.muted}; font-size:small; border:none;\">{label}</td>"
            f"<td align=\"right\" style=\"font-size:small; border:none;\">{copy}</td></tr>"
            f"<tr><td colspan=\"2\" style=\"border:none;\">"
            f"<pre style=\"font-family:{MONO}; margin:0; {PRE_WRAP}\">{code}</pre>"
            f"</td></tr></table>")


def _code_rule(tokens, idx, _options, env) -> str:
    """Code blocks are numbered in document order; block n copies through f"{prefix}{n}"."""
    n = env.setdefault("n_code", 0)
    env["n_code"] = n + 1
    prefix = env.get("copy_prefix")
    return code_html(_block(tokens[idx]), None if prefix is None else f"{prefix}{n}",
                     env["theme"])


def _heading_open(tokens, idx, _options, _env) -> str:
    size = HEADING_SIZES.get(int(tokens[idx].tag[1]), "medium")
    return f"<p style=\"font-size:{size}; font-weight:600; margin-top:6px;\">"


def _math_inline(tokens, idx, _options, env) -> str:
    t = env["theme"]
    return (f"<code style=\"font-family:{MONO}; color:{t.math}; background-color:{t.code_bg};\">"
            f"&nbsp;{html.escape(tokens[idx].content)}&nbsp;</code>")


def _math_block(tokens, idx, _options, env) -> str:
    t = env["theme"]
    return (f"<pre style=\"font-family:{MONO}; color:{t.math}; background-color:{t.code_bg}; "
            f"margin-left:16px; {PRE_WRAP}\">{html.escape(tokens[idx].content.strip())}</pre>\n")


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # "$5 and $10" stays text: no digit next to a closing $, no space inside the $s
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.use(texmath_plugin, delimiters="brackets")  # \(...\) and \[...\]
    rules = md.renderer.rules  # called as rule(tokens, idx, options, env)
    for name in ("math_inline", "math_inline_double"):
        rules[name] = _math_inline
    for name in ("math_block", "math_block_label", "math_block_eqno"):
        rules[name] = _math_block
    rules["fence"] = rules["code_block"] = _code_rule
    rules["heading_open"] = _heading_open
    rules["heading_close"] = lambda *_: "</p>\n"
    rules["code_inline"] = lambda tokens, idx, _options, env: (
        f"<code style=\"font-family:{MONO}; background-color:{env['theme'].code_bg};\">"
        f"&nbsp;{html.escape(tokens[idx].content)}&nbsp;</code>")
    rules["table_open"] = lambda _tokens, _idx, _options, env: (
        f"<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\" style=\"border-collapse:"
        f"collapse; border-color:{env['theme'].code_border}; margin-top:4px; "
        f"margin-bottom:6px;\">\n")
    return md


_MD = _make_parser()


def code_blocks(text: str) -> list[CodeBlock]:
    """The code blocks of a message, in the order ``to_html`` numbers them."""
    return [_block(t) for t in _MD.parse(text) if t.type in ("fence", "code_block")]


def fenced_code_lines(text: str) -> set[int]:
    """The lines (numbered from 0) that are code inside a fenced block, its fences left out."""
    lines: set[int] = set()
    for t in _MD.parse(text):
        if t.type == "fence" and t.map:
            closed = t.map[1] - t.map[0] >= 2 and text.split("\n")[t.map[1] - 1].strip() \
                .startswith(t.markup)
            lines.update(range(t.map[0] + 1, t.map[1] - 1 if closed else t.map[1]))
    return lines


def to_html(text: str, copy_prefix: str | None = None, theme: Theme = LIGHT) -> str:
    """Markdown → HTML. ``copy_prefix``: code block n gets a "Copy" link to f"{prefix}{n}"."""
    return _MD.render(text, {"copy_prefix": copy_prefix, "theme": theme})
