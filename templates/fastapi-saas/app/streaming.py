"""Server-sent events that stop the model call as soon as the client goes away.

Starlette's ``StreamingResponse`` cancels the whole response through an anyio
cancel scope when the client disconnects; inside that scope every later await is
cancelled again, so the usage layer could not write the ledger row of the
cancelled call. Here the body runs as its own task, cancelled exactly once: the
gateway closes the upstream request and the usage layer settles the call
(``cancelled``, with the partial usage) before the task ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.services.api import sse
from app.services.api.service import OpenedStream


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` from ``body``; closes ``opened`` however the stream ends."""

    media_type = sse.MEDIA_TYPE

    def __init__(self, body: AsyncGenerator[bytes, None], opened: OpenedStream) -> None:
        super().__init__(body, headers=sse.HEADERS, media_type=sse.MEDIA_TYPE)
        self._body = body
        self._opened = opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the body while watching for the client going away."""
        streaming = asyncio.ensure_future(self.stream_response(send))
        watching = asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watching.cancel()
            if not streaming.done():
                streaming.cancel()  # the client left: stop the model call now
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await streaming
            finally:
                # Normally closed already; this covers a stream that stopped on an error.
                await self._body.aclose()
                await self._opened.events.aclose()


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
