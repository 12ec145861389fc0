"""Real PDF files for the tests, written with pypdf: one text line per Tj operator, in
Helvetica, one page per list of lines."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def make_pdf(pages: list[list[str]], user_password: str | None = None,
             owner_password: str | None = None) -> bytes:
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page.replace_contents(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    if user_password is not None:
        writer.encrypt(user_password, owner_password or user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_pdf_with_a_lone_surrogate() -> bytes:
    """A one-page PDF whose text layer reads "A\\ud800C": its font's ToUnicode map sends the
    byte B to U+D800, a lone surrogate (a broken or hostile PDF)."""
    writer = PdfWriter()
    cmap = DecodedStreamObject()
    cmap.set_data(b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
                  b"/CMapName /X def 1 begincodespacerange <00> <FF> endcodespacerange\n"
                  b"3 beginbfchar <41> <0041> <42> <D800> <43> <0043> endbfchar\n"
                  b"endcmap CMapName currentdict /CMap defineresource pop end end")
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"),
                             NameObject("/ToUnicode"): writer._add_object(cmap)})
    page = writer.add_blank_page(612, 792)
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 11 Tf 72 720 Td (ABC) Tj ET")
    page.replace_contents(stream)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
