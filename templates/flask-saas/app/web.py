"""The request plumbing every blueprint shares: body cap, auth, JSON in and out, SSE.

Checks run in the order both apps share: body size (413), JSON syntax when the
body is declared JSON (400), the API key (401/403), content type (415), fields
(422). Handlers stay thin: read with ``authenticated``/``authenticated_body``,
call the ``ApiService``, answer with ``json_response``/``event_stream``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app import draining
from app.services.api import sse
from app.services.api.auth import Caller
from app.services.api.errors import (
    ApiError,
    check_header_size,
    http_error,
    malformed_json,
    request_timeout,
    to_api_error,
)
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
# Errors that leave part of the body unread: the connection cannot be reused.
_UNREAD_BODY_CODES = frozenset({"body_too_large", "request_timeout"})


def api() -> ApiService:
    """The app's ``ApiService``."""
    service: ApiService = current_app.extensions["api"]
    return service


# -- body size ---------------------------------------------------------------------------


class _ReadWatchdog:
    """One thread per process that ends the body reads whose deadline has passed.

    gunicorn reads until it holds the bytes asked for, so a socket timeout (which
    bounds each recv) cannot bound a body trickled a byte at a time. At the
    deadline this shuts the socket's read side: the blocked read returns what it
    has and the request is answered with a 408 (the write side still works).
    """

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, socket.socket]] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, deadline: float) -> int:
        """Watch ``sock`` until ``deadline`` (monotonic); returns a token for ``disarm``."""
        token = id(sock)
        with self._wake:
            self._armed[token] = (deadline, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="body-deadline", daemon=True)
                self._thread.start()
            self._wake.notify()
        return token

    def disarm(self, token: int) -> None:
        """Stop watching (the body is complete, or the request is over)."""
        with self._wake:
            self._armed.pop(token, None)

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                for token, (deadline, sock) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RD)
                next_deadline = min((d for d, _ in self._armed.values()), default=None)
                self._wake.wait(None if next_deadline is None else next_deadline - now)


_WATCHDOG = _ReadWatchdog()


class BodyDeadline:
    """The moment a request body must be complete by (408 after it).

    Under gunicorn the connection's socket is in the environ, and a watchdog ends
    a read still blocked at the deadline; other servers get the check between reads.
    """

    def __init__(self, environ: dict[str, Any], timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._deadline = time.monotonic() + timeout_seconds
        sock = environ.get("gunicorn.socket")
        self._socket = sock if isinstance(sock, socket.socket) else None
        self._token: int | None = None
        self.done = False

    def read(self, read: Callable[[], bytes]) -> bytes:
        """The result of ``read()``, bounded by the deadline."""
        if self.done:
            return read()
        if time.monotonic() >= self._deadline:
            raise request_timeout(self.timeout_seconds)
        if self._socket is not None and self._token is None:
            self._token = _WATCHDOG.arm(self._socket, self._deadline)
        data = read()
        if time.monotonic() >= self._deadline:
            self.finish()
            raise request_timeout(self.timeout_seconds)
        return data

    def finish(self) -> None:
        """The body is complete (or abandoned): no deadline any more."""
        self.done = True
        if self._token is not None:
            _WATCHDOG.disarm(self._token)
            self._token = None


class LimitedInput:
    """``wsgi.input`` that counts bytes as they are read and raises 413 past the cap
    (408 past the body's deadline).

    Reads are bounded, so even ``read()`` of a huge chunked body stops at the cap
    instead of buffering it (werkzeug's MAX_CONTENT_LENGTH would truncate silently).
    """

    def __init__(
        self, stream: Any, limit: BodyLimit, deadline: BodyDeadline, length: int | None
    ) -> None:
        self._stream = stream
        self._limit = limit
        self._deadline = deadline
        self._length = length  # the declared Content-Length, if any

    def _counted(self, data: bytes, asked: int) -> bytes:
        self._limit.feed(len(data))
        if (asked and not data) or (
            self._length is not None and self._limit.received >= self._length
        ):
            self._deadline.finish()  # the whole body is in
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all of the body when negative), counted."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        data = self._deadline.read(lambda: self._stream.read(min(size, _CHUNK) if size else 0))
        return self._counted(data, size)

    def readline(self, size: int | None = -1) -> bytes:
        """One line of the body, counted."""
        limit = _CHUNK if size is None or size < 0 else size
        line = self._deadline.read(lambda: self._stream.readline(limit))
        return self._counted(line, limit)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class BodyLimitMiddleware:
    """WSGI middleware: 431 for header fields over ``MAX_HEADER_BYTES`` together; 413
    for a declared Content-Length over the cap, and for any body (chunked too) whose
    bytes pass the cap while the app reads it; 408 for a body still incomplete
    ``timeout_seconds`` after the request arrived."""

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        max_bytes: int,
        timeout_seconds: float,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        limit = BodyLimit(self.max_bytes)
        raw = environ["wsgi.input"]
        try:
            check_header_size(_header_size(environ))
            limit.check_declared(environ.get("CONTENT_LENGTH") or None)
        except ApiError as error:
            _drain(raw, _declared_length(environ))
            response = _error_response(error, close=True)
            return response(environ, start_response)
        deadline = BodyDeadline(environ, self.timeout_seconds)
        declared = environ.get("CONTENT_LENGTH")
        length = int(declared) if declared else None
        environ["wsgi.input"] = LimitedInput(raw, limit, deadline, length)
        try:
            result = self.wsgi_app(environ, start_response)
        finally:
            deadline.finish()
        if limit.exceeded and environ.get("wsgi.input_terminated"):
            _drain(raw, None)
        return result


def _header_size(environ: dict[str, Any]) -> int:
    """The request's header fields, names and values, in bytes (as the client sent them)."""
    size = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            size += len(key) - 5 + len(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            size += len(key) + len(value)
    return size


def _declared_length(environ: dict[str, Any]) -> int:
    """The declared Content-Length, or 0 when there is none (or it is not a number)."""
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


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
        g.caller = api().authenticate(request.headers.get("Authorization"), header_map())
    caller: Caller = g.caller
    return caller


def authenticated_body(model: type[ModelT]) -> tuple[Caller, ModelT]:
    """The caller and the validated JSON body, checked in the shared order."""
    raw = read_body()
    content_type = request.headers.get("Content-Type")
    data: Any = _MISSING
    if raw and is_json(content_type):
        try:
            data = decode_json(raw)
        except RecursionError:
            # Nested deeper than the parser recurses (100,000 "["): not JSON we read.
            raise malformed_json() from None
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
            for event in events:
                yield event
                if draining.should_cut():
                    break  # shutting down: settle as cancelled (app/draining.py)
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


def _sees_costs() -> bool:
    caller = g.get("caller")
    return bool(caller is not None and caller.sees_costs)


def install(app: Flask, *, max_body_bytes: int, body_timeout_seconds: float) -> None:
    """Body cap and deadline, JSON error handlers and per-caller headers on ``app``."""
    app.wsgi_app = BodyLimitMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, max_body_bytes, body_timeout_seconds
    )

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
        error = to_api_error(exc, owner=_sees_costs())
        return _error_response(error, close=error.code in _UNREAD_BODY_CODES)

    @app.after_request
    def _caller_headers(response: Response) -> Response:
        caller = g.get("caller")
        if caller is not None:
            for name, value in caller.meta.headers().items():
                response.headers.setdefault(name, value)
        return response


def header_map() -> dict[str, str]:
    """The request's headers as a plain mapping, the shape the API service reads.

    WSGI servers join a repeated header's values with commas: one value per name.
    """
    return dict(request.headers.items())
