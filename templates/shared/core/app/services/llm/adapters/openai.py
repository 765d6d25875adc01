"""OpenAI-compatible chat completions: OpenAI, OpenRouter, DeepSeek, Hugging Face's router.

POST {base}/chat/completions with a Bearer key. Streams are SSE ``data:`` lines
ending in ``data: [DONE]``; usage arrives in a last chunk with empty ``choices``
because we always send ``stream_options.include_usage``. ``prompt_tokens``
INCLUDES cached tokens (``prompt_tokens_details.cached_tokens``, or DeepSeek's
``prompt_cache_hit_tokens``): they are subtracted to get uncached input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.services.llm.adapters.base import (
    Completion,
    ErrorVerdict,
    ProtocolViolation,
    StreamParser,
    WireAdapter,
    error_json,
    generic_outcome,
    load_json,
    retry_after_seconds,
    short,
    text_of,
)
from app.services.llm.sse import SseEvent
from app.services.llm.types import AttemptOutcome, ChatRequest, Usage, UsageSource

# OpenAI rejects max_tokens on its reasoning models; the others only know max_tokens.
_MAX_TOKENS_FIELD = {"openai": "max_completion_tokens"}
_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter"}


def _usage(data: Any) -> tuple[int, int, int] | None:
    """(uncached input, cached input, output) from an OpenAI-style usage object."""
    if not isinstance(data, dict):
        return None
    prompt = int(data.get("prompt_tokens") or 0)
    details = data.get("prompt_tokens_details")
    cached = int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
    cached = cached or int(data.get("prompt_cache_hit_tokens") or 0)  # DeepSeek
    output = int(data.get("completion_tokens") or 0)
    return max(prompt - cached, 0), cached, output


class OpenAIChatAdapter(WireAdapter):
    def url(self, base_url: str, model: str, *, stream: bool) -> str:
        return f"{base_url}/chat/completions"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def body(
        self, model: str, request: ChatRequest, max_tokens: int, *, stream: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            _MAX_TOKENS_FIELD.get(self.provider, "max_tokens"): max_tokens,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.stop:
            body["stop"] = list(request.stop)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}  # usage is always requested
        return body

    def parse(self, body: bytes) -> Completion:
        data = load_json(body)
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ProtocolViolation("chat completion without choices[0].message") from None
        counts = _usage(data.get("usage"))
        usage = (
            None if counts is None else Usage(counts[0], counts[2], counts[1], UsageSource.reported)
        )
        reason = choice.get("finish_reason")
        return Completion(text, usage, _FINISH.get(reason, reason) if reason else None)

    def stream_parser(self) -> StreamParser:
        return _OpenAIStream()

    def classify(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorVerdict:
        error = error_json(body)
        message = text_of(error.get("message")) or f"HTTP {status}"
        kinds = {str(error.get("code") or ""), text_of(error.get("type"))}
        outcome = generic_outcome(status)
        if status == 429 and "insufficient_quota" in kinds:
            # OpenAI: out of credit or over the monthly budget, sent as a 429.
            outcome = AttemptOutcome.quota_exhausted
        elif status == 403 and self.provider == "openrouter":
            lowered = message.lower()
            if "moderation" in lowered or "flagged" in lowered:
                # OpenRouter's moderation refuses the input itself, not the key.
                outcome = AttemptOutcome.bad_request
        return ErrorVerdict(outcome, short(message), retry_after_seconds(headers))


class _OpenAIStream(StreamParser):
    def feed(self, event: SseEvent) -> str:
        if event.data == "[DONE]":
            self.done = True
            return ""
        try:
            data = json.loads(event.data)
        except ValueError:
            raise ProtocolViolation("invalid JSON in a chat completion chunk") from None
        if not isinstance(data, dict):
            return ""
        if "error" in data:  # OpenRouter reports mid-stream failures this way
            self.error = short(text_of(error_json(event.data.encode()).get("message")) or "error")
            return ""
        counts = _usage(data.get("usage"))
        if counts is not None:
            self.input_tokens, self.cached_input_tokens, self.output_tokens = counts
        text = ""
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            reason = choice.get("finish_reason")
            if reason:
                self.finish_reason = _FINISH.get(reason, reason)
                if reason == "error":
                    self.error = "the provider ended the stream with an error"
        return text
