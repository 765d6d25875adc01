"""The offline local provider, settings from the environment, and pricing."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from app.core.catalog_types import ModelPrice
from app.services.llm.pricing import cost_usd, estimate_tokens
from app.services.llm.settings import GatewaySettings, SettingsError
from app.services.llm.types import StreamEnd, TextDelta, Usage, UsageSource
from tests.core.llm.conftest import REQUEST, WORKFLOW, MakeGateway, all_models_tier

TIER = all_models_tier()


async def test_with_no_key_the_local_provider_answers_and_says_so(
    make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        gateway = make_gateway({"openai": ("http://127.0.0.1:9/v1", ())})
        first = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)
        again = await gateway.chat(REQUEST, workflow=WORKFLOW, tier=TIER)

    assert gateway.local
    assert first.local and first.provider == "local"
    assert first.text == again.text  # deterministic
    assert "Say hello to the tests." in first.text
    assert first.cost_usd == Decimal(0)
    assert first.usage.source is UsageSource.estimated
    assert first.usage.output_tokens == estimate_tokens(first.text)
    assert "local" in caplog.text


async def test_the_local_provider_streams_too(make_gateway: MakeGateway) -> None:
    gateway = make_gateway({})
    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    events = [event async for event in stream]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert isinstance(events[-1], StreamEnd)
    assert events[-1].result.text == text
    assert events[-1].result.local


def test_settings_follow_one_convention_for_every_provider() -> None:
    settings = GatewaySettings.from_env(
        {
            "OPENAI_API_KEYS": " k1, k2 ,",
            "ANTHROPIC_API_KEY": "a1",
            "GOOGLE_BASE_URL": "http://proxy.test/gemini/",
            "HUGGINGFACE_API_KEYS": "h1",
            "HUGGINGFACE_API_KEY": "ignored-when-keys-is-set",
            "LLM_EXCLUDED_PROVIDERS": "Google,deepseek",
            "LLM_TIMEOUT_SECONDS": "12.5",
        }
    )
    assert settings.provider("openai").keys == ("k1", "k2")
    assert settings.provider("anthropic").keys == ("a1",)
    assert settings.provider("huggingface").keys == ("h1",)
    assert settings.provider("google").base_url == "http://proxy.test/gemini"
    assert settings.provider("deepseek").base_url == "https://api.deepseek.com"
    assert settings.excluded == frozenset({"google", "deepseek"})
    assert settings.timeout_seconds == 12.5
    assert "k1" not in repr(settings)  # keys never show up in reprs or logs


def test_malformed_settings_are_reported_clearly() -> None:
    with pytest.raises(SettingsError, match="LLM_TIMEOUT_SECONDS"):
        GatewaySettings.from_env({"LLM_TIMEOUT_SECONDS": "soon"})
    with pytest.raises(SettingsError, match="unknown providers"):
        GatewaySettings.from_env({"LLM_EXCLUDED_PROVIDERS": "mistral"})


def test_cost_is_decimal_and_unknown_usage_costs_none_not_zero() -> None:
    price = ModelPrice(Decimal("0.15"), Decimal("0.60"), Decimal("0.075"), price_id="p")
    usage = Usage(1_000_000, 2_000_000, 1_000_000, UsageSource.reported)
    assert cost_usd(usage, price) == Decimal("1.425")
    assert cost_usd(Usage(), price) is None
