"""Wire adapters: one per wire format, each configured for the provider using it."""

from __future__ import annotations

from app.services.llm.adapters.anthropic import AnthropicAdapter
from app.services.llm.adapters.base import WireAdapter
from app.services.llm.adapters.gemini import GeminiAdapter
from app.services.llm.adapters.openai import OpenAIChatAdapter

# Which wire format each provider speaks.
WIRE_FORMATS: dict[str, type[WireAdapter]] = {
    "openai": OpenAIChatAdapter,
    "openrouter": OpenAIChatAdapter,
    "deepseek": OpenAIChatAdapter,
    "huggingface": OpenAIChatAdapter,
    "anthropic": AnthropicAdapter,
    "google": GeminiAdapter,
}


def adapter_for(provider: str) -> WireAdapter:
    """The adapter for ``provider`` (one of the six known providers)."""
    try:
        return WIRE_FORMATS[provider](provider)
    except KeyError:
        raise ValueError(f"no wire adapter for provider {provider!r}") from None
