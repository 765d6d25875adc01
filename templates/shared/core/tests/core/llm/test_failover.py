"""Every failover rule, driven through the real gateway against fake upstreams over HTTP."""

from __future__ import annotations

import logging
import socket
from decimal import Decimal

import pytest

from app.core.catalog_types import CircuitBreakerPolicy
from app.services.llm.errors import AllProvidersFailed, RequestRejected
from app.services.llm.settings import GatewaySettings
from app.services.llm.types import AttemptOutcome, UsageSource
from app.services.llm_gateway import LLMGateway
from tests.core.llm.conftest import (
    EVERYWHERE,
    REQUEST,
    WIRE_OF,
    WORKFLOW,
    FakeClock,
    MakeGateway,
    all_models_tier,
    model,
)
from tests.fakes.error_bodies import CASES, ErrorCase
from tests.fakes.upstream import Answer, FakeUpstream, Failure

TIER = all_models_tier()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_answers_with_reported_usage_and_decimal_cost(
    make_gateway: MakeGateway, openai_fake: FakeUpstream
) -> None:
    openai_fake.push(Answer("Hi!", input_tokens=1_000, output_tokens=500, cached_tokens=3_000))
    gateway = make_gateway({"openai": (openai_fake, ("k1",))})

    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert (result.text, result.provider, result.model) == ("Hi!", "openai", "chat-model")
    assert result.usage.source is UsageSource.reported
    assert (result.usage.input_tokens, result.usage.cached_input_tokens) == (1_000, 3_000)
    # 1000 x $1 + 3000 x $0.25 + 500 x $4, per million tokens.
    assert result.cost_usd == Decimal("0.00375")
    assert isinstance(result.cost_usd, Decimal)
    assert [a.outcome for a in result.attempts] == [AttemptOutcome.ok]
    assert result.attempts[0].key_index == 0
    assert result.attempts[0].status == 200
    assert result.attempts[0].latency_ms > 0
    assert openai_fake.seen[0].body["model"] == "gpt-test"


async def test_rate_limited_key_cools_down_for_retry_after(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, clock: FakeClock
) -> None:
    openai_fake.push(Failure("rate_limited", retry_after=7))
    gateway = make_gateway({"openai": (openai_fake, ("k1", "k2"))})

    first = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert [(a.key_index, a.outcome) for a in first.attempts] == [
        (0, AttemptOutcome.rate_limited),
        (1, AttemptOutcome.ok),
    ]
    assert first.attempts[0].status == 429
    assert first.attempts[0].cost_usd == Decimal(0)
    assert first.retries == 1

    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)  # k1 still cooling
    clock.advance(7.5)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)  # k1 is back
    assert openai_fake.keys_seen == ["k1", "k2", "k2", "k1"]


async def test_rate_limit_without_retry_after_uses_the_default_cooldown(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, clock: FakeClock
) -> None:
    openai_fake.push(Failure("rate_limited"))
    gateway = make_gateway({"openai": (openai_fake, ("k1", "k2"))}, rate_limit_cooldown_seconds=30)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    clock.advance(29)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    clock.advance(2)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert openai_fake.keys_seen == ["k1", "k2", "k2", "k1"]


async def test_server_errors_try_the_next_key_then_the_next_provider(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, anthropic_fake: FakeUpstream
) -> None:
    openai_fake.push(Failure("server_error"), Failure("server_error"))
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1", "k2")), "anthropic": (anthropic_fake, ("a1",))}
    )

    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert [(a.provider, a.key_index, a.outcome, a.status) for a in result.attempts] == [
        ("openai", 0, AttemptOutcome.server_error, 500),
        ("openai", 1, AttemptOutcome.server_error, 500),
        ("anthropic", 0, AttemptOutcome.ok, 200),
    ]
    assert result.provider == "anthropic"
    assert result.retry_cost_usd == Decimal(0)
    assert anthropic_fake.seen[0].body["model"] == "claude-test"


