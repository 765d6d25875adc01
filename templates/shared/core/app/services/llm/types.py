"""Data the gateway takes and returns. Plain dataclasses: no I/O, no framework.

These are the contract between the gateway, the usage layer (which records every
attempt on the ledger) and the web layer (which streams deltas to clients).
Money is Decimal USD; ``None`` means unknown, never zero.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Protocol

from app.core.catalog_types import TierInfo, WorkflowInfo

Role = Literal["system", "user", "assistant"]


class UsageSource(StrEnum):
    reported = "reported"  # the provider said so
    estimated = "estimated"  # counted from text (e.g. a cancelled stream before usage arrived)
    unknown = "unknown"


class AttemptOutcome(StrEnum):
    ok = "ok"
    rate_limited = "rate_limited"  # 429: key cools down
    quota_exhausted = "quota_exhausted"  # out of money: provider backs off
    auth_failed = "auth_failed"  # 401/403: key disabled
    server_error = "server_error"  # 5xx
    timeout = "timeout"
    connection_error = "connection_error"
    bad_request = "bad_request"  # the caller's fault: not retried elsewhere
    circuit_open = "circuit_open"  # skipped without a call
    route_error = "route_error"  # 404 and the like: this provider cannot serve the model
    cancelled = "cancelled"  # the consumer stopped reading
    stream_cut = "stream_cut"  # upstream ended mid-stream


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a caller asks for; routing picks the model unless ``model`` is set."""

    messages: tuple[Message, ...]
    max_output_tokens: int
    temperature: float | None = None
    model: str | None = None  # a catalog model id, or None for routing's choice
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0  # uncached input tokens
    output_tokens: int = 0
    cached_input_tokens: int = 0  # input tokens read from the provider's prompt cache
    source: UsageSource = UsageSource.unknown


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call to one provider with one key, whatever happened."""

    provider: str
    model: str  # catalog model id
    key_index: int | None  # which of the provider's keys (never the key itself)
    outcome: AttemptOutcome
    status: int | None  # HTTP status, when there was a response
    latency_ms: float
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    error: str | None = None  # short, secret-free description
    # True when the provider was passed over without a call (circuit open, backing off
    # after running out of money, every key cooling down or disabled): no spend, no latency.
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Which models were considered, in order, and why others were not."""

    strategy: str
    candidates: tuple[str, ...]
    rejected: tuple[tuple[str, str], ...] = ()  # (model id, reason)
    # (model id, the most this request can cost on it): why cost_optimized chose its order.
    estimated_max_cost_usd: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    model: str
    provider: str
    usage: Usage
    cost_usd: Decimal | None
    attempts: tuple[Attempt, ...]
    routing: RoutingDecision
    finish_reason: str | None = None
    local: bool = False  # answered by the offline local provider

    @property
    def retries(self) -> int:
        """Provider calls made before the one that answered (skipped providers excluded)."""
        return max(sum(1 for a in self.attempts if not a.skipped) - 1, 0)

    @property
    def retry_cost_usd(self) -> Decimal | None:
        """What the failed attempts cost (usually zero; a cut stream can cost)."""
        failed = [a.cost_usd for a in self.attempts[:-1] if not a.skipped]
        if any(cost is None for cost in failed):
            return None
        return sum((cost for cost in failed if cost is not None), Decimal(0))


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of streamed text."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last event of every stream: the same facts as a ChatResult, minus the text."""

    result: ChatResult


StreamEvent = TextDelta | StreamEnd


class ChatStream:
    """A streamed chat: iterate it for events, close it when you stop early.

    Yields ``TextDelta`` events and, on success, one final ``StreamEnd``. Whatever
    happens, ``result`` is filled in when the stream stops: on success (same as
    ``StreamEnd.result``), when the consumer stops early (closing it, a
    cancelled task: partial text and usage, ``finish_reason="cancelled"``), and when
    the upstream breaks after text was delivered (``StreamInterrupted`` is raised
    and ``result`` holds what arrived). ``result`` stays None only when no provider
    answered at all (the raised ``GatewayError`` then carries every attempt).

    Use it as a context manager, or close it yourself, so that leaving
    early closes the upstream request at once; then read ``result``.
    """

    def __init__(self, produce: Callable[[ChatStream], AsyncGenerator[StreamEvent, None]]) -> None:
        self.result: ChatResult | None = None
        # The producer gets this object so it can fill in ``result`` from a finally.
        self._events = produce(self)

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> StreamEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the stream: closes the upstream request and settles ``result``."""
        await self._events.aclose()

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class ChatGateway(Protocol):
    """What the usage layer needs from the gateway (``app.services.llm_gateway``).

    ``tier`` is the caller's entitlement at call time (it may differ from the
    catalog after a plan change). ``chat`` raises ``GatewayError`` subclasses;
    ``stream`` raises ``NoRouteError`` at once, and the stream raises the others
    while iterating. A stream that succeeds ends with exactly one ``StreamEnd``;
    if the consumer stops early (closes it), the upstream request is closed at
    once and the partial usage is still reported in ``ChatStream.result``.
    """

    async def chat(
        self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo
    ) -> ChatResult: ...

    def stream(
        self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo
    ) -> ChatStream: ...
