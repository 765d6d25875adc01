"""Anthropic Messages: POST {base}/v1/messages with ``x-api-key`` and ``anthropic-version``.

System prompts go in the top-level ``system`` field. Streams are named SSE events:
``message_start`` carries the input usage, ``content_block_delta`` the text,
``message_delta`` the stop reason and the cumulative output tokens, and
``message_stop`` ends the stream. ``input_tokens`` EXCLUDES cache reads
(``cache_read_input_tokens``, reported here as cached input) and cache writes
(``cache_creation_input_tokens``, billed as input, so added to it).
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

API_VERSION = "2023-06-01"
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}
# Out of money, in the words Anthropic uses on a 400 (credit balance, a spend
# limit set in the console) or a 429 (the usage tier's monthly spend limit).
_OUT_OF_MONEY = ("credit balance is too low", "specified api usage limits", "spend limit")
_SPEND_LIMIT_CODES = {"enforced_spend_limit_reached"}


def _input_counts(usage: Mapping[str, Any]) -> tuple[int, int]:
    """(uncached input incl. cache writes, cache reads)."""
    uncached = int(usage.get("input_tokens") or 0) + int(
        usage.get("cache_creation_input_tokens") or 0
    )
    return uncached, int(usage.get("cache_read_input_tokens") or 0)


def _finish(reason: object) -> str | None:
    return _FINISH.get(reason, reason) if isinstance(reason, str) and reason else None


class AnthropicAdapter(WireAdapter):
    def url(self, base_url: str, model: str, *, stream: bool) -> str:
        return f"{base_url}/v1/messages"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": API_VERSION}

    def body(
        self, model: str, request: ChatRequest, max_tokens: int, *, stream: bool
    ) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        if stream:
            body["stream"] = True
        return body

    def parse(self, body: bytes) -> Completion:
        data = load_json(body)
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise ProtocolViolation("message without a content list")
        text = "".join(
            block.get("text", "")
            for block in data["content"]
            if isinstance(block, dict) and block.get("type") == "text"
        )
        usage = None
        if isinstance(data.get("usage"), dict):
            uncached, cached = _input_counts(data["usage"])
            output = int(data["usage"].get("output_tokens") or 0)
            usage = Usage(uncached, output, cached, UsageSource.reported)
        return Completion(text, usage, _finish(data.get("stop_reason")))

    def stream_parser(self) -> StreamParser:
        return _AnthropicStream()

    def classify(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorVerdict:
        error = error_json(body)
        message = text_of(error.get("message")) or f"HTTP {status}"
        lowered = message.lower()
        details = error.get("details")
        code = text_of(details.get("error_code")) if isinstance(details, dict) else ""
        outcome = generic_outcome(status)
        if status in (400, 429) and (
            code in _SPEND_LIMIT_CODES or any(phrase in lowered for phrase in _OUT_OF_MONEY)
        ):
            outcome = AttemptOutcome.quota_exhausted
        return ErrorVerdict(outcome, short(message), retry_after_seconds(headers))


class _AnthropicStream(StreamParser):
    def feed(self, event: SseEvent) -> str:
        try:
            data = json.loads(event.data)
        except ValueError:
            raise ProtocolViolation("invalid JSON in a Messages stream event") from None
        if not isinstance(data, dict):
            return ""
        kind = data.get("type") or event.event
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            return delta.get("text", "") if delta.get("type") == "text_delta" else ""
        if kind == "message_start":
            usage = (data.get("message") or {}).get("usage")
            if isinstance(usage, dict):
                self.input_tokens, self.cached_input_tokens = _input_counts(usage)
        elif kind == "message_delta":
            self.finish_reason = _finish((data.get("delta") or {}).get("stop_reason"))
            usage = data.get("usage")
            if isinstance(usage, dict):
                # Cumulative counts; newer API versions repeat the input side here too.
                if usage.get("output_tokens") is not None:
                    self.output_tokens = int(usage["output_tokens"])
                if usage.get("input_tokens") is not None:
                    self.input_tokens, self.cached_input_tokens = _input_counts(usage)
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            self.error = short(text_of(error_json(event.data.encode()).get("message")) or "error")
        return ""
