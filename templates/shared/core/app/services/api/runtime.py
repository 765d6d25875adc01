"""The services one app process shares, opened at startup and closed at shutdown.

Both web layers build exactly this (FastAPI in its lifespan, Flask in the app
factory), so the two apps run the same gateway, usage layer, cache and prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.db import create_engine_for
from app.services.accounts import Accounts
from app.services.cache import ResponseCache, build_response_cache
from app.services.llm.settings import GatewaySettings
from app.services.llm.types import ChatGateway
from app.services.llm_gateway import LLMGateway, create_gateway
from app.services.prompts import PROMPTS_DIR, PromptStore, PublishLimits
from app.services.prompts.catalog import PromptCatalog
from app.services.usage import UsageService
from app.services.usage.ratelimit import RateLimiter, rate_limiter_for
from app.services.usage.tenancy import TenantDatabase


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """What tests (or an embedding program) may change; production uses the defaults."""

    # Provider keys and URLs; default: read from the environment.
    gateway_settings: GatewaySettings | None = None
    # A ready-made gateway (a test double); the runtime then does not close it.
    gateway: ChatGateway | None = None
    # The prompt files loaded into the store; default: this app's app/prompts.
    prompts_root: Path | None = None
    # The request-body cap; default: ``max_body_bytes(settings)``.
    max_body_bytes: int | None = None


@dataclass(slots=True)
class Runtime:
    """Everything a request handler needs, created once per process."""

    settings: Settings
    engine: AsyncEngine
    db: TenantDatabase
    accounts: Accounts
    usage: UsageService
    prompts: PromptCatalog
    cache: ResponseCache
    limiter: RateLimiter
    max_body_bytes: int
    # The gateway this runtime created (and closes); None when the caller passed one.
    own_gateway: LLMGateway | None = None

    async def close(self) -> None:
        """Release connections: gateway, limiter (via the usage layer), cache, database."""
        if self.own_gateway is not None:
            await self.own_gateway.aclose()
        await self.usage.close()
        await self.cache.close()
        await self.engine.dispose()


def max_body_bytes(settings: Settings, options: RuntimeOptions | None = None) -> int:
    """The request-body cap: the options', else ``MAX_BODY_BYTES`` (1 MiB by default)."""
    if options is not None and options.max_body_bytes:
        return options.max_body_bytes
    return settings.max_body_bytes


async def open_runtime(settings: Settings, options: RuntimeOptions | None = None) -> Runtime:
    """Open the process's services (``options`` are for tests)."""
    options = options or RuntimeOptions()
    engine = create_engine_for(settings.database_url)
    db = TenantDatabase(engine)
    limiter = rate_limiter_for(settings.redis_url)
    cache = build_response_cache(settings)
    own_gateway = None
    gateway = options.gateway
    if gateway is None:
        # Provider keys from the environment; with none, the offline local provider.
        gateway = own_gateway = create_gateway(options.gateway_settings)
    usage = UsageService(
        engine,
        gateway,
        limiter=limiter,
        cache=cache,
        environment=settings.environment,
    )
    return Runtime(
        settings=settings,
        engine=engine,
        db=db,
        accounts=Accounts(db),
        usage=usage,
        prompts=PromptCatalog(
            db,
            PromptStore(
                options.prompts_root or PROMPTS_DIR,
                limits=PublishLimits(settings.prompt_max_bytes, settings.prompt_max_versions),
            ),
            refresh_seconds=settings.prompt_refresh_seconds,
        ),
        cache=cache,
        limiter=limiter,
        max_body_bytes=max_body_bytes(settings, options),
        own_gateway=own_gateway,
    )
