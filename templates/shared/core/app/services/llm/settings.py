"""The gateway's settings, read from the environment (and a local ``.env``).

One convention for every provider (``OPENAI``, ``ANTHROPIC``, ``GOOGLE``, ...):

- ``{PROVIDER}_API_KEYS=k1,k2`` (tried in turn) or a single ``{PROVIDER}_API_KEY``;
- ``{PROVIDER}_BASE_URL`` to point the provider at a proxy or a test server.

Tests build ``GatewaySettings`` directly; nothing here is global state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dotenv import dotenv_values

DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "deepseek": "https://api.deepseek.com",
    "huggingface": "https://router.huggingface.co/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com",
}


class SettingsError(ValueError):
    """A gateway setting in the environment is malformed."""


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """One provider's keys and endpoint. ``keys`` never appear in reprs or logs."""

    name: str
    keys: tuple[str, ...] = field(default=(), repr=False)
    base_url: str = ""

    def __post_init__(self) -> None:
        if not self.base_url:
            object.__setattr__(self, "base_url", DEFAULT_BASE_URLS.get(self.name, ""))
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Everything the gateway reads from the environment, with production defaults."""

    providers: Mapping[str, ProviderSettings] = field(default_factory=dict)
    excluded: frozenset[str] = frozenset()  # LLM_EXCLUDED_PROVIDERS
    connect_timeout_seconds: float = 5.0  # LLM_CONNECT_TIMEOUT_SECONDS
    # Longest wait for the next bytes (the whole answer when not streaming).
    timeout_seconds: float = 60.0  # LLM_TIMEOUT_SECONDS
    # A key that got 429 without a Retry-After rests this long.
    rate_limit_cooldown_seconds: float = 20.0  # LLM_RATE_LIMIT_COOLDOWN_SECONDS
    # Upper bound on any Retry-After the provider asks for.
    max_retry_after_seconds: float = 300.0  # LLM_MAX_RETRY_AFTER_SECONDS
    # A provider out of money or quota is left alone this long (all its keys).
    quota_backoff_seconds: float = 900.0  # LLM_QUOTA_BACKOFF_SECONDS
    max_connections: int = 100  # LLM_MAX_CONNECTIONS, per gateway (process)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        provider_names: Sequence[str] = tuple(DEFAULT_BASE_URLS),
        dotenv_path: str | None = ".env",
    ) -> GatewaySettings:
        """Read the settings from ``env`` (default: ``.env`` overlaid by ``os.environ``)."""
        if env is None:
            # Same precedence as the app's Settings: the real environment wins over .env.
            dotenv = dotenv_values(dotenv_path) if dotenv_path else {}
            values = {k: v for k, v in dotenv.items() if v is not None}
            values.update(os.environ)
            env = values
        providers = {}
        for name in provider_names:
            prefix = name.upper()
            keys = _split(env.get(f"{prefix}_API_KEYS", "")) or _split(
                env.get(f"{prefix}_API_KEY", "")
            )
            base_url = env.get(f"{prefix}_BASE_URL", "").strip()
            providers[name] = ProviderSettings(name=name, keys=tuple(keys), base_url=base_url)
        excluded = frozenset(p.lower() for p in _split(env.get("LLM_EXCLUDED_PROVIDERS", "")))
        unknown = excluded - set(provider_names)
        if unknown:
            raise SettingsError(
                f"LLM_EXCLUDED_PROVIDERS names unknown providers: {', '.join(sorted(unknown))}"
            )
        defaults = cls()
        return cls(
            providers=providers,
            excluded=excluded,
            connect_timeout_seconds=_number(
                env, "LLM_CONNECT_TIMEOUT_SECONDS", defaults.connect_timeout_seconds
            ),
            timeout_seconds=_number(env, "LLM_TIMEOUT_SECONDS", defaults.timeout_seconds),
            rate_limit_cooldown_seconds=_number(
                env, "LLM_RATE_LIMIT_COOLDOWN_SECONDS", defaults.rate_limit_cooldown_seconds
            ),
            max_retry_after_seconds=_number(
                env, "LLM_MAX_RETRY_AFTER_SECONDS", defaults.max_retry_after_seconds
            ),
            quota_backoff_seconds=_number(
                env, "LLM_QUOTA_BACKOFF_SECONDS", defaults.quota_backoff_seconds
            ),
            max_connections=int(_number(env, "LLM_MAX_CONNECTIONS", defaults.max_connections)),
        )

    def provider(self, name: str) -> ProviderSettings:
        """The settings of ``name`` (no keys and the default URL when not configured)."""
        return self.providers.get(name) or ProviderSettings(name=name)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value
