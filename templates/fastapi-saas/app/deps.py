"""Request dependencies shared by the routers: the services, the caller, the body checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.services.api.auth import Caller
from app.services.api.requests import require_json
from app.services.api.service import ApiService


def get_engine(request: Request) -> AsyncEngine:
    """The app's database engine."""
    engine: AsyncEngine = request.app.state.engine
    return engine


def get_api(request: Request) -> ApiService:
    """The app's ``ApiService``."""
    api: ApiService = request.app.state.api
    return api


def joined_headers(request: Request) -> dict[str, str]:
    """The request's headers, a repeated field's values joined with commas (RFC 9110).

    What WSGI servers hand Flask, so both apps check the same values: two
    ``X-Workspace-Id`` fields are one claim naming two workspaces, refused with a
    403, never only the last of them checked.
    """
    joined: dict[str, str] = {}
    for name, value in request.headers.items():
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


async def get_caller(request: Request, api: Annotated[ApiService, Depends(get_api)]) -> Caller:
    """The caller behind the Bearer key (401/403 otherwise); kept for the response headers."""
    caller = await api.authenticate(request.headers.get("authorization"), joined_headers(request))
    request.state.caller = caller
    return caller


async def get_json_caller(
    request: Request, caller: Annotated[Caller, Depends(get_caller)]
) -> Caller:
    """The caller of a request with a body: 415 unless the body is JSON.

    Checked after the key and before the body's fields, the order both apps share.
    """
    require_json(request.headers.get("content-type"))
    return caller


EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
ApiDep = Annotated[ApiService, Depends(get_api)]
CallerDep = Annotated[Caller, Depends(get_caller)]
JsonCallerDep = Annotated[Caller, Depends(get_json_caller)]
# `?cache=off|refresh`: skip the response cache for this request (also Cache-Control).
CacheParam = Annotated[str | None, Query(alias="cache")]
