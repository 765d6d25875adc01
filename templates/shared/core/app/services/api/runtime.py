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
from app.services.api.requests import DEFAULT_MAX_BODY_BYTES
from app.services.cache import ResponseCache, build_response_cache
from app.services.llm.types import ChatGateway
from app.services.prompts import PROMPTS_DIR, PromptStore
from app.services.usage.accounts import Accounts
from app.services.usage.ratelimit import RateLimiter, rate_limiter_for
from app.services.usage.service import UsageService
from app.services.usage.tenancy import TenantDatabase


@dataclass(slots=True)
class Runtime:
    """Everything a request handler needs, created once per process."""

    settings: Settings
    engine: AsyncEngine
    db: TenantDatabase
    accounts: Accounts
    usage: UsageService
    prompts: PromptStore
    cache: ResponseCache
    limiter: RateLimiter
    max_body_bytes: int

    async def close(self) -> None:
        """Release connections: limiter (via the usage layer), cache, database."""
        await self.usage.close()
        await self.cache.close()
        await self.engine.dispose()


def max_body_bytes(settings: Settings) -> int:
    """The request-body cap (``MAX_BODY_BYTES``; 1 MiB by default)."""
    value = getattr(settings, "max_body_bytes", None)
    return int(value) if value else DEFAULT_MAX_BODY_BYTES


async def open_runtime(
    settings: Settings,
    *,
    gateway: ChatGateway | None = None,
    prompts_root: Path | None = None,
) -> Runtime:
    """Open the process's services; tests may pass a gateway and a prompts directory."""
    engine = create_engine_for(settings.database_url)
    db = TenantDatabase(engine)
    limiter = rate_limiter_for(settings.redis_url)
    cache = build_response_cache(settings)
    if gateway is None:
        gateway = default_gateway(settings)
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
        prompts=PromptStore(prompts_root or PROMPTS_DIR),
        cache=cache,
        limiter=limiter,
        max_body_bytes=max_body_bytes(settings),
    )


def default_gateway(settings: Settings) -> ChatGateway:
    """The gateway configured from the environment (provider keys, local fallback)."""
    raise NotImplementedError("the LLM gateway is not wired yet")
