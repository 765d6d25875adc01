"""Chunking and relevance: the same pure functions on SQLite and PostgreSQL.

The database's full-text index finds candidate chunks fast; the score that decides
whether a chunk counts as a source is computed here, so it means the same on both
databases: the share of the question's words (lightly stemmed) the chunk contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
# At most this many distinct words of a question are searched for.
MAX_QUERY_TERMS = 32
# Words too common to say what a question is about.
_STOP_WORDS_TEXT = """
a about above after again all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most
my no nor not now of off on once only or other our ours out over own same she should so some
such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your
yours
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one page, and its position in the document."""

    page: int
    ordinal: int
    text: str


def chunk_pages(pages: tuple[str, ...], *, size: int, overlap: int) -> list[Chunk]:
    """Split every page into passages of at most ``size`` characters, consecutive
    ones sharing ``overlap`` characters; cuts fall on whitespace when there is some.
    Chunks never span pages, so each one cites exactly one page."""
    chunks: list[Chunk] = []
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.split())
        start = 0
        while start < len(text):
            end = min(start + size, len(text))
            if end < len(text):
                cut = text.rfind(" ", start + size // 2, end)
                end = cut if cut > start else end
            chunks.append(Chunk(number, len(chunks), text[start:end].strip()))
            if end >= len(text):
                break
            start = max(end - overlap, start + 1)
            # Start on a word boundary, not inside the word the overlap cut through.
            space = text.find(" ", start, end)
            start = space + 1 if 0 <= space < end else start
    return [c for c in chunks if c.text]


def stem(word: str) -> str:
    """A light, language-agnostic-enough stem: plural and common English endings off."""
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def query_terms(question: str) -> list[str]:
    """The distinct words a question is about, in order (lowercase, no stop words)."""
    terms: list[str] = []
    for word in _WORD.findall(question.lower()):
        if len(word) > 1 and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def score(terms: list[str], text: str) -> float:
    """The share of ``terms`` that ``text`` contains (0 to 1), compared by stem."""
    if not terms:
        return 0.0
    present = {stem(word) for word in _WORD.findall(text.lower())}
    return sum(1 for term in terms if stem(term) in present) / len(terms)
