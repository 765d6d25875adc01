"""Reservations bound the input tokens from above, so dense text cannot push spend past a cap.

Through the real gateway and a fake provider that bills the most tokens a real
tokenizer can: one per UTF-8 byte (rare characters split into byte tokens), plus
the chat format's overhead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import MODELS, PROVIDERS
from app.core.catalog_types import WorkflowInfo
from app.services.llm.pricing import (
    MESSAGE_OVERHEAD_TOKENS,
    REQUEST_OVERHEAD_TOKENS,
    estimate_input_tokens,
    max_input_tokens,
)
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.llm.types import ChatRequest, Message
from app.services.llm_gateway import LLMGateway, create_gateway
from app.services.usage import CallContext, CapExceeded, UsageService
from app.services.usage.money import to_micros, to_usd
from app.services.usage.pricing import worst_case_micros
from tests.contract.world import wire_of
from tests.core.usage.conftest import entitlement
from tests.core.usage.helpers import events
from tests.fakes.upstream import Answer, FakeUpstream

# 600 characters from CJK extension B: 4 UTF-8 bytes each, 150 tokens by the usual estimate.
DENSE = "".join(chr(0x20000 + i * 7) for i in range(600))
OUTPUT_TOKENS = 16


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeUpstream]]:
    started: dict[str, FakeUpstream] = {}
    try:
        for provider in PROVIDERS:
            if wire_of(provider) not in started:
                started[wire_of(provider)] = FakeUpstream(wire_of(provider)).start()
        yield started
    finally:
        for fake in started.values():
            fake.stop()


@pytest.fixture
async def metered(
    usage_engine: AsyncEngine, fakes: dict[str, FakeUpstream]
) -> AsyncIterator[UsageService]:
    settings = GatewaySettings(
        providers={
            p: ProviderSettings(name=p, keys=(f"sk-fake-{p}",), base_url=fakes[wire_of(p)].base_url)
            for p in PROVIDERS
        }
    )
    gateway: LLMGateway = create_gateway(settings)
    service = UsageService(usage_engine, gateway, billing_mode="stripe_metered")
    yield service
    await service.close()
    await gateway.aclose()


def test_the_bound_covers_one_token_per_byte_and_the_chat_overhead() -> None:
    messages = (Message("system", "Be brief."), Message("user", DENSE))
    worst = sum(len(m.content.encode()) + MESSAGE_OVERHEAD_TOKENS for m in messages)
    assert max_input_tokens(messages) == worst + REQUEST_OVERHEAD_TOKENS
    # The usual estimate (four characters a token) is 16 times lower here.
    assert estimate_input_tokens(messages) * 10 < max_input_tokens(messages)


async def test_dense_input_billed_at_a_token_per_byte_never_passes_the_cap(
    metered: UsageService,
    fakes: dict[str, FakeUpstream],
    ctx: CallContext,
    workflow: WorkflowInfo,
) -> None:
    model = max(ctx.entitlement.allowed_models, key=lambda m: MODELS[m].price.input_per_mtok)
    assert MODELS[model].price.input_per_mtok > 0
    request = ChatRequest(
        messages=(Message("user", DENSE),), max_output_tokens=OUTPUT_TOKENS, model=model
    )
    billed = len(DENSE.encode()) + MESSAGE_OVERHEAD_TOKENS + REQUEST_OVERHEAD_TOKENS
    for fake in fakes.values():
        fake.push(*[Answer("ok", input_tokens=billed, output_tokens=OUTPUT_TOKENS)] * 10)
    price = MODELS[model].price
    one_call = (billed * price.input_per_mtok + OUTPUT_TOKENS * price.output_per_mtok) / 10**6
    # Room for two and a half calls: two fit, the third must be refused.
    cap = (one_call * 5 / 2).quantize(Decimal("0.000001"))
    ctx = replace(ctx, entitlement=entitlement(str(cap)))

    admitted = 0
    for _ in range(6):
        try:
            await metered.run(ctx, request)
        except CapExceeded:
            break
        admitted += 1

    rows = [row for row in await events(metered, ctx.workspace_id) if row.cost_micros]
    spent = to_usd(sum(row.cost_micros or 0 for row in rows))
    assert all(row.input_tokens == billed for row in rows)
    # The stated worst case in docs/usage.md: no overshoot when providers bill at most
    # a token per byte.
    assert spent <= cap, f"spent {spent} with a cap of {cap}"
    assert admitted == len(rows) == 2
    assert worst_case_micros(request, workflow, ctx.entitlement) >= to_micros(one_call)
