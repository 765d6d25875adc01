"""Pure ASGI middleware (streaming-safe): the body-size cap, the body-read deadline
and the per-request headers."""

from __future__ import annotations

import asyncio
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.api.errors import ApiError, check_header_size, request_timeout
from app.services.api.requests import DRAIN_BYTES, BodyLimit


class ApiHTTPException(HTTPException):
    """An ApiError raised where FastAPI only lets HTTPExceptions through (body reading)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(status_code=error.status, detail=error.message, headers=error.headers)
        self.error = error


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes``: a declared Content-Length up front, a chunked
    body as soon as the bytes received pass the cap (Starlette has no cap of its own).
    431 first for header fields over ``MAX_HEADER_BYTES`` together (uvicorn has no
    limit of its own with httptools)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BodyLimit(self.max_bytes)
        more_body = True

        async def limited_receive() -> Message:
            nonlocal more_body
            message = await receive()
            if message["type"] == "http.request":
                more_body = message.get("more_body", False)
                try:
                    limit.feed(len(message.get("body", b"")))
                except ApiError as error:
                    await _drain(receive, more_body)
                    raise ApiHTTPException(error) from None
            return message

        try:
            check_header_size(sum(len(name) + len(value) for name, value in scope["headers"]))
            limit.check_declared(Headers(scope=scope).get("content-length"))
        except ApiError as error:
            await _drain(receive, more_body)
            response = JSONResponse(
                error.to_json(), status_code=error.status, headers=error.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, limited_receive, send)


class BodyTimeoutMiddleware:
    """408 when a request body is not complete ``timeout_seconds`` after the request
    started: a client trickling its body must not hold a connection open for long.

    uvicorn has no body-read timeout of its own (and none for headers: a reverse
    proxy in front bounds those). Only reads of the body are bounded; waiting for a
    disconnect once the body is in (streams do) is not.
    """

    def __init__(self, app: ASGIApp, *, timeout_seconds: float) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_seconds
        body_complete = False

        async def timed_receive() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                raise ApiHTTPException(request_timeout(self.timeout_seconds)) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        await self.app(scope, timed_receive, send)


async def _drain(receive: Receive, more_body: bool) -> None:
    """Read and drop up to DRAIN_BYTES of a refused body, so the 413 reaches the client."""
    drained = 0
    while more_body and drained <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        more_body = message.get("more_body", False)


class CallerHeadersMiddleware:
    """Adds the caller's rate-limit and soft-warning headers to every response.

    The auth dependency stores the caller on ``request.state``; this reads it when
    the response starts, so error responses and streams get the headers too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                caller = scope.get("state", {}).get("caller")
                if caller is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in caller.meta.headers().items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
