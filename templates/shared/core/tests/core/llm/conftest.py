"""Fixtures for the gateway tests: fake upstreams, a controllable clock, and gateways
built from test-sized catalog pieces (tests never depend on the product's own catalog)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal

import pytest

from app.core.catalog_types import (
    CircuitBreakerPolicy,
    ModelInfo,
    ModelPrice,
    TierInfo,
    WorkflowInfo,
)
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.llm.types import ChatRequest, Message
from app.services.llm_gateway import LLMGateway
from tests.fakes.upstream import FakeUpstream

PRICE = ModelPrice(
    input_per_mtok=Decimal("1.00"),
    output_per_mtok=Decimal("4.00"),
    cached_input_per_mtok=Decimal("0.25"),
    price_id="test-2026-01",
)

WORKFLOW = WorkflowInfo(
    name="chat",
    unit="reply",
    min_quality=0.0,
    max_context_tokens=50_000,
    max_output_tokens=1_000,
    max_latency_ms=None,
    soft_daily_cost=None,
    prompt="chat",
    cache=False,
)

REQUEST = ChatRequest(messages=(Message("user", "Say hello to the tests."),), max_output_tokens=200)

# The wire format each provider speaks, and so which fake serves it.
WIRE_OF = {
    "openai": "openai",
    "openrouter": "openai",
    "deepseek": "openai",
    "huggingface": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
}


def model(
    model_id: str,
    routes: tuple[tuple[str, str], ...],
    *,
    price: ModelPrice = PRICE,
    quality: float = 0.8,
    context_window: int = 100_000,
    max_output_tokens: int = 4_096,
    latency_ms: int = 800,
) -> ModelInfo:
    """A test model (prices per million tokens)."""
    return ModelInfo(
        id=model_id,
        routes=routes,
        price=price,
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        quality=quality,
        latency_ms=latency_ms,
    )


def tier(*model_ids: str, name: str = "pro") -> TierInfo:
    return TierInfo(
        name=name,
        monthly_price=Decimal(29),
        monthly_cost_cap=Decimal(9),
        soft_warnings=(0.75, 0.9),
        requests_per_minute=100,
        allowed_models=model_ids,
        stripe_price_id=None,
    )


# One model every provider serves, in this order: the cascade tests' default.
EVERYWHERE = model(
    "chat-model",
    (
        ("openai", "gpt-test"),
        ("openrouter", "test/chat-model"),
        ("deepseek", "deepseek-test"),
        ("huggingface", "hf/chat-model"),
        ("anthropic", "claude-test"),
        ("google", "gemini-test"),
    ),
)


class FakeClock:
    """A monotonic clock tests move by hand (cooldowns, back-offs, breaker resets)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _fake(wire: str) -> Iterator[FakeUpstream]:
    with FakeUpstream(wire) as fake:
        yield fake


@pytest.fixture
def openai_fake() -> Iterator[FakeUpstream]:
    yield from _fake("openai")


@pytest.fixture
def second_openai_fake() -> Iterator[FakeUpstream]:
    yield from _fake("openai")


@pytest.fixture
def anthropic_fake() -> Iterator[FakeUpstream]:
    yield from _fake("anthropic")


@pytest.fixture
def gemini_fake() -> Iterator[FakeUpstream]:
    yield from _fake("gemini")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MakeGateway = Callable[..., LLMGateway]


@pytest.fixture
async def make_gateway(clock: FakeClock) -> AsyncIterator[MakeGateway]:
    """Build gateways against fakes: ``make({"openai": (fake, ("k1", "k2"))}, ...)``.

    Providers cascade in the order given (the default model's routes follow it).
    Timeouts and cooldowns are short or driven by ``clock``; every gateway is
    closed after the test.
    """
    made: list[LLMGateway] = []

    def make(
        providers: dict[str, tuple[FakeUpstream | str, tuple[str, ...]]],
        *,
        models: dict[str, ModelInfo] | None = None,
        strategy: str = "cascade",
        breaker: CircuitBreakerPolicy | None = None,
        **settings: object,
    ) -> LLMGateway:
        options: dict[str, object] = {"connect_timeout_seconds": 0.5, "timeout_seconds": 0.5}
        options.update(settings)
        gateway = LLMGateway(
            GatewaySettings(
                providers={
                    name: ProviderSettings(
                        name=name,
                        keys=keys,
                        base_url=upstream if isinstance(upstream, str) else upstream.base_url,
                    )
                    for name, (upstream, keys) in providers.items()
                },
                **options,  # type: ignore[arg-type]
            ),
            models=models or _served_by(tuple(providers)),
            providers=tuple(providers),
            strategy=strategy,
            circuit_breaker=breaker or CircuitBreakerPolicy(error_threshold=5, reset_seconds=30),
            clock=clock,
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


def _served_by(providers: tuple[str, ...]) -> dict[str, ModelInfo]:
    """The default model, routed in the order the test lists providers (the cascade)."""
    names = dict(EVERYWHERE.routes)
    served = model(EVERYWHERE.id, tuple((p, names[p]) for p in providers if p in names))
    return {served.id: served} if served.routes else {EVERYWHERE.id: EVERYWHERE}


def all_models_tier(models: dict[str, ModelInfo] | None = None) -> TierInfo:
    return tier(*(models or {EVERYWHERE.id: EVERYWHERE}))
