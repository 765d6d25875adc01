"""Token estimates and costs from the catalog's prices, before and after a call.

Before a call nothing is known but the request, so two estimates: a typical one
(about 4 characters per token) for the workflow's context limit, and a
conservative one (3 UTF-8 bytes per token, which also covers CJK text) for the
worst-case cost the cap reserves: over-reserving only delays an admission a
little, under-reserving could let concurrent calls overshoot the cap.
"""

from __future__ import annotations

from decimal import Decimal

from app.core.catalog import MODELS
from app.core.catalog_types import ModelInfo, WorkflowInfo
from app.services.llm.types import ChatRequest, Usage, UsageSource
from app.services.usage.entitlements import Entitlement
from app.services.usage.money import to_micros

_MESSAGE_OVERHEAD_TOKENS = 4  # role and separators, per message
_MTOK = Decimal(1_000_000)


def estimate_input_tokens(request: ChatRequest) -> int:
    """A typical token count for the request's messages (for the context-size check)."""
    chars = sum(len(m.content) for m in request.messages)
    return -(-chars // 4) + _MESSAGE_OVERHEAD_TOKENS * len(request.messages)


def worst_case_input_tokens(request: ChatRequest) -> int:
    """An upper-bound token count for the request's messages (for reservations)."""
    size = sum(len(m.content.encode()) for m in request.messages)
    return -(-size // 3) + _MESSAGE_OVERHEAD_TOKENS * len(request.messages)


def candidate_models(
    request: ChatRequest, workflow: WorkflowInfo, entitlement: Entitlement
) -> list[ModelInfo]:
    """The models the gateway may route this request to (for a worst-case price)."""
    if request.model is not None:
        return [MODELS[request.model]] if request.model in MODELS else []
    return [
        MODELS[name]
        for name in entitlement.allowed_models
        if name in MODELS and MODELS[name].quality >= workflow.min_quality
    ]


def usage_cost(model: ModelInfo, usage: Usage) -> Decimal | None:
    """What ``usage`` costs on ``model`` at list price (None when the usage is unknown)."""
    if usage.source is UsageSource.unknown:
        return None
    price = model.price
    return (
        Decimal(usage.input_tokens) * price.input_per_mtok
        + Decimal(usage.cached_input_tokens) * price.cached_input_per_mtok
        + Decimal(usage.output_tokens) * price.output_per_mtok
    ) / _MTOK


def worst_case_micros(
    request: ChatRequest, workflow: WorkflowInfo, entitlement: Entitlement
) -> int:
    """The most this request can cost on any model it may be routed to, in micro-USD."""
    input_tokens = worst_case_input_tokens(request)
    worst = Decimal(0)
    for model in candidate_models(request, workflow, entitlement):
        output_tokens = min(request.max_output_tokens, model.max_output_tokens)
        cost = (
            Decimal(input_tokens) * model.price.input_per_mtok
            + Decimal(output_tokens) * model.price.output_per_mtok
        ) / _MTOK
        worst = max(worst, cost)
    return to_micros(worst)
