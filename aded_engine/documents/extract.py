"""A file (or pasted bytes) in, its text out: what a document attached to a message says.

    doc = read_document(Path("report.pdf"))      # or document_from_bytes(data, "paste.txt")
    doc.text, doc.kind, doc.page_starts

Plain text, Markdown, source code, CSV and JSON are read as text in their own encoding
(UTF-8/16/32 by byte-order mark or strict decoding, anything else detected by
charset-normalizer, whose guess must read like language: random bytes read as GB18030 are
refused); HTML keeps its visible text only; PDF its text layer (pypdf, pure
Python, so a hostile file can raise but not crash the process). Anything that cannot be read
as text raises ``DocumentError`` with a sentence for the user; no other exception leaves
this module for a file's content.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

from ..text_check import repair_text

MAX_BYTES = 64 * 2**20  # a 20 MB log is fine; a 1 GB dump is not something to read whole

# kinds by file name ending; anything else that decodes as text is "text"
_KINDS = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv",
          ".json": "json", ".jsonl": "json", ".html": "html", ".htm": "html", ".xhtml": "html",
          ".pdf": "pdf"}
_CODE = {".py", ".c", ".h", ".cc", ".cpp", ".hpp", ".js", ".ts", ".tsx", ".jsx", ".java",
         ".go", ".rs", ".rb", ".php", ".cs", ".swift", ".kt", ".scala", ".sh", ".bash", ".sql",
         ".lua", ".r", ".m", ".pl", ".hs", ".toml", ".yaml", ".yml", ".ini", ".cfg", ".xml",
         ".css", ".scss", ".vue", ".dart", ".zig", ".nim", ".jl", ".ex", ".exs", ".erl"}

# formats people attach by mistake, so the message can say what the file is
_MAGIC = [(b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"PK\x03\x04", "a ZIP archive (also .docx, .xlsx, .odt)"), (b"\x1f\x8b", "gzip data"),
          (b"\x7fELF", "a program (ELF)"), (b"MZ", "a Windows program"),
          (b"GGUF", "a GGUF model file"), (b"SQLite format 3\0", "an SQLite database"),
          (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"), (b"%!PS", "a PostScript file"),
          (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
          (b"ID3", "an MP3 file"), (b"OggS", "an Ogg file"), (b"RIFF", "a RIFF (WAV/AVI/WebP) file")]
_COMMON = ["cp1252", "iso8859_15", "latin_1", "cp1251", "cp1250", "gb18030", "cp932", "big5",
           "euc_kr"]
# (mark, codec that reads and drops it, the encoding's name)
_BOMS = [(b"\xef\xbb\xbf", "utf-8-sig", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32", "utf-32-be"), (b"\xff\xfe", "utf-16", "utf-16-le"),
         (b"\xfe\xff", "utf-16", "utf-16-be")]


class DocumentError(ValueError):
    """The file cannot be used as a document; ``str()`` is a message for the user that names
    the file and says why."""


@dataclass(frozen=True)
class Document:
    """A document's text as the model will read it.

    ``page_starts``: for a PDF, the offset in ``text`` where each page begins (page 1 at
    ``page_starts[0]``); empty for other kinds. ``size`` is the file's size in bytes."""

    name: str
    text: str
    kind: str  # "text", "markdown", "code", "csv", "json", "html" or "pdf"
    size: int
    encoding: str = "utf-8"  # of the file (a PDF's text is Unicode already: "pdf")
    page_starts: tuple[int, ...] = field(default=(), repr=False)
    # characters that were not valid Unicode (lone surrogates, e.g. from a PDF's broken text
    # layer or a paste) and were replaced with U+FFFD; the user is told (text_check.py)
    repaired: int = 0

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that holds the character at ``offset``; None if not paged."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))


