"""A deterministic stand-in for the gateway (the boundary to the providers).

It implements the ``ChatGateway`` protocol: fixed usage and cost, an optional
failure, and streams (real ``ChatStream``s) that report partial usage when closed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from app.core.catalog import MODELS
from app.core.catalog_types import TierInfo, WorkflowInfo
from app.services.llm.errors import GatewayError
from app.services.llm.types import (
    Attempt,
    AttemptOutcome,
    ChatRequest,
    ChatResult,
    ChatStream,
    RoutingDecision,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)

CHUNKS = ("Hello", ", ", "world", ".")


@dataclass
class FakeGateway:
    """Answers every request with ``CHUNKS`` on the tier's first allowed model."""

    cost_usd: Decimal | None = Decimal("0.001")
    usage: Usage = field(
        default_factory=lambda: Usage(
            input_tokens=100, output_tokens=20, cached_input_tokens=0, source=UsageSource.reported
        )
    )
    fail_with: GatewayError | None = None
    fail_after_chunks: int | None = None  # streams: raise fail_with after this many deltas
    calls: int = 0

    def model_for(self, request: ChatRequest, tier: TierInfo) -> str:
        return request.model or next(m for m in tier.allowed_models if m in MODELS)

    def result(
        self, request: ChatRequest, tier: TierInfo, text: str = "".join(CHUNKS)
    ) -> ChatResult:
        model = self.model_for(request, tier)
        provider = MODELS[model].routes[0][0]
        attempt = Attempt(
            provider=provider,
            model=model,
            key_index=0,
            outcome=AttemptOutcome.ok,
            status=200,
            latency_ms=1.0,
            usage=self.usage,
            cost_usd=self.cost_usd,
        )
        return ChatResult(
            text=text,
            model=model,
            provider=provider,
            usage=self.usage,
            cost_usd=self.cost_usd,
            attempts=(attempt,),
            routing=RoutingDecision(strategy="fake", candidates=(model,)),
            finish_reason="stop",
        )

    async def chat(
        self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo
    ) -> ChatResult:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.result(request, tier)

    def stream(self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo) -> ChatStream:
        self.calls += 1
        return ChatStream(lambda out: self._events(out, request, tier))

    async def _events(
        self, out: ChatStream, request: ChatRequest, tier: TierInfo
    ) -> AsyncGenerator[StreamEvent, None]:
        """The chunks, then StreamEnd; ``out.result`` is filled in however it ends."""
        sent: list[str] = []
        try:
            for index, chunk in enumerate(CHUNKS):
                if self.fail_after_chunks == index and self.fail_with:
                    raise self.fail_with
                sent.append(chunk)
                yield TextDelta(chunk)
            out.result = self.result(request, tier)
            yield StreamEnd(out.result)
        finally:
            if out.result is None:
                # Stopped early: the fake reports half its output, at half the cost.
                full = self.result(request, tier, "".join(sent))
                usage = replace(full.usage, output_tokens=full.usage.output_tokens // 2)
                cost = None if full.cost_usd is None else full.cost_usd / 2
                out.result = replace(full, usage=usage, cost_usd=cost, finish_reason="cancelled")


def failed_attempt(
    model: str, outcome: AttemptOutcome, cost: Decimal | None = Decimal(0)
) -> Attempt:
    """An attempt that failed at the first route of ``model``."""
    return Attempt(
        provider=MODELS[model].routes[0][0],
        model=model,
        key_index=0,
        outcome=outcome,
        status=503 if outcome is AttemptOutcome.server_error else None,
        latency_ms=5.0,
        cost_usd=cost,
        error=str(outcome),
    )
