"""One self-contained ledger row per call, for every outcome, with its outbox row."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import MODELS, PRICE_TABLE_VERSION
from app.models import CallOutcome
from app.models.base import utcnow
from app.services.llm.errors import AllProvidersFailed, NoRouteError, StreamInterrupted
from app.services.llm.types import AttemptOutcome, StreamEnd, TextDelta, UsageSource
from app.services.usage import CallContext, ReplayExpired, RequestInProgress, UsageService
from app.services.usage.ledger import REPLAY_WINDOW
from tests.core.usage.fakes import CHUNKS, FakeGateway, failed_attempt
from tests.core.usage.helpers import budget_row, events, outbox, pending, request, with_key


async def test_ok_call_writes_one_complete_row_and_its_outbox_row(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    ctx = replace(ctx, prompt_version="summarize@v2")

    outcome = await service.run(ctx, request())

    assert outcome.outcome is CallOutcome.ok
    assert outcome.text == "".join(CHUNKS)
    assert outcome.settled_usd == Decimal("0.001")
    (row,) = await events(service, ctx.workspace_id)
    assert row.id == outcome.event_id
    assert (row.workspace_id, row.user_id) == (ctx.workspace_id, ctx.user_id)
    assert (row.workflow, row.feature, row.prompt_version) == (
        ctx.workflow,
        "tests",
        "summarize@v2",
    )
    assert row.environment == "development"
    assert row.model == outcome.result.model
    assert row.provider == MODELS[row.model].routes[0][0]
    assert (row.input_tokens, row.output_tokens, row.cached_input_tokens) == (100, 20, 0)
    assert row.usage_source == UsageSource.reported
    assert row.cost_micros == 1000 and row.settled_micros == 1000
    assert (row.retry_count, row.retry_cost_micros) == (0, 0)
    assert row.price_id == MODELS[row.model].price.price_id
    assert row.price_table_version == PRICE_TABLE_VERSION
    assert row.tier == ctx.entitlement.tier
    assert row.entitlement == ctx.entitlement.to_json()
    assert row.attempts is not None and row.attempts[0]["outcome"] == "ok"
    assert row.usable is None
    assert row.latency_ms is not None and row.completed_at is not None
    assert row.request_body is None and row.response_body is None  # log_prompts is off
    (billing,) = await outbox(service, ctx.workspace_id)
    assert billing.usage_event_id == row.id
    assert billing.payload["units"] == 1 and billing.payload["settled_micros"] == 1000
    assert await pending(service, ctx.workspace_id) == []
    spent = await budget_row(service, ctx.workspace_id)
    assert (spent.spent_micros, spent.reserved_micros) == (1000, 0)


async def test_failed_cascade_is_recorded_released_and_passed_through(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    model = ctx.entitlement.allowed_models[0]
    attempts = (
        failed_attempt(model, AttemptOutcome.server_error),
        failed_attempt(model, AttemptOutcome.timeout, cost=None),
    )
    gateway.fail_with = AllProvidersFailed("every provider failed", attempts=attempts)

    with pytest.raises(AllProvidersFailed):
        await service.run(ctx, request())

    (row,) = await events(service, ctx.workspace_id)
    assert row.outcome == CallOutcome.failed
    assert row.error_code == "all_providers_failed"
    assert row.retry_count == 1
    assert row.retry_cost_micros == 0
    assert row.cost_micros is None  # the timed-out attempt's cost is unknown: NULL, not 0
    assert [a["outcome"] for a in row.attempts or []] == ["server_error", "timeout"]
    assert await outbox(service, ctx.workspace_id) == []  # not billable
    assert await pending(service, ctx.workspace_id) == []
    released = await budget_row(service, ctx.workspace_id)
    assert (released.spent_micros, released.reserved_micros) == (0, 0)


async def test_no_route_is_a_rejection(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    gateway.fail_with = NoRouteError("no model fits")

    with pytest.raises(NoRouteError):
        await service.run(ctx, request())

    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.rejected, "no_route")


async def test_unknown_cost_is_null_and_settles_the_worst_case(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    gateway.cost_usd = None
    gateway.usage = replace(gateway.usage, source=UsageSource.unknown)

    outcome = await service.run(ctx, request())

    (row,) = await events(service, ctx.workspace_id)
    assert row.cost_micros is None
    assert row.input_tokens is None and row.usage_source == UsageSource.unknown
    assert row.settled_micros > 0  # the reserved worst case, never 0
    assert outcome.settled_usd * 1_000_000 == row.settled_micros


async def test_stream_settles_ok_at_the_end(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    stream = await service.stream(ctx, request())
    received = [event async for event in stream]

    assert [e.text for e in received if isinstance(e, TextDelta)] == list(CHUNKS)
    assert isinstance(received[-1], StreamEnd)
    assert stream.outcome is not None and stream.outcome.outcome is CallOutcome.ok
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.cost_micros) == (CallOutcome.ok, 1000)


async def test_closed_stream_settles_cancelled_with_partial_usage(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    stream = await service.stream(ctx, request())
    first = await stream.__anext__()
    await stream.aclose()

    assert isinstance(first, TextDelta)
    (row,) = await events(service, ctx.workspace_id)
    assert row.outcome == CallOutcome.cancelled
    assert row.output_tokens == 10  # the fake reports half its output when closed early
    assert row.cost_micros == 500 and row.settled_micros == 500
    (billing,) = await outbox(service, ctx.workspace_id)
    assert billing.payload["units"] == 0
    assert await pending(service, ctx.workspace_id) == []


async def test_a_stream_closed_before_reading_settles_as_cancelled_at_no_cost(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    stream = await service.stream(ctx, request())
    await stream.aclose()

    assert stream.outcome is not None and stream.outcome.outcome is CallOutcome.cancelled
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.cost_micros, row.settled_micros) == (CallOutcome.cancelled, 0, 0)
    assert await pending(service, ctx.workspace_id) == []
    assert (await budget_row(service, ctx.workspace_id)).reserved_micros == 0


async def test_a_stream_without_a_route_is_rejected_and_released(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    class Unroutable(FakeGateway):
        def stream(self, request, *, workflow, tier):  # type: ignore[no-untyped-def]
            raise NoRouteError("no model fits")

    service.gateway = Unroutable()

    with pytest.raises(NoRouteError):
        await service.stream(ctx, request())

    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.rejected, "no_route")
    assert (await budget_row(service, ctx.workspace_id)).reserved_micros == 0


async def test_stream_cut_upstream_is_a_failed_row(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    model = ctx.entitlement.allowed_models[0]
    attempt = failed_attempt(model, AttemptOutcome.stream_cut, cost=Decimal("0.0004"))
    gateway.fail_with = StreamInterrupted("upstream closed", attempts=(attempt,))
    gateway.fail_after_chunks = 2

    stream = await service.stream(ctx, request())
    with pytest.raises(StreamInterrupted):
        async for _ in stream:
            pass

    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.failed, "stream_interrupted")
    assert row.settled_micros == 400  # what the cut stream is known to have cost
    assert (await budget_row(service, ctx.workspace_id)).spent_micros == 400


async def test_cache_hit_writes_a_cached_row_without_calling_a_provider(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    hit = CachedHit(model=ctx.entitlement.allowed_models[0])

    outcome = await service.run(ctx, request(), cached=hit)

    assert gateway.calls == 0
    assert outcome.outcome is CallOutcome.cached and outcome.text == hit.text
    (row,) = await events(service, ctx.workspace_id)
    assert row.outcome == CallOutcome.cached
    assert row.cost_micros == 0 and row.settled_micros == 0
    assert row.saved_cost_micros == 2500  # what the original call cost
    assert len(await outbox(service, ctx.workspace_id)) == 1


async def test_bodies_are_stored_only_when_log_prompts_is_on(
    usage_engine: AsyncEngine, gateway: FakeGateway, ctx: CallContext
) -> None:
    logging_service = UsageService(
        usage_engine, gateway, billing_mode="stripe_metered", log_prompts=True
    )

    await logging_service.run(ctx, request("secret document"))

    (row,) = await events(logging_service, ctx.workspace_id)
    assert row.request_body == [{"role": "user", "content": "secret document"}]
    assert row.response_body == "".join(CHUNKS)


async def test_a_retried_key_returns_the_first_result_and_is_charged_once(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    keyed = with_key(ctx, "req-1")

    first = await service.run(keyed, request())
    again = await service.run(keyed, request())

    assert gateway.calls == 1
    assert again.replayed and not first.replayed
    assert again.event_id == first.event_id and again.settled_usd == first.settled_usd
    assert len(await events(service, ctx.workspace_id)) == 1
    assert (await budget_row(service, ctx.workspace_id)).spent_micros == 1000


async def test_a_replay_returns_the_answer_with_prompt_logging_off(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    assert not service.log_prompts
    keyed = with_key(ctx, "req-answer")
    first = await service.run(keyed, request())

    again = await service.run(keyed, request())
    streamed = [event async for event in await service.stream(keyed, request())]

    assert again.replayed and again.text == first.text == "".join(CHUNKS)
    assert [e.text for e in streamed if isinstance(e, TextDelta)] == ["".join(CHUNKS)]
    (row,) = await events(service, ctx.workspace_id)
    assert row.response_body is None  # not a log: kept for replays only
    assert gateway.calls == 1


async def test_a_replay_after_the_window_is_a_409_never_an_empty_answer(
    service: UsageService, ctx: CallContext
) -> None:
    keyed = with_key(ctx, "req-expired")
    await service.run(keyed, request())
    later = UsageService(
        service.db.engine,
        service.gateway,
        log_prompts=False,
        clock=lambda: utcnow() + REPLAY_WINDOW + timedelta(hours=1),
    )
    await later.sweep(older_than=timedelta(days=365))  # forgets the kept answer

    with pytest.raises(ReplayExpired) as refused:
        await service.run(keyed, request())

    assert refused.value.status == 409 and refused.value.code == "idempotency_key_expired"
    (row,) = await events(service, ctx.workspace_id)
    assert row.replay_body is None and row.outcome == "ok"


async def test_a_key_in_flight_is_refused(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    keyed = with_key(ctx, "req-2")
    seen: list[Exception] = []

    class Reentrant(FakeGateway):
        async def chat(self, request, *, workflow, tier):  # type: ignore[no-untyped-def]
            try:  # the client retries while the first call is still running
                await service.run(keyed, request)
            except RequestInProgress as exc:
                seen.append(exc)
            return await super().chat(request, workflow=workflow, tier=tier)

    service.gateway = Reentrant()
    await service.run(keyed, request())

    assert len(seen) == 1 and isinstance(seen[0], RequestInProgress) and seen[0].status == 409
    assert len(await events(service, ctx.workspace_id)) == 1


async def test_a_failed_key_can_be_retried(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    keyed = with_key(ctx, "req-3")
    gateway.fail_with = AllProvidersFailed("down")
    with pytest.raises(AllProvidersFailed):
        await service.run(keyed, request())
    gateway.fail_with = None

    outcome = await service.run(keyed, request())

    assert outcome.outcome is CallOutcome.ok and not outcome.replayed
    assert [r.outcome for r in await events(service, ctx.workspace_id)] == ["failed", "ok"]


async def test_usable_flag_is_set_later_by_product_code(
    service: UsageService, ctx: CallContext
) -> None:
    outcome = await service.run(ctx, request())

    assert await service.mark_usable(ctx.workspace_id, outcome.event_id, True)

    (row,) = await events(service, ctx.workspace_id)
    assert row.usable is True


class CachedHit:
    """A cache hit as the response cache returns it (see ``CacheHit``)."""

    def __init__(self, model: str) -> None:
        from app.services.llm.types import ChatResult, RoutingDecision, Usage

        self.text = "cached answer"
        self.model = model
        self.usage = Usage(input_tokens=100, output_tokens=50, source=UsageSource.reported)
        self.cost_usd = Decimal("0.0025")
        self._result = ChatResult(
            text=self.text,
            model=model,
            provider="cache",
            usage=Usage(source=UsageSource.reported),
            cost_usd=Decimal(0),
            attempts=(),
            routing=RoutingDecision(strategy="cache", candidates=(model,)),
        )

    def to_result(self):  # type: ignore[no-untyped-def]
        return self._result

    async def replay(self):  # type: ignore[no-untyped-def]
        yield TextDelta(self.text)
        yield StreamEnd(self._result)
