import html

import pytest

from app.conversation.markdown import code_blocks, to_html
from app.mainwindow.theme import LIGHT


def test_fenced_code_is_found_with_its_language():
    text = "Here:\n\n```python\nprint('<hi>')\n```\nafter\n\n    indented = True"
    assert [(b.language, b.code) for b in code_blocks(text)] == [
        ("python", "print('<hi>')"), ("", "indented = True")]


def test_unclosed_fence_while_streaming_still_renders_as_code():
    (block,) = code_blocks("```\nx = 1\ny = 2")
    assert block.code == "x = 1\ny = 2"
    assert "<pre" in to_html("```\nx = 1\ny = 2")


def test_html_escapes_text_and_code_and_links_copy():
    out = to_html("a <b>tag</b> and `x<y`\n\n```\n<script>\n```", copy_prefix="act:copycode:3:")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "&lt;b&gt;tag&lt;/b&gt;" in out
    assert "x&lt;y" in out
    assert 'href="act:copycode:3:0"' in out


def test_code_is_highlighted_by_language():
    out = to_html("```python\ndef f():\n    return '<a>'\n```")
    assert "<span style=" in out and ">def</span>" in out
    assert "&lt;a&gt;" in out and "<a>" not in out
    plain = to_html("```nosuchlanguage\ndef f(): pass\n```")
    assert "<span" not in plain and "def f(): pass" in plain


def test_lists_headings_tables_and_emphasis():
    out = to_html("# Title\n\n- one\n- **two**\n\n1. first\n2. *second*\n\n"
                  "| name | size |\n|---|---:|\n| a | 1 |\n\n~~old~~")
    assert "<ul>" in out and "<ol>" in out and "<strong>two</strong>" in out
    assert "<em>second</em>" in out and "<s>old</s>" in out
    assert "Title" in out and "# Title" not in out
    assert '<table border="1"' in out and "<th>name</th>" in out and ">1</td>" in out


@pytest.mark.parametrize("text, source", [
    (r"the area $\int x^2\,dx$ here", r"\int x^2\,dx"),
    ("$$\n\\frac{a}{b} \\{x\\}\n$$", r"\frac{a}{b} \{x\}"),
    (r"inline \(\alpha\,\beta\) too", r"\alpha\,\beta"),
    ("\\[\n\\sum_{i=1}^n i\n\\]", r"\sum_{i=1}^n i"),
])
def test_math_keeps_its_source_backslashes_and_all(text, source):
    out = to_html(text)
    assert html.escape(source) in out
    assert LIGHT.math in out  # shown as math, not as a paragraph of escaped text


def test_dollar_amounts_are_not_math():
    out = to_html("It costs $5 and $10 today.")
    assert "$5 and $10" in out and LIGHT.math not in out
