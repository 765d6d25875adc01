"""What each provider's API really sends back: JSON bodies and SSE frames per wire format.

Shapes follow the providers' API references (OpenAI chat completions, Anthropic
Messages, Gemini generateContent), including where each reports usage and how
cached tokens are counted (OpenAI and Gemini include them in the prompt count,
Anthropic reports them apart).
"""

from __future__ import annotations

import json
from typing import Any

OPENAI, ANTHROPIC, GEMINI = "openai", "anthropic", "gemini"


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def answer_body(
    wire: str, *, model: str, text: str, input_tokens: int, output_tokens: int, cached: int
) -> bytes:
    """A whole 200 answer. ``input_tokens`` are uncached; ``cached`` were read from cache."""
    if wire == OPENAI:
        return _json(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": _openai_usage(input_tokens, output_tokens, cached),
            }
        )
    if wire == ANTHROPIC:
        return _json(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": _anthropic_usage(input_tokens, output_tokens, cached),
            }
        )
    return _json(
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _gemini_usage(input_tokens, output_tokens, cached),
            "modelVersion": model,
        }
    )


def stream_frames(
    wire: str,
    *,
    model: str,
    chunks: list[str],
    input_tokens: int,
    output_tokens: int,
    cached: int,
    include_usage: bool = True,
) -> list[tuple[bytes, bool]]:
    """The SSE frames of a streamed answer, each with whether it carries text."""
    if wire == OPENAI:
        frames = [(_openai_chunk(model, {"role": "assistant", "content": ""}, None), False)]
        frames += [(_openai_chunk(model, {"content": c}, None), True) for c in chunks]
        frames.append((_openai_chunk(model, {}, "stop"), False))
        if include_usage:  # only when the request set stream_options.include_usage
            usage = _openai_usage(input_tokens, output_tokens, cached)
            frames.append((_data({"id": "chatcmpl-fake", "choices": [], "usage": usage}), False))
        frames.append((b"data: [DONE]\n\n", False))
        return frames
    if wire == ANTHROPIC:
        start = {
            "type": "message_start",
            "message": {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": _anthropic_usage(input_tokens, 1, cached),
            },
        }
        frames = [
            (_event("message_start", start), False),
            (
                _event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
                False,
            ),
            (_event("ping", {"type": "ping"}), False),
        ]
        frames += [
            (
                _event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": c},
                    },
                ),
                True,
            )
            for c in chunks
        ]
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        }
        frames += [
            (_event("content_block_stop", {"type": "content_block_stop", "index": 0}), False),
            (_event("message_delta", delta), False),
            (_event("message_stop", {"type": "message_stop"}), False),
        ]
        return frames
    frames = []
    for i, c in enumerate(chunks):
        last = i == len(chunks) - 1
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": c}], "role": "model"},
            "index": 0,
        }
        if last:
            candidate["finishReason"] = "STOP"
        # usageMetadata comes with every chunk; output counts grow as text arrives.
        out = output_tokens if last else max(1, output_tokens * (i + 1) // len(chunks))
        body = {
            "candidates": [candidate],
            "usageMetadata": _gemini_usage(input_tokens, out, cached),
            "modelVersion": model,
        }
        frames.append((b"data: " + _json(body) + b"\r\n\r\n", True))  # Gemini: CRLF CRLF
    return frames


def _data(payload: Any) -> bytes:
    return b"data: " + _json(payload) + b"\n\n"


def _event(name: str, payload: Any) -> bytes:
    return f"event: {name}\n".encode() + _data(payload)


def _openai_chunk(model: str, delta: dict[str, Any], finish: str | None) -> bytes:
    return _data(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": None,
        }
    )


def _openai_usage(input_tokens: int, output_tokens: int, cached: int) -> dict[str, Any]:
    prompt = input_tokens + cached  # prompt_tokens INCLUDES cached tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": output_tokens,
        "total_tokens": prompt + output_tokens,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def _anthropic_usage(input_tokens: int, output_tokens: int, cached: int) -> dict[str, Any]:
    return {  # input_tokens EXCLUDES cache reads
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "output_tokens": output_tokens,
    }


def _gemini_usage(input_tokens: int, output_tokens: int, cached: int) -> dict[str, Any]:
    prompt = input_tokens + cached  # promptTokenCount INCLUDES cached content
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt + output_tokens,
    }
    if cached:
        usage["cachedContentTokenCount"] = cached
    return usage
