"""A real server for the contract suite: uvicorn on 127.0.0.1, in a thread of this process.

The contract tests (``tests/contract``) are the same for both apps; only this
module differs (the Flask app's runs werkzeug). Port 0 lets the OS pick a free port.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from app.core.config import Settings
from app.main import create_app
from app.services.api.runtime import RuntimeOptions

SERVER = "uvicorn"


def entrypoint_command(port: int) -> list[str]:
    """The documented production entry point, serving on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
            "--port", str(port), "--timeout-keep-alive", "5",
            "--log-level", "warning"]  # fmt: skip


@contextmanager
def serve(settings: Settings, options: RuntimeOptions) -> Iterator[str]:
    """Serve the app until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, options=options),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
