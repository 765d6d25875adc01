"""Per-request observability for the WSGI app: the request id and the request's log line.

A WSGI middleware outside every other one, so every response carries
``X-Request-ID`` (the body-cap refusals too). Flask tells it the route template and
the caller through the WSGI environ; it logs when the response's body is closed,
so a stream's line comes when its last byte is sent or it is cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, g, request

from app.core.metrics import UNMATCHED_ROUTE
from app.services.api import access

_ROUTE = "app.route"
_CALLER = "app.caller"
_REQUEST_ID = "app.request_id"


class RequestContextMiddleware:
    """Accepts or makes the request id, returns it, and logs one line per request."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        started = time.perf_counter()
        request_id = access.request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[_REQUEST_ID] = request_id
        seen: dict[str, Any] = {"status": 500, "event_id": None}

        def start_with_id(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((access.REQUEST_ID_HEADER, request_id))
            for name, value in headers:
                if name.lower() == access.EVENT_ID_HEADER.lower():
                    seen["event_id"] = value
            return start_response(status, headers, *args)

        def finish() -> None:
            caller = environ.get(_CALLER)
            access.finish(
                access.RequestRecord(
                    request_id=request_id,
                    method=environ.get("REQUEST_METHOD", ""),
                    route=environ.get(_ROUTE) or UNMATCHED_ROUTE,
                    status=seen["status"],
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    workspace_id=str(caller.workspace_id) if caller is not None else None,
                    user_id=str(caller.user_id) if caller is not None and caller.user_id else None,
                    event_id=seen["event_id"],
                )
            )

        try:
            body = self.wsgi_app(environ, start_with_id)
        except BaseException:
            finish()
            raise
        return _Closing(body, finish)


class _Closing:
    """The response body, calling ``on_close`` once after the server closes it."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        """Close the wrapped body (it settles a stream), then log."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()


def install_observability(app: Flask) -> None:
    """Wrap ``app`` (outermost) and let Flask report the route and the caller."""
    app.wsgi_app = RequestContextMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.teardown_request
    def _report(_exc: BaseException | None) -> None:
        # Runs before a stream's body is sent: the environ outlives the request context.
        rule = request.url_rule
        request.environ[_ROUTE] = rule.rule if rule is not None else None
        request.environ[_CALLER] = g.get("caller")
