"""Per-request observability for the ASGI app: the request id and the request's log line.

Outermost of the app's middleware, so every response carries ``X-Request-ID``:
errors, refusals of the other middleware, streams, and even an exception that
escaped every handler (answered here with the API's 500 JSON).
"""

from __future__ import annotations

import asyncio
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.metrics import UNMATCHED_ROUTE
from app.services.api import access
from app.services.api.errors import to_api_error


# The tasks serving requests right now (shutdown waits for them: see ``requests_done``).
_in_flight: set[asyncio.Task[object]] = set()


async def requests_done(within: float) -> None:
    """Wait (up to ``within`` seconds) for the requests still being served to finish.

    At a graceful shutdown uvicorn cancels the streams still running after its grace
    period and then shuts the app down at once; a cancelled stream still has to
    settle its ledger row, which it does as its task unwinds. The app's lifespan
    waits here before closing the database.
    """
    current = asyncio.current_task()
    pending = [task for task in _in_flight if task is not current and not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=within)


class RequestContextMiddleware:
    """Accepts or makes the request id, returns it, and logs one line per request when
    its response is complete (a stream's when its last byte is sent or it is cut)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = access.request_id(Headers(scope=scope).get(access.REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        event_id: str | None = None
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, event_id, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[access.REQUEST_ID_HEADER] = request_id
                event_id = headers.get(access.EVENT_ID_HEADER)
            await send(message)

        task = asyncio.current_task()
        if task is not None:
            _in_flight.add(task)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:
                raise
            # to_api_error logs it; the client gets the API's bare 500, with its id.
            error = to_api_error(exc)
            response = JSONResponse(
                error.to_json(), status_code=error.status, headers=error.headers
            )
            await response(scope, receive, send_with_id)
        finally:
            access.finish(_record(scope, request_id, status, started, event_id))
            if task is not None:
                _in_flight.discard(task)


def _record(
    scope: Scope, request_id: str, status: int, started: float, event_id: str | None
) -> access.RequestRecord:
    route = scope.get("route")
    caller = scope.get("state", {}).get("caller")
    return access.RequestRecord(
        request_id=request_id,
        method=scope["method"],
        route=getattr(route, "path", None) or UNMATCHED_ROUTE,
        status=status,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        workspace_id=str(caller.workspace_id) if caller is not None else None,
        user_id=str(caller.user_id) if caller is not None and caller.user_id else None,
        event_id=event_id,
    )