async def test_timeouts_fail_over_and_their_cost_is_unknown(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, anthropic_fake: FakeUpstream
) -> None:
    openai_fake.push(Answer(delay=5))
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1",)), "anthropic": (anthropic_fake, ("a1",))},
        timeout_seconds=0.2,
    )

    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    timed_out = result.attempts[0]
    assert timed_out.outcome is AttemptOutcome.timeout
    assert timed_out.status is None
    # The provider got the request and may bill it: unknown, never zero.
    assert timed_out.cost_usd is None
    assert result.retry_cost_usd is None
    assert result.provider == "anthropic"


async def test_connection_errors_fail_over_at_no_cost(
    make_gateway: MakeGateway, anthropic_fake: FakeUpstream
) -> None:
    gateway = make_gateway(
        {
            "openai": (f"http://127.0.0.1:{_closed_port()}/v1", ("k1", "k2")),
            "anthropic": (anthropic_fake, ("a1",)),
        }
    )

    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert [a.outcome for a in result.attempts] == [
        AttemptOutcome.connection_error,
        AttemptOutcome.connection_error,
        AttemptOutcome.ok,
    ]
    assert result.attempts[0].cost_usd == Decimal(0)  # it never left: nothing to bill


@pytest.mark.parametrize("wire_provider", ["openai", "anthropic", "google"])
async def test_a_rejected_key_is_disabled_for_good_and_logged_once(
    wire_provider: str,
    make_gateway: MakeGateway,
    openai_fake: FakeUpstream,
    anthropic_fake: FakeUpstream,
    gemini_fake: FakeUpstream,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = {"openai": openai_fake, "anthropic": anthropic_fake, "google": gemini_fake}[
        wire_provider
    ]
    fake.reject_key("sk-secret-bad")
    gateway = make_gateway({wire_provider: (fake, ("sk-secret-bad", "sk-good"))})

    with caplog.at_level(logging.DEBUG):
        first = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
        clock.advance(100_000)
        await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert first.attempts[0].outcome is AttemptOutcome.auth_failed
    assert fake.keys_seen == ["sk-secret-bad", "sk-good", "sk-good"]
    disabled = [
        r for r in caplog.records if "key #0" in r.getMessage() and "disabled" in r.getMessage()
    ]
    assert len(disabled) == 1
    assert disabled[0].levelno == logging.ERROR
    assert "sk-secret-bad" not in caplog.text
    assert "sk-good" not in caplog.text


OUT_OF_MONEY = [case for case in CASES if case.outcome == "quota_exhausted"]


@pytest.mark.parametrize("case", OUT_OF_MONEY, ids=[case.name for case in OUT_OF_MONEY])
async def test_out_of_money_skips_the_other_keys_and_backs_the_provider_off(
    case: ErrorCase,
    make_gateway: MakeGateway,
    openai_fake: FakeUpstream,
    anthropic_fake: FakeUpstream,
    gemini_fake: FakeUpstream,
    second_openai_fake: FakeUpstream,
    clock: FakeClock,
) -> None:
    fakes = {"openai": openai_fake, "anthropic": anthropic_fake, "gemini": gemini_fake}
    broke = fakes[WIRE_OF[case.provider]]
    broke.push(Failure("quota_exhausted", status=case.status, body=case.body))
    backup = "huggingface" if case.provider != "huggingface" else "openrouter"
    served = model("chat-model", ((case.provider, "the-model"), (backup, "the-model")))
    gateway = make_gateway(
        {case.provider: (broke, ("k1", "k2", "k3")), backup: (second_openai_fake, ("h1",))},
        models={served.id: served},
        rate_limit_cooldown_seconds=10,
        quota_backoff_seconds=600,
    )

    first = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert first.attempts[0].outcome is AttemptOutcome.quota_exhausted
    assert first.attempts[0].status == case.status
    assert len(first.attempts) == 2  # the other two keys share the account: not tried

    clock.advance(60)  # far beyond a rate-limit cooldown
    second = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert second.attempts[0].skipped
    assert second.attempts[0].outcome is AttemptOutcome.quota_exhausted
    assert second.retries == 0  # a skipped provider is not a retry
    assert broke.keys_seen == ["k1"]

    clock.advance(600)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert broke.keys_seen == ["k1", "k1"]


async def test_excluded_providers_are_removed_at_start_up(
    openai_fake: FakeUpstream, anthropic_fake: FakeUpstream, clock: FakeClock
) -> None:
    settings = GatewaySettings.from_env(
        {
            "OPENAI_API_KEYS": "k1,k2",
            "OPENAI_BASE_URL": openai_fake.base_url,
            "ANTHROPIC_API_KEY": "a1",
            "ANTHROPIC_BASE_URL": anthropic_fake.base_url,
            "LLM_EXCLUDED_PROVIDERS": "openai, deepseek",
        }
    )
    gateway = LLMGateway(
        settings,
        models={EVERYWHERE.id: EVERYWHERE},
        providers=("openai", "anthropic", "deepseek"),
        strategy="cascade",
        circuit_breaker=CircuitBreakerPolicy(error_threshold=5, reset_seconds=30),
        clock=clock,
    )
    try:
        result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    finally:
        await gateway.aclose()
    assert gateway.providers == ("anthropic",)
    assert result.provider == "anthropic"
    assert openai_fake.seen == []


async def test_circuit_breaker_opens_skips_and_probes_half_open(
    make_gateway: MakeGateway,
    openai_fake: FakeUpstream,
    anthropic_fake: FakeUpstream,
    clock: FakeClock,
) -> None:
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1",)), "anthropic": (anthropic_fake, ("a1",))},
        breaker=CircuitBreakerPolicy(error_threshold=2, reset_seconds=30),
    )
    openai_fake.push(Failure("server_error"), Failure("server_error"))
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert gateway.status()["openai"]["circuit"] == "open"

    skipped = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert skipped.attempts[0].outcome is AttemptOutcome.circuit_open
    assert skipped.attempts[0].skipped
    assert len(openai_fake.seen) == 2  # no call while open

    clock.advance(30)  # half-open: one probe goes through; it fails, the circuit reopens
    openai_fake.push(Failure("server_error"))
    probe = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert probe.attempts[0].outcome is AttemptOutcome.server_error
    assert gateway.status()["openai"]["circuit"] == "open"

    clock.advance(30)  # the next probe succeeds and closes it
    healed = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert healed.provider == "openai"
    assert gateway.status()["openai"]["circuit"] == "closed"


