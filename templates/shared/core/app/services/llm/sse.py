"""An incremental Server-Sent Events decoder (the WHATWG event-stream format).

Bytes go in as they arrive from the network, in chunks of any size; complete
events come out. Lines end in LF, CRLF or CR (Gemini separates events with
CRLF CRLF, a CR may end one chunk and its LF start the next); comment lines
(``: keep-alive``, OpenRouter's ``: OPENROUTER PROCESSING``) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str  # "message" unless the stream named it (Anthropic does)
    data: str


class SseDecoder:
    """Feed bytes, get events. One decoder per response."""

    def __init__(self) -> None:
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._pending = b""  # an incomplete UTF-8 sequence at the end of a chunk
        self._skip_lf = False  # the last chunk ended in CR: a leading LF belongs to it

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Decode ``chunk`` and return the events it completes (often none or one)."""
        data = self._pending + chunk
        try:
            text = data.decode("utf-8")
            self._pending = b""
        except UnicodeDecodeError as exc:
            if exc.start < len(data) - 3:
                raise  # a real encoding error, not a sequence split across chunks
            text, self._pending = data[: exc.start].decode("utf-8"), data[exc.start :]
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        self._buffer += text
        events: list[SseEvent] = []
        while True:
            cut, width = _line_end(self._buffer)
            if cut < 0:
                break
            if width == 1 and self._buffer[cut] == "\r" and cut + 1 == len(self._buffer):
                # A CR at the very end may be the first half of a CRLF.
                self._skip_lf = True
            line, self._buffer = self._buffer[:cut], self._buffer[cut + width :]
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            if not self._data:
                self._event = ""
                return None
            event = SseEvent(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        # "id" and "retry" matter to browsers reconnecting, not to us.
        return None


def _line_end(buffer: str) -> tuple[int, int]:
    """Index and width of the first line ending in ``buffer``, or (-1, 0)."""
    lf = buffer.find("\n")
    cr = buffer.find("\r", 0, lf if lf >= 0 else len(buffer))
    if cr >= 0:
        return cr, 2 if buffer.startswith("\n", cr + 1) else 1
    return lf, 1 if lf >= 0 else 0