def read_document(path: Path | str, max_bytes: int = MAX_BYTES) -> Document:
    """The text of a file on disk. Raises DocumentError (not OSError) for a missing,
    unreadable, oversized, empty, binary, encrypted or undecodable file."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DocumentError(f"{name} is not a file")
        if size > max_bytes:
            raise DocumentError(_too_large(name, size, max_bytes))
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except DocumentError:
        raise
    except OSError as exc:
        raise DocumentError(f"{name} could not be read: {exc.strerror or exc}") from exc
    return document_from_bytes(data, name, max_bytes)


def document_from_bytes(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> Document:
    """The text of a file's bytes (a pasted or dropped file); ``name`` decides the kind
    where the content does not (``.md``, ``.py``, ...)."""
    if len(data) > max_bytes:
        raise DocumentError(_too_large(name, len(data), max_bytes))
    if not data.strip():
        raise DocumentError(f"{name} is empty")
    suffix = Path(name).suffix.lower()
    if data[:1024].lstrip().startswith(b"%PDF-") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return _pdf(data, name)
    text, encoding = decode_text(data, name)
    kind = _KINDS.get(suffix) or ("code" if suffix in _CODE else "text")
    if kind == "pdf":
        raise DocumentError(f"{name} is named .pdf but is not a PDF file")
    if kind == "text" and re.match(r"\s*(<!doctype html|<html)", text[:512], re.IGNORECASE):
        kind = "html"
    if kind == "html":
        text = html_text(text)
    return _checked(Document(name, text, kind, len(data), encoding))


def document_from_text(text: str, name: str = "pasted text") -> Document:
    """A document typed or pasted as text."""
    return _checked(Document(name, text, "text", len(text.encode("utf-8", "surrogatepass"))))


def _checked(doc: Document) -> Document:
    """Every document leaves this module through here: with text in it, and only valid
    Unicode (lone surrogates replaced, counted in ``repaired``), so the store, the tokenizer
    and UTF-8 can take it."""
    if not doc.text.strip():
        raise DocumentError(f"{doc.name} has no text in it")
    text, repaired = repair_text(doc.text)
    return replace(doc, text=text, repaired=repaired) if repaired else doc


def _too_large(name: str, size: int, limit: int) -> str:
    return (f"{name} is {size / 2**20:.1f} MB; documents of up to {limit / 2**20:.0f} MB "
            "can be attached")


# --- text and its encoding -----------------------------------------------------------
def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of bytes that hold text; DocumentError for binary data or an
    encoding that cannot be told."""
    for bom, codec, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _clean(data.decode(codec)), encoding
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: let detection below decide
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"{name} is {what}, not a text document")
    if b"\0" in data[:8192]:
        return _utf16_without_mark(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _control_share(text) > 0.01:
            raise DocumentError(f"{name} is a binary file, not a text document")
        return _clean(text), "utf-8"
    import charset_normalizer  # only for files that are not UTF-8

    results = list(charset_normalizer.from_bytes(data))
    if not results:
        if _looks_binary(data):
            raise DocumentError(f"{name} is a binary file, not a text document")
        raise DocumentError(f"{name}: its text encoding could not be recognised; save it as "
                            "UTF-8 and attach it again")
    best = results[0]
    # nearly as good readings (Western text reads almost the same in cp1250, cp1252 and
    # iso8859_10 but for a letter or two): the most common encoding among them first
    close = [r for r in results if r.chaos <= best.chaos + 0.1
             and r.coherence >= best.coherence - 0.1]
    close.sort(key=lambda r: _COMMON.index(r.encoding) if r.encoding in _COMMON
               else len(_COMMON))
    if len(close) > 1:  # a short text ties ("café" is "cafй" in cp1251): no mixed words
        close.sort(key=lambda r: _mixed_words(str(r)[:16384]))
    # a guessed encoding always reads *something*: random high bytes read as GB18030 are
    # a run of rare ideographs (issue 22 item 9), so the reading must look like language
    first_doubt = None
    for result in close:
        text = str(result)
        if _control_share(text) > 0.01:
            raise DocumentError(f"{name} is a binary file, not a text document")
        doubt = _not_language(text)
        if doubt is None:
            return _clean(text), _western(data, text, result.encoding)
        first_doubt = first_doubt or f"read as {result.encoding}, {doubt}"
    raise DocumentError(f"{name} does not read as text in any encoding: {first_doubt}. If it "
                        "is text, save it as UTF-8 and attach it again")


def _western(data: bytes, text: str, encoding: str) -> str:
    """cp1252 for a text that reads the same in it (a tie among Western encodings is named
    by the one that Western text is written in)."""
    try:
        return "cp1252" if encoding != "cp1252" and data.decode("cp1252") == text else encoding
    except UnicodeDecodeError:
        return encoding


def _mixed_words(text: str) -> int:
    """Words with ASCII letters and letters of another script in them ("cafй", "Hallσ"):
    a wrong guess of a short text's encoding, which people do not write."""
    return sum(1 for word in re.findall(r"[^\W\d_]+", text)
               if not word.isascii() and re.search("[A-Za-z]", word)
               and any(ord(c) > 127 and not unicodedata.name(c, "").startswith("LATIN")
                       for c in word))


def _not_language(text: str) -> str | None:
    """Why a reading in a guessed legacy encoding is not text people wrote, or None if it
    may be. Only the characters from bytes over 127 are a guess (ASCII reads the same in
    all of them), and only a text that is mostly such characters is judged: a few accented
    letters in English or French are never doubted. Every language written mostly outside
    ASCII (Cyrillic, Greek, Chinese, Japanese, Korean, ...) breaks its text with spaces,
    line breaks or punctuation; and in no language one letter makes up half of a text. Random bytes
    read as GB18030, EUC-KR or Shift-JIS have neither breaks nor a Zipf-like spread."""
    sample = text[:65536]
    words = [c for c in sample if not c.isspace()]
    if len(words) < 32:
        return None
    # one character for most of it (ASCII rules such as "=====" aside): no language
    common = Counter(c for c in words if ord(c) > 127 or c.isalnum())
    if common:
        char, count = common.most_common(1)[0]
        if count > 0.5 * len(words):
            return (f"{count / len(words):.0%} of it is the one character \u201c{char}\u201d "
                    "repeated")
    guessed = sum(1 for c in words if ord(c) > 127)
    if guessed >= 0.5 * len(words) and len(words) >= 200:
        breaks = sum(1 for c in sample if c.isspace() or unicodedata.category(c)[0] == "P")
        if breaks < 0.01 * len(sample):
            return (f"it is {len(sample):,} characters with "
                    f"{'no' if not breaks else 'hardly a'} space, line break or punctuation "
                    "mark between them, as no language is written")
    return None


def _utf16_without_mark(data: bytes, name: str) -> tuple[str, str]:
    """Bytes with NULs in them: UTF-16 text of mostly Latin letters (every other byte zero),
    or binary data."""
    sample = data[:8192]
    for encoding, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if zeros.count(0) < 0.3 * len(zeros):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _control_share(text) <= 0.01:
            return _clean(text), encoding
    raise DocumentError(f"{name} is a binary file, not a text document")


def _looks_binary(data: bytes) -> bool:
    return _control_share(data[:8192].decode("latin-1")) > 0.05


def _control_share(text: str) -> float:
    sample = text[:65536]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v" or c == "\x7f")
    return controls / max(1, len(sample))


def _clean(text: str) -> str:
    """Line ends as \\n, and no NUL (SQLite and the tokenizer treat it as an end)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")


# --- HTML ------------------------------------------------------------------------------
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
           "section", "article", "header", "footer", "blockquote", "ul", "ol", "dl", "dt", "dd",
           "hr", "title", "figcaption", "main", "nav", "aside", "form"}
_HIDDEN = {"script", "style", "template", "noscript", "svg", "head"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        elif tag in _HIDDEN:
            self.hidden += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML page: its title, then the body's text with one line per
    block and blank lines between paragraphs (scripts, styles and markup dropped)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    body = "".join(parser.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in body.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(parser.title).split())
    return f"{title}\n\n{text}" if title and not text.startswith(title) else text


# --- PDF -------------------------------------------------------------------------------
def _pdf(data: bytes, name: str) -> Document:
    """The text layer of a PDF, page by page. Any failure inside pypdf on a damaged or
    hostile file becomes a DocumentError."""
    try:
        import pypdf
        from pypdf.errors import FileNotDecryptedError
    except ImportError as exc:  # a broken installation, not the user's file
        raise DocumentError(f"{name}: PDF support is not installed (pypdf)") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns on every odd file
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name} is an encrypted PDF; open it with its password and "
                                "save an unprotected copy to attach it")
        pages = [(page.extract_text() or "") for page in reader.pages]
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError(f"{name} is an encrypted PDF; open it with its password and save "
                            "an unprotected copy to attach it") from exc
    except Exception as exc:  # noqa: BLE001 (pypdf raises many kinds on damaged files)
        raise DocumentError(f"{name} is a damaged or unsupported PDF ({type(exc).__name__}: "
                            f"{str(exc)[:120]})") from exc
    texts, starts, offset = [], [], 0
    for page in pages:
        page = _clean(page).strip()
        starts.append(offset)
        texts.append(page)
        offset += len(page) + 2  # the "\n\n" that joins pages
    text = "\n\n".join(texts)
    if not text.strip():
        raise DocumentError(f"{name} has no text layer (a scanned PDF?); text recognition "
                            "is not part of this program")
    return _checked(Document(name, text, "pdf", len(data), "pdf", tuple(starts)))
