"""Server-sent events (``text/event-stream``), encoded once for both web layers.

``POST /v1/chat`` streams ``event: delta`` per piece of text, then one ``event:
end`` (usage and cost) or one ``event: error`` (the same error object as a JSON
error response). ``POST /v1/chat/completions`` streams OpenAI's format: unnamed
``data:`` chunks and a final ``data: [DONE]``.
"""

from __future__ import annotations

from pydantic import BaseModel

MEDIA_TYPE = "text/event-stream"

# No caching, and no buffering by a reverse proxy (nginx honours X-Accel-Buffering).
HEADERS: dict[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

DONE = b"data: [DONE]\n\n"


def encode(data: str, *, event: str | None = None, event_id: str | None = None) -> bytes:
    """One event; multi-line data becomes several ``data:`` lines, as the format requires."""
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def encode_model(payload: BaseModel, *, event: str | None = None) -> bytes:
    """One event whose data is ``payload`` as compact JSON (always a single line)."""
    return encode(payload.model_dump_json(exclude_none=False), event=event)
