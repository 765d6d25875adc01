"""Text out of an uploaded file, page by page: PDF (pypdf), Markdown, HTML, plain text.

Everything is read in memory and checked before anything is stored, so a corrupt
or encrypted file is refused whole (422) and nothing of it is indexed.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from app.services.knowledge.errors import unreadable_document

logger = logging.getLogger(__name__)

FORMATS = ("pdf", "markdown", "html", "text")
_SUFFIXES = {
    ".pdf": "pdf",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
}
_MEDIA_TYPES = {
    "application/pdf": "pdf",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "text/plain": "text",
}


@dataclass(frozen=True, slots=True)
class Extracted:
    """A document's text: one entry per page (one page for formats without pages)."""

    format: str
    pages: tuple[str, ...]


def detect_format(filename: str | None, content_type: str | None, data: bytes) -> str | None:
    """The document's format, from its content first (a PDF is a PDF whatever its
    name), then its file name, then its declared media type; None when unknown."""
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    media = (content_type or "").split(";")[0].strip().lower()
    return _MEDIA_TYPES.get(media)


def page_count(data: bytes) -> int:
    """How many pages a PDF has (422 when it cannot be opened)."""
    return len(_open_pdf(data).pages)


def extract(format_: str, data: bytes) -> Extracted:
    """The text of ``data`` in ``format_`` (422 when unreadable or empty)."""
    if format_ == "pdf":
        pages = _pdf_pages(data)
    else:
        text = _decode(data)
        if format_ == "html":
            text = html_text(text)
        elif format_ == "markdown":
            text = markdown_text(text)
        pages = (text,)
    if not any(page.strip() for page in pages):
        raise unreadable_document("The document has no text to index (a scanned PDF needs OCR).")
    return Extracted(format_, pages)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unreadable_document("Text documents must be UTF-8.") from None


def _open_pdf(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if not encrypted:
            len(reader.pages)  # reads the page tree: a broken one fails here
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, OSError):
        raise unreadable_document("The PDF is corrupt and cannot be read.") from None
    if encrypted:
        raise unreadable_document(
            "The PDF is encrypted (password-protected); upload an unprotected copy."
        )
    return reader


def _pdf_pages(data: bytes) -> tuple[str, ...]:
    reader = _open_pdf(data)
    pages = []
    try:
        for page in reader.pages:
            pages.append(page.extract_text() or "")
    except Exception as exc:  # pypdf raises many kinds of errors on broken content
        logger.info("pdf text extraction failed: %s", type(exc).__name__)
        raise unreadable_document("The PDF is corrupt and cannot be read.") from None
    return tuple(pages)


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML page (no scripts, styles or tags)."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    _BREAKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of ``html``, paragraphs on their own lines."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts))


_MD_MARKUP = [
    (re.compile(r"```.*?\n|```"), ""),  # code fences (the code itself stays)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"(?m)^[ \t]{0,3}(#{1,6}|>|[-*+]|\d+\.)[ \t]+"), ""),  # headings, quotes, lists
    (re.compile(r"[*_`~]{1,3}"), ""),  # emphasis and inline code marks
]


def markdown_text(markdown: str) -> str:
    """``markdown`` with its markup removed (the words are what retrieval matches)."""
    for pattern, replacement in _MD_MARKUP:
        markdown = pattern.sub(replacement, markdown)
    return _tidy(markdown)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
