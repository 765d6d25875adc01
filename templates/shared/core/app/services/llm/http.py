"""What the gateway needs from an HTTP client, whatever library the flavour uses.

Each web flavour ships ``app/services/llm/transport.py`` (aiohttp for FastAPI,
urllib3 for Flask) with the same class and method names, raising only the errors
below, so the gateway's async source unasyncs into correct sync code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A whole (non-streamed) response."""

    status: int
    headers: Mapping[str, str]  # case-insensitive, as the client library gives them
    body: bytes


class TransportError(Exception):
    """The request failed below HTTP (no status): connect, read, or a cut body.

    ``sent`` is False only when the request certainly never reached the upstream
    (connection refused, connect timeout): then nothing can have been billed.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class TransportTimeout(TransportError):
    """Connecting, or waiting for the next bytes, took longer than the timeout."""


class TransportConnectionError(TransportError):
    """The connection could not be made, or broke (including a body cut short)."""
