"""A real server for the contract suite: werkzeug on 127.0.0.1, in a thread of this process.

The contract tests (``tests/contract``) are the same for both apps; only this
module differs (the FastAPI app's runs uvicorn). Port 0 lets the OS pick a free port.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from app import create_app
from app.core.config import Settings
from app.services.api.runtime import RuntimeOptions

SERVER = "werkzeug"


def entrypoint_command(port: int) -> list[str]:
    """The documented production entry point, serving on 127.0.0.1:``port``.

    Threaded workers, so a stream does not hold the only worker.
    """
    return [sys.executable, "-m", "gunicorn", "app:create_app()", "--bind",
            f"127.0.0.1:{port}", "--worker-class", "gthread", "--threads", "4",
            "--timeout", "30", "--keep-alive", "5",
            # Above the app's own header limit, so oversized headers get its JSON 431.
            "--limit-request-field_size", "16384",
            "--log-level", "warning"]  # fmt: skip


@contextmanager
def serve(settings: Settings, options: RuntimeOptions) -> Iterator[str]:
    """Serve the app until the block ends; yields its base URL."""
    app = create_app(settings, options=options)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["runtime"].close()
