"""A small Markdown → HTML converter for the transcript (pure functions, no Qt).

Qt's rich text understands a subset of HTML 4; this emits only that subset. It covers what
chat replies use: fenced code blocks (set apart, with a copy link), headings, bullet and
numbered lists, block quotes, paragraphs, **bold**, *italic*, `inline code` and links.
An unclosed fence (a reply still streaming) renders as a code block up to the end.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

CODE_BG = "#eceff3"
CODE_BORDER = "#d0d4da"
MONO = "'DejaVu Sans Mono','Menlo','Consolas',monospace"

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")


@dataclass
class CodeBlock:
    language: str
    code: str


def split_blocks(text: str) -> list[tuple[str, object]]:
    """Cut Markdown into blocks: ("code", CodeBlock), ("heading", (level, text)),
    ("ul"/"ol", [items]), ("quote", text), ("para", text)."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[tuple[str, object]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("para", "\n".join(para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            mark, lang = fence.group(1), fence.group(2)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(mark[:3]):
                body.append(lines[i])
                i += 1
            blocks.append(("code", CodeBlock(lang, "\n".join(body))))
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            blocks.append(("heading", (len(heading.group(1)), heading.group(2))))
        elif _BULLET.match(line) or _NUMBERED.match(line):
            flush()
            kind = "ul" if _BULLET.match(line) else "ol"
            pattern = _BULLET if kind == "ul" else _NUMBERED
            items = []
            while i < len(lines) and pattern.match(lines[i]):
                items.append(pattern.match(lines[i]).groups()[-1])
                i += 1
            blocks.append((kind, items))
            continue
        elif _QUOTE.match(line):
            flush()
            quoted = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                quoted.append(_QUOTE.match(lines[i]).group(1))
                i += 1
            blocks.append(("quote", "\n".join(quoted)))
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line)
        i += 1
    flush()
    return blocks


def code_blocks(text: str) -> list[CodeBlock]:
    return [b for kind, b in split_blocks(text) if kind == "code"]


_INLINE = re.compile(r"(`[^`\n]+`)|(\*\*[^*\n]+\*\*|__[^_\n]+__)|(\*[^*\s][^*\n]*\*)"
                     r"|(\[[^\]\n]+\]\((?:https?|mailto):[^)\s]+\))")


def inline(text: str) -> str:
    """Escape text and apply inline Markdown (code spans first, so their insides stay raw)."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        token = m.group(0)
        if m.group(1):
            out.append(f"<code style=\"font-family:{MONO}; background-color:{CODE_BG};\">"
                       f"&nbsp;{html.escape(token[1:-1])}&nbsp;</code>")
        elif m.group(2):
            out.append(f"<b>{inline(token[2:-2])}</b>")
        elif m.group(3):
            out.append(f"<i>{inline(token[1:-1])}</i>")
        else:
            label, url = token[1:].split("](", 1)
            out.append(f"<a href=\"{html.escape(url[:-1], quote=True)}\">{html.escape(label)}</a>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def code_html(block: CodeBlock, copy_href: str | None) -> str:
    code = html.escape(block.code) or "&nbsp;"
    label = html.escape(block.language or "code")
    copy = (f"<a href=\"{copy_href}\" style=\"text-decoration:none;\">Copy</a>"
            if copy_href else "")
    return (f"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" "
            f"style=\"background-color:{CODE_BG}; border:1px solid {CODE_BORDER}; "
            f"border-collapse:collapse; margin-top:4px; margin-bottom:6px;\">"
            f"<tr><td style=\"color:#6b7280; font-size:small; border:none;\">{label}</td>"
            f"<td align=\"right\" style=\"font-size:small; border:none;\">{copy}</td></tr>"
            f"<tr><td colspan=\"2\" style=\"border:none;\">"
            f"<pre style=\"font-family:{MONO}; margin:0;\">{code}</pre></td></tr></table>")


def to_html(text: str, copy_prefix: str | None = None) -> str:
    """Markdown → HTML. ``copy_prefix``: code block n gets a "Copy" link to f"{prefix}{n}"."""
    parts = []
    n_code = 0
    for kind, value in split_blocks(text):
        if kind == "code":
            href = f"{copy_prefix}{n_code}" if copy_prefix is not None else None
            parts.append(code_html(value, href))
            n_code += 1
        elif kind == "heading":
            level, title = value
            size = {1: "x-large", 2: "large"}.get(level, "medium")
            parts.append(f"<p style=\"font-size:{size}; font-weight:600; margin-top:6px;\">"
                         f"{inline(title)}</p>")
        elif kind in ("ul", "ol"):
            items = "".join(f"<li>{inline(item)}</li>" for item in value)
            parts.append(f"<{kind} style=\"margin-top:2px; margin-bottom:2px;\">{items}</{kind}>")
        elif kind == "quote":
            parts.append(f"<p style=\"color:#4b5563; margin-left:16px;\"><i>{inline(value)}</i></p>")
        else:
            parts.append(f"<p style=\"margin-top:2px; margin-bottom:6px;\">{inline(value)}</p>")
    return "".join(parts)
