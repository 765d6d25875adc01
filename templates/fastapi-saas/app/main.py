"""ASGI entry point: ``uvicorn app.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.catalog import PRODUCT_NAME
from app.core.config import Settings, get_settings
from app.core.flavour import settle_shielded
from app.core.logging import configure_logging
from app.errors import install_error_handlers
from app.middleware import BodyLimitMiddleware, BodyTimeoutMiddleware, CallerHeadersMiddleware
from app.observability import RequestContextMiddleware, requests_done
from app.routers import billing, chat, credit, health, keys, llm_router, prompt_template, usage
from app.routers import admin as admin_router
from app.routers import metrics as metrics_router
from app.routers import reports as reports_router
from app.routers.features import ROUTERS as FEATURE_ROUTERS
from app.services.api.runtime import RuntimeOptions, max_body_bytes, open_runtime
from app.services.api.service import ApiService

# How long shutdown waits for settlements still running (a database retry included).
SETTLE_AT_SHUTDOWN_SECONDS = 10.0


def create_app(
    settings: Settings | None = None, *, options: RuntimeOptions | None = None
) -> FastAPI:
    """Build the app; tests pass their own ``Settings`` (and ``RuntimeOptions``)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await open_runtime(settings, options)
        app.state.runtime = runtime
        app.state.engine = runtime.engine
        app.state.api = ApiService(runtime)
        try:
            yield
        finally:
            # Streams cut by a graceful shutdown settle their ledger rows first.
            await requests_done(SETTLE_AT_SHUTDOWN_SECONDS)
            await settle_shielded(SETTLE_AT_SHUTDOWN_SECONDS)
            await runtime.close()

    app = FastAPI(title=PRODUCT_NAME, lifespan=lifespan)
    app.state.settings = settings
    # Added last = outermost: the headers wrap everything, the body cap and the
    # body-read deadline wrap the routes.
    app.add_middleware(BodyTimeoutMiddleware, timeout_seconds=settings.body_timeout_seconds)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes(settings, options))
    app.add_middleware(CallerHeadersMiddleware)
    # Outermost: the request id and log line cover every response, refusals included.
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics_router.router)
    for module in (chat, llm_router, usage, credit, prompt_template, billing, keys):
        app.include_router(module.router)
    app.include_router(reports_router.router)
    app.include_router(admin_router.router)
    for router in FEATURE_ROUTERS:  # the optional features' (app/routers/features.py)
        app.include_router(router)
    return app


app = create_app()
