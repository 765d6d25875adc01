"""Token estimates and costs before a call, from the catalog's prices.

The context check uses the gateway's own estimate (``app.services.llm.pricing``)
and its rule (input plus the output asked for must fit the workflow), so the
usage layer refuses exactly what routing would refuse, only earlier and with a
413. The reservation uses an upper bound instead (one token per UTF-8 byte, see
``max_input_tokens``): over-reserving only delays an admission near the cap a
little, under-reserving would let a call (and concurrent ones) overshoot it.
"""

from __future__ import annotations

from decimal import Decimal

from app.core.catalog import MODELS
from app.core.catalog_types import ModelInfo, WorkflowInfo
from app.services.llm.pricing import (
    cost_usd,
    estimate_input_tokens,
    max_cost_usd,
    max_input_tokens,
)
from app.services.llm.types import ChatRequest, Usage
from app.services.usage.entitlements import Entitlement
from app.services.usage.money import to_micros


def max_output_tokens(request: ChatRequest, workflow: WorkflowInfo) -> int:
    """The output the gateway asks for (before each model's own cap)."""
    return min(request.max_output_tokens, workflow.max_output_tokens)


def context_tokens(request: ChatRequest, workflow: WorkflowInfo) -> int:
    """Estimated input plus requested output: what must fit ``max_context_tokens``."""
    return estimate_input_tokens(request.messages) + max_output_tokens(request, workflow)


def worst_case_input_tokens(request: ChatRequest) -> int:
    """An upper-bound token count for the request's messages (for reservations)."""
    return max_input_tokens(request.messages)


def candidate_models(
    request: ChatRequest, workflow: WorkflowInfo, entitlement: Entitlement
) -> list[ModelInfo]:
    """Every model the gateway may route this request to (a superset is fine)."""
    if request.model is not None:
        return [MODELS[request.model]] if request.model in MODELS else []
    return [
        MODELS[name]
        for name in entitlement.allowed_models
        if name in MODELS and MODELS[name].quality >= workflow.min_quality
    ]


def usage_cost(model_id: str, usage: Usage) -> Decimal | None:
    """What ``usage`` costs on a catalog model at list price (None when unknown)."""
    model = MODELS.get(model_id)
    return None if model is None else cost_usd(usage, model.price)


def worst_case_micros(
    request: ChatRequest, workflow: WorkflowInfo, entitlement: Entitlement
) -> int:
    """The most this request can cost on any model it may be routed to, in micro-USD."""
    input_tokens = worst_case_input_tokens(request)
    output = max_output_tokens(request, workflow)
    costs = [
        max_cost_usd(input_tokens, min(output, model.max_output_tokens), model.price)
        for model in candidate_models(request, workflow, entitlement)
    ]
    return to_micros(max(costs, default=Decimal(0)))
