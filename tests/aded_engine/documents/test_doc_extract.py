"""Reading attached files: real PDFs written with pypdf, text in several encodings, HTML,
and every kind of file that is not a document ending in a DocumentError."""

import random

import pytest
from pdf_maker import make_pdf

from aded_engine.documents.extract import (DocumentError, document_from_bytes,
                                           document_from_text, read_document)

FRENCH = ("Le café de l'été coûte très cher, même à Noël. « Voilà » dit-il, déçu. "
          "Les élèves français étudient à l'école.")
RUSSIAN = "Привет, как дела? Это простой русский текст для проверки кодировки. Москва — столица."
JAPANESE = "これは日本語のテキストです。文字コードの判定を確認します。東京は日本の首都です。"


def test_pdf_text_layer_page_by_page(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf([["The audit found three problems.", "Details (below)."],
                               [], ["Page three: the fix is due in May."]]))
    doc = read_document(path)
    assert doc.kind == "pdf" and doc.name == "report.pdf" and doc.size == path.stat().st_size
    assert "The audit found three problems." in doc.text and "Details (below)." in doc.text
    third = doc.text.index("Page three")
    assert len(doc.page_starts) == 3
    assert doc.page_at(0) == 1 and doc.page_at(third) == 3


def test_pdf_with_an_empty_user_password_is_read():
    doc = document_from_bytes(make_pdf([["Anyone may read this."]], "", "owner-secret"), "open.pdf")
    assert "Anyone may read this." in doc.text


def test_encrypted_pdf_is_refused_with_a_message():
    with pytest.raises(DocumentError, match="locked.pdf is an encrypted PDF"):
        document_from_bytes(make_pdf([["secret"]], "pw"), "locked.pdf")


def test_pdf_without_text_is_refused():
    with pytest.raises(DocumentError, match="scan.pdf has no text layer"):
        document_from_bytes(make_pdf([[], []]), "scan.pdf")


