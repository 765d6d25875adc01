"""The SSE decoder against the framings providers really use, split anywhere."""

from __future__ import annotations

from app.services.llm.sse import SseDecoder, SseEvent


def _feed_all(chunks: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def test_lf_framed_events_with_names_and_comments() -> None:
    stream = b': OPENROUTER PROCESSING\n\nevent: message_start\ndata: {"a": 1}\n\ndata: [DONE]\n\n'
    assert _feed_all([stream]) == [
        SseEvent("message_start", '{"a": 1}'),
        SseEvent("message", "[DONE]"),
    ]


def test_gemini_crlf_separators_split_across_chunks_at_every_offset() -> None:
    stream = b'data: {"x": 1}\r\n\r\ndata: {"x": 2}\r\n\r\n'
    expected = [SseEvent("message", '{"x": 1}'), SseEvent("message", '{"x": 2}')]
    for cut in range(1, len(stream)):
        assert _feed_all([stream[:cut], stream[cut:]]) == expected, cut


def test_byte_by_byte_and_multibyte_characters() -> None:
    stream = "data: héllo 世界\n\n".encode()
    assert _feed_all([bytes([b]) for b in stream]) == [SseEvent("message", "héllo 世界")]


def test_multi_line_data_and_bare_cr_line_endings() -> None:
    assert _feed_all([b"data: a\rdata: b\r\r"]) == [SseEvent("message", "a\nb")]


def test_an_unterminated_event_is_not_emitted() -> None:
    assert _feed_all([b"data: partial"]) == []
