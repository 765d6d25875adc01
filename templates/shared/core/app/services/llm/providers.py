"""The providers a gateway calls, each with its keys and health, and one call's target."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.catalog_types import CircuitBreakerPolicy, ModelInfo
from app.services.llm.adapters import adapter_for
from app.services.llm.adapters.base import WireAdapter, WireRequest
from app.services.llm.breaker import CircuitBreaker
from app.services.llm.keys import KeyRing
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.llm.types import ChatRequest

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Provider:
    """A configured provider: its wire format, its keys' state and its circuit breaker."""

    name: str
    settings: ProviderSettings
    adapter: WireAdapter
    keys: KeyRing
    breaker: CircuitBreaker


@dataclass(frozen=True, slots=True)
class Slot:
    """One call the cascade offers: a model, at a provider, with one of its keys."""

    model: ModelInfo
    provider: Provider
    remote_model: str
    key_index: int
    max_tokens: int

    def build(self, request: ChatRequest, *, stream: bool) -> WireRequest:
        """The HTTP request for this call, in the provider's wire format."""
        return self.provider.adapter.build(
            base_url=self.provider.settings.base_url,
            key=self.provider.settings.keys[self.key_index],
            model=self.remote_model,
            request=request,
            max_output_tokens=self.max_tokens,
            stream=stream,
        )

    def describe(self) -> str:
        """``provider (model, key #n)`` for log lines (never the key itself)."""
        return f"{self.provider.name} ({self.model.id}, key #{self.key_index})"


def open_providers(
    settings: GatewaySettings,
    names: Sequence[str],
    circuit_breaker: CircuitBreakerPolicy,
    clock: Callable[[], float],
) -> dict[str, Provider]:
    """The providers that have keys and are not excluded, in cascade order (``names``)."""
    providers: dict[str, Provider] = {}
    for name in names:
        provider_settings = settings.provider(name)
        if name in settings.excluded or not provider_settings.keys:
            continue
        providers[name] = Provider(
            name=name,
            settings=provider_settings,
            adapter=adapter_for(name),
            keys=KeyRing(name, len(provider_settings.keys), clock),
            breaker=CircuitBreaker(circuit_breaker, clock),
        )
    _log_providers(settings, providers)
    return providers


def _log_providers(settings: GatewaySettings, providers: dict[str, Provider]) -> None:
    if settings.excluded:
        logger.info("LLM providers excluded: %s", ", ".join(sorted(settings.excluded)))
    if not providers:
        logger.warning(
            "no LLM provider has an API key: the offline 'local' demo provider answers "
            "every call (set e.g. OPENAI_API_KEY or OPENAI_API_KEYS to use real models)"
        )
    else:
        logger.info(
            "LLM providers in cascade order: %s",
            ", ".join(f"{p.name} ({p.keys.size} keys)" for p in providers.values()),
        )
