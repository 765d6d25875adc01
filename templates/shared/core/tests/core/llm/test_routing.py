"""Cost-optimised and cascade routing, and failover along the next-cheapest models."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.catalog_types import ModelPrice, WorkflowInfo
from app.services.llm.errors import NoRouteError
from app.services.llm.routing import plan_route
from app.services.llm.types import AttemptOutcome, ChatRequest, Message
from tests.core.llm.conftest import REQUEST, WORKFLOW, MakeGateway, model, tier
from tests.fakes.upstream import FakeUpstream, Failure


def _price(inp: str, out: str) -> ModelPrice:
    return ModelPrice(Decimal(inp), Decimal(out), Decimal(inp), price_id="test")


PREMIUM = model("premium", (("anthropic", "claude-big"),), price=_price("3", "15"), quality=0.95)
CHEAP = model("cheap", (("openai", "gpt-small"),), price=_price("0.10", "0.40"), quality=0.6)
MIDDLE = model(
    "middle",
    (("google", "gemini-mid"),),
    price=_price("0.30", "2.50"),
    quality=0.8,
    latency_ms=3_000,
)
SMALL_CONTEXT = model(
    "tiny", (("openai", "gpt-tiny"),), price=_price("0.01", "0.01"), quality=0.9, context_window=500
)
MODELS = {m.id: m for m in (PREMIUM, CHEAP, MIDDLE, SMALL_CONTEXT)}
EVERY_TIER = tier(*MODELS)


def _workflow(**changes: object) -> WorkflowInfo:
    values = {f: getattr(WORKFLOW, f) for f in WORKFLOW.__dataclass_fields__}
    values.update(changes)
    return WorkflowInfo(**values)


def test_cost_optimized_orders_qualifying_models_cheapest_first() -> None:
    route = plan_route(
        REQUEST, workflow=WORKFLOW, tier=EVERY_TIER, models=MODELS, strategy="cost_optimized"
    )
    assert route.decision.candidates == ("tiny", "cheap", "middle", "premium")
    costs = dict(route.decision.estimated_max_cost_usd)
    assert all(isinstance(c, Decimal) for c in costs.values())
    assert costs["cheap"] < costs["middle"] < costs["premium"]


def test_cascade_keeps_the_spec_order() -> None:
    route = plan_route(
        REQUEST, workflow=WORKFLOW, tier=EVERY_TIER, models=MODELS, strategy="cascade"
    )
    assert route.decision.candidates == ("premium", "cheap", "middle", "tiny")


def test_quality_tier_context_and_latency_each_exclude_with_a_reason() -> None:
    big = ChatRequest(messages=(Message("user", "x" * 2_000),), max_output_tokens=100)
    route = plan_route(
        big,
        workflow=_workflow(min_quality=0.7, max_latency_ms=2_000),
        tier=tier("premium", "cheap", "middle", "tiny", name="free"),
        models={**MODELS, "other": model("other", (("openai", "x"),))},
        strategy="cost_optimized",
    )
    reasons = dict(route.decision.rejected)
    assert route.decision.candidates == ("premium",)
    assert "quality" in reasons["cheap"]
    assert "latency" in reasons["middle"]
    assert "context window" in reasons["tiny"]
    assert "free tier" in reasons["other"]


def test_a_named_model_skips_preferences_but_not_the_tier() -> None:
    def named(model_id: str) -> ChatRequest:
        return ChatRequest(messages=REQUEST.messages, max_output_tokens=10, model=model_id)

    strict = _workflow(min_quality=0.9)
    route = plan_route(
        named("cheap"), workflow=strict, tier=EVERY_TIER, models=MODELS, strategy="cost_optimized"
    )
    assert route.decision.candidates == ("cheap",)  # below min quality, but asked for
    with pytest.raises(NoRouteError, match="tier"):
        plan_route(
            named("premium"),
            workflow=strict,
            tier=tier("cheap", name="free"),
            models=MODELS,
            strategy="cascade",
        )
    with pytest.raises(NoRouteError, match="unknown model"):
        plan_route(
            named("nope"), workflow=WORKFLOW, tier=EVERY_TIER, models=MODELS, strategy="cascade"
        )


def test_nothing_fits_raises_no_route_with_the_reasons() -> None:
    with pytest.raises(NoRouteError) as raised:
        plan_route(
            REQUEST,
            workflow=_workflow(min_quality=0.99),
            tier=EVERY_TIER,
            models=MODELS,
            strategy="cost_optimized",
        )
    assert raised.value.routing is not None
    assert len(raised.value.routing.rejected) == len(MODELS)
    assert raised.value.attempts == ()


def test_a_request_larger_than_the_workflow_allows_is_refused() -> None:
    huge = ChatRequest(messages=(Message("user", "x" * 400_000),), max_output_tokens=10)
    with pytest.raises(NoRouteError, match="exceeds"):
        plan_route(huge, workflow=WORKFLOW, tier=EVERY_TIER, models=MODELS, strategy="cascade")


async def test_failover_falls_back_along_the_next_cheapest_models(
    make_gateway: MakeGateway,
    openai_fake: FakeUpstream,
    gemini_fake: FakeUpstream,
    anthropic_fake: FakeUpstream,
) -> None:
    openai_fake.push(Failure("server_error"), Failure("server_error"))
    gateway = make_gateway(
        {
            "openai": (openai_fake, ("k1",)),
            "google": (gemini_fake, ("g1",)),
            "anthropic": (anthropic_fake, ("a1",)),
        },
        models=MODELS,
        strategy="cost_optimized",
    )

    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=EVERY_TIER)

    # tiny and cheap (both on the failing openai) first, then the next cheapest: middle.
    assert [(a.model, a.outcome) for a in result.attempts] == [
        ("tiny", AttemptOutcome.server_error),
        ("cheap", AttemptOutcome.server_error),
        ("middle", AttemptOutcome.ok),
    ]
    assert result.model == "middle"
    assert result.routing.strategy == "cost_optimized"
    assert anthropic_fake.seen == []


async def test_models_without_a_configured_provider_are_not_routed_to(
    make_gateway: MakeGateway, anthropic_fake: FakeUpstream
) -> None:
    gateway = make_gateway(
        {"anthropic": (anthropic_fake, ("a1",))}, models=MODELS, strategy="cost_optimized"
    )
    route = gateway.route(REQUEST, workflow=WORKFLOW, tier=EVERY_TIER)
    assert route.decision.candidates == ("premium",)
    assert dict(route.decision.rejected)["cheap"] == "no configured provider serves it"
