"""A fake LLM provider: real HTTP/1.1 on 127.0.0.1, served from a background thread.

One server speaks one wire format (OpenAI-compatible, Anthropic or Gemini) with
its real JSON, SSE framing (chunked transfer encoding, Gemini's CRLF CRLF),
status codes and headers. Tests script it per call::

    upstream.push(Failure("rate_limited", retry_after=7), Answer("Hi"))

Replies are used in order; when none is queued, it answers. Keys listed in
``bad_keys`` always get the provider's real "invalid key" answer. Works for both
app flavours: the server is threads, whatever the client is.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.error_bodies import FAKE_FAILURES
from tests.fakes.wire import ANTHROPIC, GEMINI, OPENAI, answer_body, stream_frames


@dataclass(frozen=True)
class Answer:
    """A 200 answer (whole or streamed, as the request asks)."""

    text: str = "Hello from the fake upstream!"
    input_tokens: int = 12  # uncached
    output_tokens: int = 7
    cached_tokens: int = 0
    chunks: tuple[str, ...] | None = None  # stream deltas (default: split the text)
    delay: float = 0.0  # seconds before the status line (longer than the timeout: "slow")
    cut_after: int | None = None  # streams: drop the connection after this many text chunks
    hold_after: int | None = None  # streams: stop after this many text chunks and wait
    gap: float = 0.0  # streams: seconds of silence before each text chunk after the first
    omit_usage: bool = False  # streams: no usage chunk even if asked (OpenAI style)


@dataclass(frozen=True)
class Failure:
    """An error answer, with the provider's real body for ``kind`` (an AttemptOutcome value)."""

    kind: str  # rate_limited, quota_exhausted, auth_failed, bad_request, server_error
    retry_after: float | None = None
    status: int | None = None  # override the preset's status
    body: bytes | None = None  # override the preset's body


@dataclass
class Seen:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    key: str
    stream: bool


@dataclass
class _State:
    wire: str
    replies: deque[Answer | Failure] = field(default_factory=deque)
    bad_keys: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeUpstream:
    """A scriptable fake provider; use as a context manager or call start()/stop()."""

    def __init__(self, wire: str) -> None:
        if wire not in (OPENAI, ANTHROPIC, GEMINI):
            raise ValueError(f"unknown wire format {wire!r}")
        self.wire = wire
        self._state = _State(wire)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.state = self._state  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What ``{PROVIDER}_BASE_URL`` should be to reach this fake."""
        root = f"http://127.0.0.1:{self.port}"
        return f"{root}/v1" if self.wire == OPENAI else root

    @property
    def seen(self) -> list[Seen]:
        with self._state.lock:
            return list(self._state.seen)

    @property
    def keys_seen(self) -> list[str]:
        return [request.key for request in self.seen]

    @property
    def disconnected(self) -> threading.Event:
        """Set when a client closed a held stream (see ``Answer.hold_after``)."""
        return self._state.disconnected

    def push(self, *replies: Answer | Failure) -> None:
        """Queue replies for the next calls, in order."""
        with self._state.lock:
            self._state.replies.extend(replies)

    def reject_key(self, key: str) -> None:
        """Answer every call with ``key`` as the provider answers an invalid key."""
        with self._state.lock:
            self._state.bad_keys.add(key)

    def start(self) -> FakeUpstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()  # wakes slow and held replies
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls on small writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined, no-any-return]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        body = json.loads(raw) if raw else {}
        state = self.state
        stream = (
            "streamGenerateContent" in self.path
            if state.wire == GEMINI
            else bool(body.get("stream"))
        )
        key = self._key()
        with state.lock:
            state.seen.append(
                Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body, key, stream)
            )
            bad = key in state.bad_keys
            reply = None if bad else (state.replies.popleft() if state.replies else Answer())
        if reply is None or isinstance(reply, Failure):
            self._fail(reply or Failure("auth_failed"))
            return
        if reply.delay and state.stopping.wait(reply.delay):
            return
        model = str(body.get("model") or self.path.rsplit("/", 1)[-1].split(":")[0])
        if stream:
            self._stream(reply, model, include_usage=self._wants_usage(body))
        else:
            self._send(
                200,
                answer_body(
                    state.wire,
                    model=model,
                    text=reply.text,
                    input_tokens=reply.input_tokens,
                    output_tokens=reply.output_tokens,
                    cached=reply.cached_tokens,
                ),
            )

    def _key(self) -> str:
        if self.state.wire == OPENAI:
            return self.headers.get("Authorization", "").removeprefix("Bearer ")
        header = "x-api-key" if self.state.wire == ANTHROPIC else "x-goog-api-key"
        return self.headers.get(header, "")

    def _wants_usage(self, body: dict[str, Any]) -> bool:
        if self.state.wire != OPENAI:
            return True  # Anthropic and Gemini always report usage in streams
        return bool((body.get("stream_options") or {}).get("include_usage"))

    def _fail(self, failure: Failure) -> None:
        case = FAKE_FAILURES[self.state.wire][failure.kind]
        headers = dict(case.headers)
        if failure.retry_after is not None:
            headers["retry-after"] = f"{failure.retry_after:g}"
        self._send(failure.status or case.status, failure.body or case.body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, reply: Answer, model: str, *, include_usage: bool) -> None:
        chunks = list(reply.chunks or _split(reply.text))
        frames = stream_frames(
            self.state.wire,
            model=model,
            chunks=chunks,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cached=reply.cached_tokens,
            include_usage=include_usage and not reply.omit_usage,
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        texts = 0
        try:
            for frame, has_text in frames:
                if has_text and reply.cut_after is not None and texts >= reply.cut_after:
                    self._cut()
                    return
                if has_text and reply.hold_after is not None and texts >= reply.hold_after:
                    self._hold()
                    return
                if has_text and texts and reply.gap and self.state.stopping.wait(reply.gap):
                    return
                if self.state.wire == GEMINI:
                    # Split inside the CRLF CRLF separator, as networks may: the client's
                    # SSE decoder must join a CR at a chunk's end with the LF that follows.
                    self._chunk(frame[:-3])
                    self._chunk(frame[-3:])
                else:
                    self._chunk(frame)
                texts += has_text
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection mid-body (no terminating chunk): an upstream cut."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _hold(self) -> None:
        """Keep the stream open, pinging, until the client goes away (or the test ends)."""
        self.close_connection = True
        while not self.state.stopping.wait(0.02):
            try:
                self._chunk(b": keep-alive\n\n")
            except OSError:
                self.state.disconnected.set()
                return


def _split(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
