"""Markdown → HTML for the transcript (pure functions, no Qt).

Parsing is markdown-it-py's (CommonMark, plus GitHub's tables and strikethrough); raw HTML
in a reply is shown as text, never interpreted. Code is coloured by Pygments with inline
styles, because Qt's rich text knows no style sheets classes. What is rendered here is
limited to the HTML 4 subset that Qt's rich text understands: code blocks become a boxed
table with the language and a Copy link, headings a sized paragraph, tables get borders.
A fence that is not closed yet (a reply still streaming) renders as code up to the end.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .theme import LIGHT, Theme

MONO = "'DejaVu Sans Mono','Menlo','Consolas',monospace"
HEADING_SIZES = {1: "x-large", 2: "large"}



@dataclass
class CodeBlock:
    language: str
    code: str


def _block(token) -> CodeBlock:
    language = token.info.split()[0] if token.info.strip() else ""
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
    """The code as HTML, coloured when its language is known (escaped either way)."""
    lexer = _lexer(block.language.lower()) if block.language else None
    if lexer is None:
        return html.escape(block.code)
    return highlight(block.code, lexer, _formatter(theme.code_style)).removesuffix("\n")


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
            f"<pre style=\"font-family:{MONO}; margin:0;\">{code}</pre></td></tr></table>")


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


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    rules = md.renderer.rules  # called as rule(tokens, idx, options, env)
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


def to_html(text: str, copy_prefix: str | None = None, theme: Theme = LIGHT) -> str:
    """Markdown → HTML. ``copy_prefix``: code block n gets a "Copy" link to f"{prefix}{n}"."""
    return _MD.render(text, {"copy_prefix": copy_prefix, "theme": theme})
