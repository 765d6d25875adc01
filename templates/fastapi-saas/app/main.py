"""ASGI entry point: ``uvicorn app.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.catalog import PRODUCT_NAME
from app.core.config import Settings, get_settings
from app.core.logging import configure_logging
from app.errors import install_error_handlers
from app.middleware import BodyLimitMiddleware, BodyTimeoutMiddleware, CallerHeadersMiddleware
from app.routers import billing, chat, credit, health, llm_router, prompt_template, usage
from app.routers.features import ROUTERS as FEATURE_ROUTERS
from app.services.api.runtime import RuntimeOptions, max_body_bytes, open_runtime
from app.services.api.service import ApiService


def create_app(
    settings: Settings | None = None, *, options: RuntimeOptions | None = None
) -> FastAPI:
    """Build the app; tests pass their own ``Settings`` (and ``RuntimeOptions``)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await open_runtime(settings, options)
        app.state.runtime = runtime
        app.state.engine = runtime.engine
        app.state.api = ApiService(runtime)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=PRODUCT_NAME, lifespan=lifespan)
    app.state.settings = settings
    # Added last = outermost: the headers wrap everything, the body cap and the
    # body-read deadline wrap the routes.
    app.add_middleware(BodyTimeoutMiddleware, timeout_seconds=settings.body_timeout_seconds)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes(settings, options))
    app.add_middleware(CallerHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (chat, llm_router, usage, credit, prompt_template, billing):
        app.include_router(module.router)
    for router in FEATURE_ROUTERS:  # the optional features' (app/routers/features.py)
        app.include_router(router)
    return app


app = create_app()
