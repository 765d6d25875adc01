"""ASGI entry point: ``uvicorn app.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.catalog import PRODUCT_NAME
from app.core.config import Settings, get_settings
from app.core.db import create_engine_for
from app.routers import health


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own ``Settings``."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_engine_for(settings.database_url)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(title=PRODUCT_NAME, lifespan=lifespan)
    app.state.settings = settings
    app.include_router(health.router)
    return app


app = create_app()
