"""Chunking and scoring: pure functions, the same on every database."""

from __future__ import annotations

from app.services.knowledge.extract import detect_format, html_text, markdown_text
from app.services.knowledge.text import chunk_pages, query_terms, score


def test_chunks_stay_within_their_page_and_size_and_overlap() -> None:
    words = " ".join(f"word{n}" for n in range(400))
    chunks = chunk_pages((words, "short page"), size=300, overlap=50)
    assert {c.page for c in chunks} == {1, 2}
    assert all(len(c.text) <= 300 for c in chunks)
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert set(first) & set(second)  # consecutive chunks share words
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].text == "short page"


def test_every_word_of_a_page_is_in_some_chunk() -> None:
    words = [f"w{n}" for n in range(1000)]
    chunks = chunk_pages((" ".join(words),), size=200, overlap=30)
    seen = {w for c in chunks for w in c.text.split()}
    assert seen == set(words)


def test_scores_are_the_share_of_question_words_present() -> None:
    terms = query_terms("How long is the warranty for the machine?")
    assert terms == ["long", "warranty", "machine"]
    assert score(terms, "The warranty covers the machine.") == 2 / 3
    assert score(terms, "Nothing here.") == 0
    assert score([], "anything") == 0


def test_formats_are_detected_from_content_then_name_then_media_type() -> None:
    assert detect_format("notes.txt", "text/plain", b"%PDF-1.7 ...") == "pdf"
    assert detect_format("guide.MD", None, b"# hi") == "markdown"
    assert detect_format("page", "text/html; charset=utf-8", b"<p>") == "html"
    assert detect_format("photo.png", "image/png", b"\x89PNG") is None


def test_html_and_markdown_keep_only_their_words() -> None:
    html = "<style>p{}</style><p>Hello&nbsp;<b>world</b></p><script>x()</script>"
    assert html_text(html) == "Hello world"
    assert (
        markdown_text("## Title\n\n* **bold** [link](http://x) `code`") == "Title\n\nbold link code"
    )
