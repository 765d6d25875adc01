"""Graceful shutdown of the production server: SIGTERM in the middle of a stream.

The image's own command (from the Dockerfile, with a short grace period and one
worker) serves a real stream from a slow fake provider; the test sends SIGTERM
after the first piece of text. The server must exit by itself within its grace
period, and the call's ledger row must be settled (``cancelled``, or ``ok`` if it
finished in time), never left pending.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import PROVIDERS
from app.core.flavour import run
from app.models import UsageEvent
from tests.contract.test_entrypoint import clean_env, free_port, make_key
from tests.contract.world import fake_providers, wire_of
from tests.deploy.commands import image_command, with_options
from tests.fakes.upstream import Answer, FakeUpstream

GRACE_SECONDS = 3
# Far longer than the grace period: the stream is still running when it ends.
SLOW = Answer(text=" ".join(f"w{i}" for i in range(60)), gap=0.25)


def server_command(port: int) -> list[str]:
    """The image's command on 127.0.0.1:``port``, one worker, a short grace period."""
    argv = image_command()
    if argv[0] == "uvicorn":
        argv = with_options(
            argv, host="127.0.0.1", port=str(port), workers="1",
            timeout_graceful_shutdown=str(GRACE_SECONDS),
        )  # fmt: skip
    else:
        argv = with_options(
            argv, bind=f"127.0.0.1:{port}", workers="1", graceful_timeout=str(GRACE_SECONDS)
        )
    return [str(Path(sys.executable).parent / argv[0]), *argv[1:]]


def provider_env(fakes: dict[str, FakeUpstream]) -> dict[str, str]:
    """Every provider of the catalog pointed at its fake."""
    env: dict[str, str] = {}
    for provider in PROVIDERS:
        env[f"{provider.upper()}_API_KEYS"] = f"sk-fake-{provider}"
        env[f"{provider.upper()}_BASE_URL"] = fakes[wire_of(provider)].base_url
    return env


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeUpstream]]:
    with fake_providers() as upstreams:
        for fake in upstreams.values():
            fake.push(SLOW)
        yield upstreams


def test_sigterm_mid_stream_drains_then_settles_the_ledger_row(
    tmp_path: Path, fakes: dict[str, FakeUpstream]
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url)
    key = run(lambda: make_key(url))
    port = free_port()
    env = {**clean_env(url), **provider_env(fakes)}
    server = subprocess.Popen(server_command(port), cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base)
        headers = {"Authorization": f"Bearer {key}"}
        body = {"messages": [{"role": "user", "content": "hello"}], "stream": True}
        received = ""
        with httpx.stream(
            "POST", f"{base}/v1/chat", json=body, headers=headers, timeout=30
        ) as response:
            assert response.status_code == 200
            chunks = response.iter_text()
            received += next(chunks)
            signalled = time.monotonic()
            server.send_signal(signal.SIGTERM)
            try:
                for chunk in chunks:
                    received += chunk
            except httpx.TransportError:
                pass  # the connection may end without a final chunk
        assert "event: delta" in received
        server.wait(timeout=GRACE_SECONDS + 10)
        assert time.monotonic() - signalled < GRACE_SECONDS + 10
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)

    engine = create_engine(migrate.sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            outcomes = [row[0] for row in conn.execute(select(UsageEvent.outcome))]
    finally:
        engine.dispose()
    assert outcomes in (["cancelled"], ["ok"]), outcomes


def _wait_until_up(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
