"""Which models may answer a request, cheapest (or spec order) first, and why not the rest.

Pure functions over the catalog: no I/O, no provider state. The gateway then
walks the candidates in order, and each model's providers in cascade order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.core.catalog_types import ModelInfo, TierInfo, WorkflowInfo
from app.services.llm.errors import NoRouteError
from app.services.llm.pricing import estimate_input_tokens, max_cost_usd
from app.services.llm.types import ChatRequest, RoutingDecision

COST_OPTIMIZED = "cost_optimized"
CASCADE = "cascade"
STRATEGIES = (COST_OPTIMIZED, CASCADE)


@dataclass(frozen=True, slots=True)
class Route:
    """The routing outcome: the decision to log and the models to try, in order."""

    decision: RoutingDecision
    models: tuple[ModelInfo, ...]
    input_tokens: int  # the estimate routing used
    max_output_tokens: int  # what will be asked of the model (before its own cap)


def plan_route(
    request: ChatRequest,
    *,
    workflow: WorkflowInfo,
    tier: TierInfo,
    models: Mapping[str, ModelInfo],
    strategy: str,
    servable: Callable[[ModelInfo], bool] = lambda _model: True,
) -> Route:
    """Choose the models that may answer ``request``, best first.

    A model qualifies when the tier allows it, it meets the workflow's minimum
    quality and latency bound, the request fits its context window, and
    ``servable`` says some configured provider can call it. A model the caller
    names (``request.model``) skips the quality and latency preferences, never
    the tier's entitlement or the context window. ``cost_optimized``
    orders qualifying models by the most the request could cost on each (all
    input uncached, all output tokens used), ties kept in spec order; ``cascade``
    keeps the spec order. Raises ``NoRouteError`` (with the reasons) when none
    qualifies.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown routing strategy {strategy!r}; expected one of {STRATEGIES}")
    input_tokens = estimate_input_tokens(request.messages)
    max_output = min(request.max_output_tokens, workflow.max_output_tokens)
    rejected: list[tuple[str, str]] = []

    def fail(message: str) -> NoRouteError:
        decision = RoutingDecision(strategy=strategy, candidates=(), rejected=tuple(rejected))
        return NoRouteError(message, routing=decision)

    if input_tokens + max_output > workflow.max_context_tokens:
        raise fail(
            f"the request (~{input_tokens} input + {max_output} output tokens) exceeds the "
            f"{workflow.name} workflow's limit of {workflow.max_context_tokens} tokens"
        )

    if request.model is not None and request.model not in models:
        raise fail(f"unknown model {request.model!r}")
    qualifying = _qualifying(
        request, workflow, tier, models, servable, input_tokens, max_output, rejected
    )
    if not qualifying:
        raise fail(
            f"no model fits the {workflow.name} workflow on the {tier.name} tier: "
            + "; ".join(f"{model_id}: {reason}" for model_id, reason in rejected)
        )
    return _ordered(qualifying, strategy, tuple(rejected), input_tokens, max_output)


def _qualifying(
    request: ChatRequest,
    workflow: WorkflowInfo,
    tier: TierInfo,
    models: Mapping[str, ModelInfo],
    servable: Callable[[ModelInfo], bool],
    input_tokens: int,
    max_output: int,
    rejected: list[tuple[str, str]],
) -> list[ModelInfo]:
    """The models that may answer, in spec order; the others go to ``rejected``, with why."""
    explicit = request.model is not None
    pool = [models[request.model]] if request.model is not None else list(models.values())
    allowed = set(tier.allowed_models)
    qualifying: list[ModelInfo] = []
    for model in pool:
        reason = _rejection(
            model, workflow, allowed, tier.name, input_tokens, max_output, explicit=explicit
        )
        if reason is None and not servable(model):
            reason = "no configured provider serves it"
        if reason is None:
            qualifying.append(model)
        else:
            rejected.append((model.id, reason))
    return qualifying


def _ordered(
    qualifying: list[ModelInfo],
    strategy: str,
    rejected: tuple[tuple[str, str], ...],
    input_tokens: int,
    max_output: int,
) -> Route:
    """The route over ``qualifying``, cheapest first under ``cost_optimized``."""
    costs = {
        m.id: max_cost_usd(input_tokens, min(max_output, m.max_output_tokens), m.price)
        for m in qualifying
    }
    if strategy == COST_OPTIMIZED:
        # sorted() is stable: equal costs keep the spec's order.
        qualifying = sorted(qualifying, key=lambda m: costs[m.id])
    decision = RoutingDecision(
        strategy=strategy,
        candidates=tuple(m.id for m in qualifying),
        rejected=rejected,
        estimated_max_cost_usd=tuple((m.id, costs[m.id]) for m in qualifying),
    )
    return Route(decision, tuple(qualifying), input_tokens, max_output)


def _rejection(
    model: ModelInfo,
    workflow: WorkflowInfo,
    allowed: set[str],
    tier_name: str,
    input_tokens: int,
    max_output: int,
    *,
    explicit: bool,
) -> str | None:
    if model.id not in allowed:
        return f"not allowed on the {tier_name} tier"
    if explicit:
        pass  # the caller chose it: quality and latency are routing preferences
    elif model.quality < workflow.min_quality:
        return f"quality {model.quality} below the workflow's minimum {workflow.min_quality}"
    elif workflow.max_latency_ms is not None and model.latency_ms > workflow.max_latency_ms:
        bound = workflow.max_latency_ms
        return f"latency {model.latency_ms} ms above the workflow's bound {bound} ms"
    needed = input_tokens + min(max_output, model.max_output_tokens)
    if needed > model.context_window:
        return f"~{needed} tokens exceed its context window of {model.context_window}"
    return None
