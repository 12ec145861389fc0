from app.markdown import code_blocks, split_blocks, to_html


def test_fenced_code_is_its_own_block_with_language():
    text = "Here:\n\n```python\nprint('<hi>')\n```\nafter"
    kinds = [k for k, _ in split_blocks(text)]
    assert kinds == ["para", "code", "para"]
    (block,) = code_blocks(text)
    assert (block.language, block.code) == ("python", "print('<hi>')")


def test_unclosed_fence_while_streaming_still_renders_as_code():
    (block,) = code_blocks("```\nx = 1\ny = 2")
    assert block.code == "x = 1\ny = 2"


def test_html_escapes_text_and_code_and_links_copy():
    out = to_html("a <b>tag</b> and `x<y`\n\n```\n<script>\n```", copy_prefix="act:copycode:3:")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "&lt;b&gt;tag&lt;/b&gt;" in out
    assert "x&lt;y" in out
    assert 'href="act:copycode:3:0"' in out


def test_lists_headings_and_emphasis():
    out = to_html("# Title\n\n- one\n- **two**\n\n1. first\n2. *second*")
    assert "<ul" in out and "<ol" in out and "<b>two</b>" in out and "<i>second</i>" in out
    assert "Title" in out and "# Title" not in out
