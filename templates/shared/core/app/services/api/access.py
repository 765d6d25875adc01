"""The request id and the one log line (and metrics) per request, for both web layers.

A client (or the proxy in front) may send ``X-Request-ID``: it is kept when it is
1 to 128 characters of letters, digits and ``._:-`` (so it is safe in a log line
and a header), otherwise a fresh one is made. Either way the response carries it
and so does the request's log line. The line holds the request id, method, route
template, status, latency, workspace, user and ledger event id: never an API key,
a header value or a prompt.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass

from app.core.metrics import observe_request

REQUEST_ID_HEADER = "X-Request-ID"
EVENT_ID_HEADER = "X-Usage-Event-Id"
MAX_REQUEST_ID = 128
_REQUEST_ID_CHARS = re.compile(r"[A-Za-z0-9._:-]+")

logger = logging.getLogger("app.access")


def request_id(sent: str | None) -> str:
    """The request id sent by the client when it is acceptable, else a new one."""
    if sent is not None and len(sent) <= MAX_REQUEST_ID and _REQUEST_ID_CHARS.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What is known about a request once its response has been sent."""

    request_id: str
    method: str
    route: str  # the route template (``/v1/chat``), never the raw path
    status: int
    latency_ms: float
    workspace_id: str | None = None
    user_id: str | None = None
    event_id: str | None = None  # the ledger row the response answers


def finish(record: RequestRecord) -> None:
    """Log the request's line and count it in the metrics."""
    observe_request(record.route, record.method, record.status, record.latency_ms / 1000)
    logger.info(
        "%s %s %d %.1fms",
        record.method,
        record.route,
        record.status,
        record.latency_ms,
        extra={"fields": asdict(record)},
    )
