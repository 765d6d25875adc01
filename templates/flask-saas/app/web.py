"""The request plumbing every blueprint shares: body cap, auth, JSON in and out, SSE.

Checks run in the order both apps share: body size (413), JSON syntax when the
body is declared JSON (400), the API key (401/403), content type (415), fields
(422). Handlers stay thin: read with ``authenticated``/``authenticated_body``,
call the ``ApiService``, answer with ``json_response``/``event_stream``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.services.api import sse
from app.services.api.auth import Caller
from app.services.api.errors import ApiError, http_error, to_api_error
from app.services.api.requests import (
    DRAIN_BYTES,
    BodyLimit,
    decode_json,
    is_json,
    missing_body,
    require_json,
    validate,
)
from app.services.api.service import ApiService, OpenedStream

ModelT = TypeVar("ModelT", bound=BaseModel)
_CHUNK = 64 * 1024
_MISSING = object()


def api() -> ApiService:
    """The app's ``ApiService``."""
    service: ApiService = current_app.extensions["api"]
    return service


# -- body size ---------------------------------------------------------------------------


class LimitedInput:
    """``wsgi.input`` that counts bytes as they are read and raises 413 past the cap.

    Reads are bounded, so even ``read()`` of a huge chunked body stops at the cap
    instead of buffering it (werkzeug's MAX_CONTENT_LENGTH would truncate silently).
    """

    def __init__(self, stream: Any, limit: BodyLimit) -> None:
        self._stream = stream
        self._limit = limit

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all of the body when negative), counted."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        data: bytes = self._stream.read(min(size, _CHUNK) if size else 0)
        self._limit.feed(len(data))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """One line of the body, counted."""
        line: bytes = self._stream.readline(_CHUNK if size is None or size < 0 else size)
        self._limit.feed(len(line))
        return line

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class BodyLimitMiddleware:
    """WSGI middleware: 413 for a declared Content-Length over the cap, and for any
    body (chunked too) whose bytes pass the cap while the app reads it."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], max_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        limit = BodyLimit(self.max_bytes)
        raw = environ["wsgi.input"]
        try:
            limit.check_declared(environ.get("CONTENT_LENGTH") or None)
        except ApiError as error:
            _drain(raw, int(environ["CONTENT_LENGTH"]))
            response = _error_response(error, close=True)
            return response(environ, start_response)
        environ["wsgi.input"] = LimitedInput(raw, limit)
        result = self.wsgi_app(environ, start_response)
        if limit.exceeded and environ.get("wsgi.input_terminated"):
            _drain(raw, None)
        return result


def _drain(stream: Any, declared: int | None) -> None:
    """Read and drop up to DRAIN_BYTES of a refused body, so the 413 reaches the client
    (closing a connection with unread bytes resets it)."""
    left = DRAIN_BYTES if declared is None else min(declared, DRAIN_BYTES)
    while left > 0:
        data = stream.read(min(left, _CHUNK))
        if not data:
            return
        left -= len(data)


def read_body() -> bytes:
    """The whole request body (413 past the cap, raised while reading)."""
    if "raw_body" not in g:
        g.raw_body = request.get_data(cache=False)
    raw: bytes = g.raw_body
    return raw


# -- auth and bodies ---------------------------------------------------------------------


def authenticated() -> Caller:
    """The caller behind the Bearer key (401/403 otherwise); kept for the response headers."""
    if "caller" not in g:
        g.caller = api().authenticate(request.headers.get("Authorization"), request.headers)
    caller: Caller = g.caller
    return caller


def authenticated_body(model: type[ModelT]) -> tuple[Caller, ModelT]:
    """The caller and the validated JSON body, checked in the shared order."""
    raw = read_body()
    content_type = request.headers.get("Content-Type")
    data: Any = _MISSING
    if raw and is_json(content_type):
        data = decode_json(raw)
    caller = authenticated()
    require_json(content_type)
    if data is _MISSING:
        raise missing_body()
    return caller, validate(model, data)


# -- responses ---------------------------------------------------------------------------


def json_response(body: BaseModel, status: int = 200) -> Response:
    """``body`` as JSON, serialised by pydantic exactly as the FastAPI app does."""
    return current_app.response_class(
        body.model_dump_json(), status=status, mimetype="application/json"
    )


def event_stream(events: Iterator[bytes], opened: OpenedStream) -> Response:
    """A ``text/event-stream`` response that closes the model call however it ends.

    When the client disconnects, the server's next write fails and it closes the
    response; closing ``events`` and the opened stream stops the upstream request
    and settles the call as cancelled.
    """

    def generate() -> Iterator[bytes]:
        try:
            yield from events
        finally:
            _close(events)
            _close(opened.events)

    return current_app.response_class(
        generate(), mimetype=sse.MEDIA_TYPE, headers=sse.HEADERS, direct_passthrough=True
    )


def _close(stream: object) -> None:
    # The sync flavour of an async stream's aclose() is close().
    close = getattr(stream, "close", None) or getattr(stream, "aclose", None)
    if close is not None:
        close()


def _error_response(error: ApiError, *, close: bool = False) -> Response:
    response = Response(_dumps(error.to_json()), status=error.status, mimetype="application/json")
    response.headers.update(error.headers)
    if close:
        # The rest of the body was never read: the connection cannot be reused.
        response.headers["Connection"] = "close"
    return response


def _dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


# -- wiring ------------------------------------------------------------------------------


def _is_owner() -> bool:
    caller = g.get("caller")
    return bool(caller is not None and caller.is_owner)


def install(app: Flask, *, max_body_bytes: int) -> None:
    """Body cap, JSON error handlers and per-caller headers on ``app``."""
    app.wsgi_app = BodyLimitMiddleware(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        error = http_error(exc.code or 500)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            # The methods this API defines (Flask adds HEAD and OPTIONS on its own).
            defined = sorted(set(exc.valid_methods) - {"HEAD", "OPTIONS"})
            error.headers["Allow"] = ", ".join(defined)
        return _error_response(error, close=exc.code == 413)

    @app.errorhandler(Exception)
    def _any_error(exc: Exception) -> Response:
        # ApiError, usage, gateway and prompt errors map to their status; anything
        # else is logged and answered with a bare 500 (never a traceback or HTML page).
        error = to_api_error(exc, owner=_is_owner())
        return _error_response(error, close=error.code == "body_too_large")

    @app.after_request
    def _caller_headers(response: Response) -> Response:
        caller = g.get("caller")
        if caller is not None:
            for name, value in caller.meta.headers().items():
                response.headers.setdefault(name, value)
        return response
