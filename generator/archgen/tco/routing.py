"""Which model the generated router picks first for a workflow on a tier.

A mirror of ``plan_route`` in the generated ``app/services/llm/routing.py`` for a
request of a known size: a model qualifies when the tier allows it, it meets the
workflow's minimum quality and latency bound, some enabled provider serves it and
the request fits its context window; ``cost_optimized`` takes the one with the
lowest worst-case cost (all output tokens used), ties in spec order, and
``cascade`` the first in spec order.
"""

from __future__ import annotations

from decimal import Decimal

from archgen.spec.models import Model, ProductSpec, RoutingStrategy, Tier, Workflow

PER_MILLION = Decimal(1_000_000)


def call_cost(model: Model, input_tokens: int, output_tokens: int) -> Decimal:
    """What one call costs at the model's list price, all input uncached."""
    price = model.price
    assert price is not None, "prices are resolved before the model runs"
    return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / (
        PER_MILLION
    )


def qualifies(model: Model, spec: ProductSpec, tier: Tier, workflow: Workflow, tokens: int) -> bool:
    """The router's rules, for a request of ``tokens`` estimated input tokens."""
    if model.id not in tier.allowed_models or model.quality < workflow.min_quality:
        return False
    if workflow.max_latency_ms is not None and model.latency_ms > workflow.max_latency_ms:
        return False
    if not any(provider in model.providers for provider in spec.providers):
        return False
    return tokens + min(workflow.max_output_tokens, model.max_output_tokens) <= (
        model.context_window
    )


def expected_model(
    spec: ProductSpec, tier: Tier, workflow: Workflow, input_tokens: int
) -> Model | None:
    """The model the router tries first, or None when the request has no route."""
    if input_tokens + workflow.max_output_tokens > workflow.max_context_tokens:
        return None
    candidates = [m for m in spec.models if qualifies(m, spec, tier, workflow, input_tokens)]
    if not candidates:
        return None
    if spec.routing.strategy is RoutingStrategy.cascade:
        return candidates[0]
    # min() keeps the first of equal costs: the spec's order, like the router's stable sort.
    return min(
        candidates,
        key=lambda m: call_cost(
            m, input_tokens, min(workflow.max_output_tokens, m.max_output_tokens)
        ),
    )
