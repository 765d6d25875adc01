"""What every wire adapter does, free of I/O: build the HTTP request, parse the
answer (whole or as SSE events), and classify an error response.

Three wire formats cover the six providers: OpenAI-compatible chat completions
(OpenAI, OpenRouter, DeepSeek, Hugging Face), Anthropic Messages and Gemini.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from app.services.llm.pricing import estimate_tokens
from app.services.llm.sse import SseEvent
from app.services.llm.types import AttemptOutcome, ChatRequest, Usage, UsageSource


@dataclass(frozen=True, slots=True)
class WireRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Completion:
    """A parsed, whole answer."""

    text: str
    usage: Usage | None  # None when the provider reported none
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class ErrorVerdict:
    """What an error response means for failover."""

    outcome: AttemptOutcome
    message: str  # the provider's message, trimmed (never contains our key)
    retry_after: float | None = None  # seconds, when the provider said


class ProtocolViolation(Exception):
    """The upstream answered 200 with something that is not the promised format."""


class StreamParser(ABC):
    """Follows one streamed answer: text deltas out, usage and end-of-stream tracked."""

    def __init__(self) -> None:
        self.input_tokens: int | None = None  # uncached, as reported
        self.cached_input_tokens = 0
        self.output_tokens: int | None = None  # cumulative, as reported
        self.finish_reason: str | None = None
        self.done = False  # the format's own end marker arrived
        self.error: str | None = None  # an error event inside a 200 stream

    @abstractmethod
    def feed(self, event: SseEvent) -> str:
        """Take one SSE event; return the text it adds (often empty)."""

    def usage(self, estimated_input_tokens: int, text: str) -> Usage:
        """Usage so far: reported counts, estimates filling any gaps (then ``estimated``)."""
        reported = self.input_tokens is not None and self.output_tokens is not None
        return Usage(
            input_tokens=self.input_tokens
            if self.input_tokens is not None
            else estimated_input_tokens,
            output_tokens=self.output_tokens
            if self.output_tokens is not None
            else estimate_tokens(text),
            cached_input_tokens=self.cached_input_tokens,
            source=UsageSource.reported if reported else UsageSource.estimated,
        )


class WireAdapter(ABC):
    """One wire format, parameterised by the provider that speaks it."""

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def build(
        self,
        *,
        base_url: str,
        key: str,
        model: str,
        request: ChatRequest,
        max_output_tokens: int,
        stream: bool,
    ) -> WireRequest:
        """The HTTP request for ``request`` on ``model`` (the provider's model name)."""
        headers = {**self.auth_headers(key), "Content-Type": "application/json"}
        if stream:
            headers["Accept"] = "text/event-stream"
        body = self.body(model, request, max_output_tokens, stream=stream)
        url = self.url(base_url, model, stream=stream)
        return WireRequest(url, headers, json.dumps(body).encode())

    @abstractmethod
    def url(self, base_url: str, model: str, *, stream: bool) -> str:
        """Where a call to ``model`` goes."""

    @abstractmethod
    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry ``key`` (and the API version, where there is one)."""

    @abstractmethod
    def body(
        self, model: str, request: ChatRequest, max_tokens: int, *, stream: bool
    ) -> dict[str, Any]:
        """The JSON body of a call, before encoding."""

    @abstractmethod
    def parse(self, body: bytes) -> Completion:
        """Parse a 200 answer; raises ``ProtocolViolation`` when it is not one."""

    @abstractmethod
    def stream_parser(self) -> StreamParser:
        """A fresh parser for one streamed answer."""

    @abstractmethod
    def classify(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorVerdict:
        """What a non-200 answer means: whose fault, and what to do next."""


# Helpers shared by the adapters.


def load_json(body: bytes) -> Any:
    """Parse JSON, raising ``ProtocolViolation`` on garbage."""
    try:
        return json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ProtocolViolation(f"invalid JSON from upstream: {exc}") from None


def error_json(body: bytes) -> dict[str, Any]:
    """The ``error`` object of an error body, however the provider shaped it.

    ``{"error": {...}}`` is the common shape; some OpenAI-compatible hosts send
    ``{"error": "text"}`` or a bare string, and proxies send HTML.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return {"message": body[:200].decode("utf-8", "replace")}
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]  # Gemini's streaming endpoint can wrap errors in a list
    if not isinstance(data, dict):
        return {"message": str(data)[:200]}
    error = data.get("error", data)
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {"message": str(error)[:200]}


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), when present."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def generic_outcome(status: int) -> AttemptOutcome:
    """The meaning of a status when the body says nothing more specific."""
    if status in (401, 403):
        return AttemptOutcome.auth_failed
    if status == 402:
        return AttemptOutcome.quota_exhausted
    if status == 429:
        return AttemptOutcome.rate_limited
    if status == 408:
        return AttemptOutcome.timeout
    if status == 404:
        return AttemptOutcome.route_error
    if status >= 500 or status == 409:
        return AttemptOutcome.server_error
    return AttemptOutcome.bad_request


def short(message: str, limit: int = 300) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."
