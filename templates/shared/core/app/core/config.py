"""Settings from the environment (and a local ``.env``), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.logging import FORMATS, LEVELS


class Settings(BaseSettings):
    """Runtime settings. Provider keys are read by the gateway, not here."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = Field(default="development", description="Recorded on ledger rows.")
    database_url: str = Field(
        default="sqlite:///./app.db",
        description="SQLAlchemy URL; plain postgresql:// and sqlite:// URLs are accepted.",
    )
    redis_url: str | None = Field(
        default=None, description="Enables Redis-backed limits and cache when set."
    )
    log_level: str = Field(
        default="INFO", description="Root log level: DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
    log_format: str = Field(
        default="text",
        description="text (human lines, development) or json (one object a line; the image's).",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        gt=0,
        description="Largest request body accepted (chunked bodies too); larger ones get 413.",
    )
    prompt_max_bytes: int = Field(
        default=65_536, gt=0, description="Largest prompt version that may be published (413)."
    )
    prompt_max_versions: int = Field(
        default=100, gt=0, description="Most published versions one prompt may have (409)."
    )
    prompt_publishes_per_minute: int = Field(
        default=10, gt=0, description="Prompt publishes per workspace per minute via the API (429)."
    )
    prompt_refresh_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often each instance looks for prompt versions published elsewhere.",
    )
    body_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Time a client has to send a whole request body; slower ones get 408.",
    )
    # Stripe billing (docs/billing.md); unused when the spec's billing mode is "none".
    stripe_secret_key: str | None = Field(
        default=None, description="Stripe secret key (sk_test_... first, then sk_live_...)."
    )
    stripe_webhook_secret: str | None = Field(
        default=None, description="Signing secret (whsec_...) of the Stripe webhook endpoint."
    )
    stripe_api_base: str | None = Field(
        default=None, description="Another Stripe API base URL (tests point it at a fake)."
    )
    public_base_url: str = Field(
        default="http://localhost:8000",
        description="Where customers reach this app (Checkout and portal return URLs).",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {value!r}")
        return level

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        log_format = value.strip().lower()
        if log_format not in FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {value!r}")
        return log_format


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
