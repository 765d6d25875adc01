"""Small assertions and parsers the contract tests share."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the one JSON error shape with ``status`` (and ``code``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"type", "code", "message", "status"} <= set(error), error
    assert error["status"] == status
    if code is not None:
        assert error["code"] == code, error
    text = response.text.lower()
    assert "traceback" not in text and "<html" not in text
    return dict(error)


@dataclass(frozen=True, slots=True)
class Event:
    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(lines: Iterable[str]) -> list[Event]:
    """Server-sent events from decoded lines (blank line = end of an event)."""
    events: list[Event] = []
    name: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                events.append(Event(name, "\n".join(data)))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        events.append(Event(name, "\n".join(data)))
    return events


def chat_body(
    text: str = "Summarise: the quick brown fox jumps over the lazy dog.", **extra: Any
) -> dict[str, Any]:
    """A minimal valid ``POST /v1/chat`` body."""
    return {"messages": [{"role": "user", "content": text}], **extra}