async def test_a_bad_request_is_the_callers_error_and_is_not_retried(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, anthropic_fake: FakeUpstream
) -> None:
    openai_fake.push(Failure("bad_request"))
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1", "k2")), "anthropic": (anthropic_fake, ("a1",))}
    )

    with pytest.raises(RequestRejected) as raised:
        await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert raised.value.status == 400
    assert "maximum context length" in raised.value.message
    assert [a.outcome for a in raised.value.attempts] == [AttemptOutcome.bad_request]
    assert raised.value.routing is not None
    assert openai_fake.keys_seen == ["k1"]
    assert anthropic_fake.seen == []


async def test_when_everything_fails_every_attempt_is_reported(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, gemini_fake: FakeUpstream
) -> None:
    openai_fake.push(Failure("rate_limited", retry_after=1), Failure("server_error"))
    gemini_fake.push(Failure("server_error"))
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1", "k2")), "google": (gemini_fake, ("g1",))}
    )

    with pytest.raises(AllProvidersFailed) as raised:
        await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert [(a.provider, a.key_index, a.status) for a in raised.value.attempts] == [
        ("openai", 0, 429),
        ("openai", 1, 500),
        ("google", 0, 503),
    ]
    assert all(a.latency_ms > 0 and a.cost_usd == Decimal(0) for a in raised.value.attempts)
    assert gemini_fake.seen[0].path == "/v1beta/models/gemini-test:generateContent"


async def test_a_model_missing_at_one_provider_moves_to_the_next_provider(
    make_gateway: MakeGateway, openai_fake: FakeUpstream, anthropic_fake: FakeUpstream
) -> None:
    openai_fake.push(Failure("server_error", status=404, body=b'{"error": {"message": "no"}}'))
    gateway = make_gateway(
        {"openai": (openai_fake, ("k1", "k2")), "anthropic": (anthropic_fake, ("a1",))}
    )
    result = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
    assert [a.outcome for a in result.attempts] == [AttemptOutcome.route_error, AttemptOutcome.ok]
    assert openai_fake.keys_seen == ["k1"]
