"""The LLM gateway's HTTP transport for this flavour: aiohttp, one pooled session.

Chosen by measurement: under concurrency httpx's async client fell far behind
aiohttp on this kind of machine (pass-through p50 30 ms vs 6 ms at 10 connections).
The session is created lazily inside the running event loop and closed by
``aclose()``. The Flask flavour has a module of the same name and shape.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from app.services.llm.http import (
    HttpResponse,
    TransportConnectionError,
    TransportError,
    TransportTimeout,
)


def _transport_error(exc: BaseException, *, sent: bool) -> TransportError:
    """Map an aiohttp (or asyncio) failure to the gateway's transport errors."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportTimeout("timed out connecting to the upstream", sent=False)
    if isinstance(exc, TimeoutError):  # aiohttp.SocketTimeoutError and friends
        return TransportTimeout("timed out waiting for the upstream", sent=sent)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportConnectionError(f"cannot connect: {exc.os_error}", sent=False)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportConnectionError("the upstream cut the response short", sent=True)
    return TransportConnectionError(f"connection failed: {type(exc).__name__}", sent=sent)


class StreamingResponse:
    """An open response whose body is read chunk by chunk as it arrives."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read(self) -> bytes:
        """The rest of the body (for error answers, which are small)."""
        try:
            return await self._response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _transport_error(exc, sent=True) from exc

    async def next_chunk(self) -> bytes:
        """The next bytes received, as soon as any arrive; ``b""`` at the end."""
        try:
            return await self._response.content.readany()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _transport_error(exc, sent=True) from exc

    async def aclose(self) -> None:
        """Close now. An unfinished body closes the connection (not back to the pool)."""
        self._response.close()


class HttpTransport:
    """Pooled HTTP client for provider calls (one per gateway, i.e. per process)."""

    def __init__(
        self, *, connect_timeout: float, read_timeout: float, max_connections: int = 100
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession must belong to the running loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpResponse:
        """POST and read the whole answer."""
        try:
            async with self._client().post(url, data=body, headers=headers) as response:
                data = await response.read()
                return HttpResponse(response.status, response.headers, data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _transport_error(exc, sent=True) from exc

    async def open_stream(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> StreamingResponse:
        """POST and return once the status and headers have arrived."""
        try:
            response = await self._client().post(url, data=body, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _transport_error(exc, sent=True) from exc
        return StreamingResponse(response)

    async def aclose(self) -> None:
        """Close the pool (the gateway's ``aclose`` calls this at shutdown)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