def test_damaged_and_fuzzed_pdfs_raise_document_error_only():
    good = make_pdf([["Line one of a page.", "Another line."], ["Second page."]])
    rng = random.Random(13)
    outcomes = {"read": 0, "refused": 0}
    variants = [good[:n] for n in (20, len(good) // 2, len(good) - 30)]
    for _ in range(150):
        data = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        variants.append(bytes(data))
    for data in variants:
        try:
            document_from_bytes(data, "fuzz.pdf")
            outcomes["read"] += 1
        except DocumentError as exc:
            assert "fuzz.pdf" in str(exc)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0  # the truncated ones at least


def test_a_file_named_pdf_that_is_not_one():
    with pytest.raises(DocumentError, match="named .pdf but is not a PDF"):
        document_from_bytes(b"just some words", "notes.pdf")


@pytest.mark.parametrize("text,encoding", [
    (FRENCH, "utf-8"), (FRENCH, "utf-8-sig"), (FRENCH, "utf-16"), (JAPANESE, "utf-16-be"),
    (FRENCH, "cp1252"), (RUSSIAN, "cp1251"), (JAPANESE, "shift_jis"), (RUSSIAN, "utf-32")])
def test_text_in_several_encodings(tmp_path, text, encoding):
    path = tmp_path / "note.txt"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # with its byte-order mark
    path.write_bytes(data)
    doc = read_document(path)
    assert doc.text == text and doc.kind == "text"


def test_kinds_by_name_and_line_ends():
    assert document_from_bytes(b"# Title\r\n\r\nText\r\n", "a.md").text == "# Title\n\nText\n"
    assert document_from_bytes(b"def f():\n    pass\n", "m.py").kind == "code"
    assert document_from_bytes(b"a,b\n1,2\n", "t.csv").kind == "csv"
    assert document_from_bytes(b'{"a": 1}', "d.json").kind == "json"


def test_html_keeps_the_visible_text_only():
    html = (b"<!DOCTYPE html><html><head><title>Quarterly report</title>"
            b"<style>p {color: red}</style><script>var secret = 1;</script></head>"
            b"<body><h1>Results</h1><p>Sales rose by <b>12%</b>.</p><p>Costs fell.</p>"
            b"<table><tr><td>Q1</td><td>10</td></tr></table></body></html>")
    doc = document_from_bytes(html, "page.txt")  # found by its content, not its name
    assert doc.kind == "html"
    assert doc.text.startswith("Quarterly report\n\nResults\n\nSales rose by 12%.\n\nCosts fell.")
    assert "Q1 | 10" in doc.text
    assert "secret" not in doc.text and "color" not in doc.text and "<" not in doc.text


@pytest.mark.parametrize("data,message", [
    (b"", "is empty"), (b"  \n\t\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "is a PNG image"),
    (b"PK\x03\x04" + bytes(100), "is a ZIP archive"),
    (b"\x7fELF\x02\x01\x01" + bytes(100), "is a program"),
    (random.Random(1).randbytes(4096), "is a binary file"),
    (b"\x00\x01\x02\x03" * 500, "is a binary file"),
])
def test_what_is_not_a_document(tmp_path, data, message):
    path = tmp_path / "thing.txt"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=f"thing.txt {message}"):
        read_document(path)


def test_missing_directory_and_too_large(tmp_path):
    with pytest.raises(DocumentError, match="gone.txt could not be read"):
        read_document(tmp_path / "gone.txt")
    with pytest.raises(DocumentError, match="is not a file"):
        read_document(tmp_path)
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(DocumentError, match="big.log is 0.0 MB; documents of up to"):
        read_document(big, max_bytes=1000)


def test_pasted_text():
    doc = document_from_text("Pasted words.")
    assert doc.name == "pasted text" and doc.text == "Pasted words."
    with pytest.raises(DocumentError, match="has no text"):
        document_from_text("   ")


def test_utf16_without_a_mark_and_unknown_encodings():
    doc = document_from_bytes("Plain English in UTF-16, no mark.".encode("utf-16-le"), "u.txt")
    assert doc.text == "Plain English in UTF-16, no mark." and doc.encoding == "utf-16-le"
    rng = random.Random(3)
    soup = bytes(rng.choice([0x20, *range(0x80, 0x100)]) for _ in range(3000))
    with pytest.raises(DocumentError, match="soup.txt: its text encoding could not be recognised"):
        document_from_bytes(soup, "soup.txt")


def _pairs(seed, leads, trails, count):
    rng = random.Random(seed)
    return b"".join(bytes([rng.randrange(*leads), rng.randrange(*trails)]) for _ in range(count))


@pytest.mark.parametrize("data", [
    # issue 22 item 9, as the run wrote it: one high byte 200,000 times ("ⅱ" in GB18030)
    bytes(random.Random(1).randrange(128, 256) for _ in range(200_000)),
    _pairs(4, (0xB0, 0xF8), (0xA1, 0xFF), 5000),  # random GB2312 ideographs
    _pairs(5, (0xB0, 0xC9), (0xA1, 0xFF), 5000),  # random EUC-KR syllables
    _pairs(6, (0x88, 0xA0), (0x40, 0x7F), 5000),  # random Shift-JIS kanji
    bytes([0xA4]) * 300,
], ids=["one-high-byte", "gb2312", "euc-kr", "shift-jis", "short-run"])
def test_bytes_that_a_guessed_encoding_reads_but_no_one_wrote_are_refused(tmp_path, data):
    """Issue 22 item 9: random high bytes were attached as CJK text."""
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match="notes.txt does not read as text in any encoding: "
                                            "read as .*(repeated|no space, line break)"):
        read_document(path)


CHINESE = ("人工智能是计算机科学的一个分支，它企图了解智能的实质，并生产出一种新的能以人类智能相似"
           "的方式做出反应的智能机器。该领域的研究包括机器人、语言识别、图像识别和自然语言处理。")
KOREAN = ("대한민국은 동아시아의 한반도 남부에 위치한 민주공화국이다. 수도는 서울특별시이며, "
          "국기는 태극기, 국가는 애국가이다. 인코딩 감지가 올바르게 작동하는지 확인합니다.")


@pytest.mark.parametrize("text,encoding,read_as", [
    ("café", "cp1252", "cp1252"), ("Größe und Maß", "latin-1", "cp1252"),
    (FRENCH * 40, "cp1252", "cp1252"), (RUSSIAN * 40, "cp1251", "cp1251"),
    (JAPANESE * 40, "shift_jis", None), (CHINESE * 40, "gb18030", "gb18030"),
    (KOREAN * 40, "euc_kr", None), (JAPANESE * 40, "utf-16", "utf-16-le"),
    (CHINESE * 40, "utf-8", "utf-8"), ("ⅱ" * 5000, "utf-8", "utf-8"),
])
def test_real_text_in_legacy_encodings_still_attaches(text, encoding, read_as):
    doc = document_from_bytes(text.encode(encoding), "notes.txt")
    assert doc.text == text
    assert read_as is None or doc.encoding == read_as


def test_lone_surrogates_in_a_pdf_or_pasted_text_are_replaced_and_counted():
    """Issue 22 item 2: such text could not be stored (UTF-8 cannot encode it)."""
    from pdf_maker import make_pdf_with_a_lone_surrogate

    pdf = document_from_bytes(make_pdf_with_a_lone_surrogate(), "broken.pdf")
    assert pdf.text == "A\ufffdC" and pdf.repaired == 1 and pdf.page_starts == (0,)
    pasted = document_from_text("x\ud800y\udfffz")
    assert pasted.text == "x\ufffdy\ufffdz" and pasted.repaired == 2
    assert pasted.text.encode("utf-8")
    assert document_from_text("fine").repaired == 0
