"""The documented production entry point (``uvicorn app.main:app`` for FastAPI,
``gunicorn "app:create_app()"`` for Flask) serves the real app, as an operator runs it:
a separate process, migrated database, the demo key `make run` seeds, no provider keys."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core import migrate
from app.core.db import create_engine_for
from app.core.flavour import run
from app.services.accounts import create_demo_key
from app.services.usage.tenancy import TenantDatabase
from tests.web.server import entrypoint_command

PROJECT = Path(__file__).absolute().parents[2]
# BODY_TIMEOUT_SECONDS for the served app: short, so a trickled body fails fast.
BODY_TIMEOUT = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(database_url: str) -> dict[str, str]:
    """This environment minus provider settings: the offline local provider answers."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_API_KEYS", "_BASE_URL")) and k != "REDIS_URL"
    }
    return {
        **env,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(PROJECT),
        "BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    }


async def make_key(url: str) -> str:
    engine = create_engine_for(url)
    try:
        # What `make run` seeds: the demo workspace, with credits if the product sells them.
        created = await create_demo_key(TenantDatabase(engine))
    finally:
        await engine.dispose()
    return created.plaintext


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url)
    key = run(lambda: make_key(url))
    port = free_port()
    # Run from an empty directory: no .env of the developer's is read.
    server = subprocess.Popen(entrypoint_command(port), cwd=tmp_path, env=clean_env(url))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base, key
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_entry_point_serves_the_app_with_the_local_provider(
    served: tuple[str, str],
) -> None:
    base, key = served
    headers = {"Authorization": f"Bearer {key}"}
    body = {"messages": [{"role": "user", "content": "hello"}]}
    answer = httpx.post(f"{base}/v1/chat", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["provider"] == "local"
    with httpx.stream(
        "POST", f"{base}/v1/chat", json={**body, "stream": True}, headers=headers
    ) as r:
        text = r.read().decode()
    assert text.lstrip().splitlines()[0].startswith("event: delta")
    assert "event: end" in text


def test_the_entry_point_enforces_the_body_cap_on_chunked_bodies(
    served: tuple[str, str],
) -> None:
    base, key = served

    def chunks() -> Iterator[bytes]:
        for _ in range(160):  # 1.25 MiB against the default 1 MiB cap
            yield b"x" * 8192

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    response = httpx.post(f"{base}/v1/chat", content=chunks(), headers=headers, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_the_entry_point_answers_a_trickled_body_with_408(served: tuple[str, str]) -> None:
    """One slow client sending a byte at a time gets a 408 JSON and loses its connection
    once the body deadline passes, instead of holding a worker for as long as it likes."""
    base, key = served
    port = int(base.rsplit(":", 1)[1])
    head = (
        "POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    ).encode()
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sock.settimeout(0.25)
        while time.monotonic() - started < BODY_TIMEOUT + 8:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                try:
                    sock.sendall(b" ")  # one more byte of the body, far too slowly
                except OSError:
                    break
                continue
            except OSError:
                break
            if not chunk:
                break  # the server closed the connection
            received += chunk
    elapsed = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    head_part, _, body = received.partition(b"\r\n\r\n")
    assert b"application/json" in head_part.lower()
    assert b'"request_timeout"' in body
    assert elapsed < BODY_TIMEOUT + 5, f"the slow connection stayed open {elapsed:.1f} s"


def test_the_entry_point_answers_an_oversized_header_with_json(
    served: tuple[str, str],
) -> None:
    """A header field past the app's limit (and under the server's own, configured
    above it) gets the API's JSON 431, not the server's HTML page."""
    base, key = served
    headers = {"Authorization": f"Bearer {key}", "X-Big": "a" * 12_000}
    response = httpx.get(f"{base}/v1/usage", headers=headers, timeout=10)
    assert response.status_code == 431, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "headers_too_large"
