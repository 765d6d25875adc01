"""Wire adapters without I/O: the requests they build and how they read usage."""

from __future__ import annotations

import json
from typing import Any

from app.services.llm.adapters import adapter_for
from app.services.llm.sse import SseEvent
from app.services.llm.types import ChatRequest, Message, UsageSource

REQUEST = ChatRequest(
    messages=(Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hey")),
    max_output_tokens=50,
    temperature=0.2,
    stop=("END",),
)


def _build(provider: str, *, stream: bool) -> tuple[str, dict[str, str], dict[str, Any]]:
    wire = adapter_for(provider).build(
        base_url="https://example.test/base",
        key="sk-test",
        model="the-model",
        request=REQUEST,
        max_output_tokens=40,
        stream=stream,
    )
    return wire.url, wire.headers, json.loads(wire.body)


def test_openai_compatible_requests_always_ask_for_stream_usage() -> None:
    url, headers, body = _build("openai", stream=True)
    assert url == "https://example.test/base/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 40  # OpenAI's current name
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["stop"] == ["END"]
    _, _, deepseek = _build("deepseek", stream=False)
    assert deepseek["max_tokens"] == 40  # the other hosts know max_tokens
    assert "stream" not in deepseek


def test_anthropic_requests_put_the_system_prompt_apart() -> None:
    url, headers, body = _build("anthropic", stream=True)
    assert url == "https://example.test/base/v1/messages"
    assert headers["x-api-key"] == "sk-test"
    assert headers["anthropic-version"] == "2023-06-01"
    assert body["system"] == "Be brief."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert (body["max_tokens"], body["stream"], body["stop_sequences"]) == (40, True, ["END"])


def test_gemini_requests_use_roles_user_and_model() -> None:
    url, headers, body = _build("google", stream=True)
    assert url == "https://example.test/base/v1beta/models/the-model:streamGenerateContent?alt=sse"
    assert headers["x-goog-api-key"] == "sk-test"
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model"]
    assert body["generationConfig"] == {
        "maxOutputTokens": 40,
        "temperature": 0.2,
        "stopSequences": ["END"],
    }
    url, _, _ = _build("google", stream=False)
    assert url.endswith("/v1beta/models/the-model:generateContent")


def test_openai_prompt_tokens_include_cached_tokens() -> None:
    body = {
        "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 2000,
            "completion_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 1500},
        },
    }
    completion = adapter_for("openai").parse(json.dumps(body).encode())
    assert completion.usage is not None
    assert (completion.usage.input_tokens, completion.usage.cached_input_tokens) == (500, 1500)
    assert completion.usage.source is UsageSource.reported


def test_deepseek_reports_cache_hits_its_own_way() -> None:
    body = {
        "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "prompt_cache_hit_tokens": 64,
            "prompt_cache_miss_tokens": 36,
        },
    }
    usage = adapter_for("deepseek").parse(json.dumps(body).encode()).usage
    assert usage is not None
    assert (usage.input_tokens, usage.cached_input_tokens) == (36, 64)


def test_anthropic_input_tokens_exclude_cache_reads_and_writes() -> None:
    body = {
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "usage": {
            "input_tokens": 50,
            "cache_creation_input_tokens": 200,
            "cache_read_input_tokens": 1000,
            "output_tokens": 8,
        },
    }
    completion = adapter_for("anthropic").parse(json.dumps(body).encode())
    assert completion.usage is not None
    # Cache writes are billed as input; cache reads are the cached part.
    assert (completion.usage.input_tokens, completion.usage.cached_input_tokens) == (250, 1000)
    assert completion.finish_reason == "stop"


def test_gemini_counts_thinking_as_output_and_cached_inside_the_prompt() -> None:
    body = {
        "candidates": [
            {
                "content": {"parts": [{"text": "thinking...", "thought": True}, {"text": "ok"}]},
                "finishReason": "MAX_TOKENS",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 300,
            "cachedContentTokenCount": 200,
            "candidatesTokenCount": 10,
            "thoughtsTokenCount": 30,
        },
    }
    completion = adapter_for("google").parse(json.dumps(body).encode())
    assert completion.text == "ok"
    assert completion.finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.input_tokens == 100
    assert completion.usage.cached_input_tokens == 200
    assert completion.usage.output_tokens == 40


def test_anthropic_stream_usage_comes_from_message_start_and_message_delta() -> None:
    parser = adapter_for("anthropic").stream_parser()
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "usage": {"input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1}
                },
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hello"},
            },
        ),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 15},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    text = "".join(parser.feed(SseEvent(name, json.dumps(data))) for name, data in events)
    assert text == "Hello"
    assert parser.done
    usage = parser.usage(estimated_input_tokens=999, text=text)
    assert (usage.input_tokens, usage.cached_input_tokens, usage.output_tokens) == (25, 5, 15)
    assert usage.source is UsageSource.reported


def test_a_mid_stream_error_event_is_noticed() -> None:
    parser = adapter_for("openrouter").stream_parser()
    parser.feed(SseEvent("message", json.dumps({"error": {"message": "Provider went away"}})))
    assert parser.error == "Provider went away"
