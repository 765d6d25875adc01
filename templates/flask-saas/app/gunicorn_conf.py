"""gunicorn hooks for the production command (``--config python:app.gunicorn_conf``).

The command line holds the settings (workers, threads, timeouts: see README); this
module only adds what a command line cannot:

- Prometheus multi-process mode: with ``PROMETHEUS_MULTIPROC_DIR`` set, the
  directory is emptied when gunicorn starts and a dead worker's live gauges are
  dropped, so ``/metrics`` sums every worker's samples (docs/observability.md);
- graceful shutdown: a worker's SIGTERM starts draining its streams
  (``app/draining.py``), so a stream cut at the end of the grace period still
  settles its ledger row.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from app import draining


def on_starting(server: Any) -> None:
    """In the arbiter, before any worker: an empty multi-process metrics directory."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        directory = Path(path)
        if directory.is_dir():
            for entry in directory.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """In the arbiter, when a worker exits: forget its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_worker_init(worker: Any) -> None:
    """In each worker: SIGTERM also starts draining its streams."""
    stop = signal.getsignal(signal.SIGTERM)
    grace = float(worker.cfg.graceful_timeout)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        draining.begin(grace)
        if callable(stop):
            stop(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    # As gunicorn does for its own handler: a signal must not break a blocking call.
    signal.siginterrupt(signal.SIGTERM, False)
