"""Exception handlers: every failure answers with the one JSON error shape."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.services.api.errors import (
    ApiError,
    http_error,
    invalid_fields,
    malformed_json,
    to_api_error,
)
from app.services.llm.errors import GatewayError
from app.services.prompts import PromptError
from app.services.usage.errors import UsageError


def error_response(error: ApiError) -> JSONResponse:
    """The JSON response for ``error``."""
    return JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)


def _sees_costs(request: Request) -> bool:
    caller = getattr(request.state, "caller", None)
    return bool(caller is not None and caller.sees_costs)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(to_api_error(exc, owner=_sees_costs(request)))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(invalid_fields(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    error = getattr(exc, "error", None)
    if not isinstance(error, ApiError):
        # FastAPI answers 400 only when it cannot read the body (e.g. not UTF-8).
        error = malformed_json() if exc.status_code == 400 else http_error(exc.status_code)
        error.headers.update(exc.headers or {})
    return error_response(error)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Logged by to_api_error; the client gets a bare 500, never a traceback.
    return error_response(to_api_error(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for kind in (ApiError, UsageError, GatewayError, PromptError):
        app.add_exception_handler(kind, _service_error)
    app.add_exception_handler(Exception, _unhandled)
