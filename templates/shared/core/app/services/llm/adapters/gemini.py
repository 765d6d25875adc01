"""Google Gemini: POST {base}/v1beta/models/{model}:generateContent, or
``:streamGenerateContent?alt=sse`` to stream, with the key in ``x-goog-api-key``.

Roles are ``user`` and ``model``; system prompts go in ``systemInstruction``.
Each SSE event (separated by CRLF CRLF) is a whole GenerateContentResponse whose
``usageMetadata`` is cumulative; the last one carries ``finishReason``.
``promptTokenCount`` INCLUDES ``cachedContentTokenCount``; thinking tokens
(``thoughtsTokenCount``) are billed as output.

Gemini answers a bad key with 400 ``API_KEY_INVALID`` rather than 401, and says
"rate limit" and "daily quota used up" with the same 429 ``RESOURCE_EXHAUSTED``:
only the ``QuotaFailure`` details tell them apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

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

_ROLES = {"user": "user", "assistant": "model"}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_BAD_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED"}
_OUT_OF_MONEY = ("credits are depleted", "enable billing")
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def _usage(data: Any) -> tuple[int, int, int] | None:
    """(uncached input, cached input, output) from ``usageMetadata``."""
    if not isinstance(data, dict):
        return None
    cached = int(data.get("cachedContentTokenCount") or 0)
    prompt = int(data.get("promptTokenCount") or 0)
    output = int(data.get("candidatesTokenCount") or 0) + int(data.get("thoughtsTokenCount") or 0)
    return max(prompt - cached, 0), cached, output


def _candidate(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """(text, finish reason) of the first candidate; thought summaries are not answer text."""
    candidates = data.get("candidates") or ()
    if not candidates:
        feedback = data.get("promptFeedback") or {}
        block = feedback.get("blockReason")
        return "", f"blocked:{str(block).lower()}" if block else None
    first = candidates[0]
    parts = (first.get("content") or {}).get("parts") or ()
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
    reason = first.get("finishReason")
    return text, (_FINISH.get(reason, str(reason).lower()) if reason else None)


class GeminiAdapter(WireAdapter):
    def url(self, base_url: str, model: str, *, stream: bool) -> str:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{base_url}/v1beta/models/{quote(model, safe='')}:{method}"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    def body(
        self, model: str, request: ChatRequest, max_tokens: int, *, stream: bool
    ) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        config: dict[str, Any] = {"maxOutputTokens": max_tokens}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.stop:
            config["stopSequences"] = list(request.stop)
        body: dict[str, Any] = {
            "contents": [
                {"role": _ROLES[m.role], "parts": [{"text": m.content}]}
                for m in request.messages
                if m.role != "system"
            ],
            "generationConfig": config,
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        return body

    def parse(self, body: bytes) -> Completion:
        data = load_json(body)
        if not isinstance(data, dict) or (
            "candidates" not in data and "promptFeedback" not in data
        ):
            raise ProtocolViolation("GenerateContentResponse without candidates")
        text, finish = _candidate(data)
        counts = _usage(data.get("usageMetadata"))
        usage = (
            None if counts is None else Usage(counts[0], counts[2], counts[1], UsageSource.reported)
        )
        return Completion(text, usage, finish)

    def stream_parser(self) -> StreamParser:
        return _GeminiStream()

    def classify(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorVerdict:
        error = error_json(body)
        message = text_of(error.get("message")) or f"HTTP {status}"
        details = [d for d in error.get("details") or () if isinstance(d, dict)]
        outcome = generic_outcome(status)
        retry_after = retry_after_seconds(headers)
        reasons = {d.get("reason") for d in details if d.get("@type", "").endswith("ErrorInfo")}
        if reasons & _BAD_KEY_REASONS:
            outcome = AttemptOutcome.auth_failed
        elif any(phrase in message.lower() for phrase in _OUT_OF_MONEY):
            outcome = AttemptOutcome.quota_exhausted
        elif status == 429:
            quota_ids = [
                str(v.get("quotaId", ""))
                for d in details
                if d.get("@type", "").endswith("QuotaFailure")
                for v in d.get("violations") or ()
                if isinstance(v, dict)
            ]
            if any("PerDay" in quota_id for quota_id in quota_ids):
                # A daily quota does not come back after a few seconds.
                outcome = AttemptOutcome.quota_exhausted
            for d in details:
                match = _DELAY.match(str(d.get("retryDelay", "")))
                if d.get("@type", "").endswith("RetryInfo") and match:
                    retry_after = retry_after or float(match.group(1))
        return ErrorVerdict(outcome, short(message), retry_after)


class _GeminiStream(StreamParser):
    def feed(self, event: SseEvent) -> str:
        try:
            data = json.loads(event.data)
        except ValueError:
            raise ProtocolViolation("invalid JSON in a Gemini stream event") from None
        if not isinstance(data, dict):
            return ""
        if "error" in data:
            self.error = short(text_of(error_json(event.data.encode()).get("message")) or "error")
            return ""
        counts = _usage(data.get("usageMetadata"))
        if counts is not None:
            self.input_tokens, self.cached_input_tokens, self.output_tokens = counts
        text, finish = _candidate(data)
        if finish:
            self.finish_reason = finish
            self.done = True  # Gemini has no separate end-of-stream event
        return text
