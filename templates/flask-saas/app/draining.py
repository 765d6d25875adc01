"""Graceful shutdown for streams under gunicorn: drain, then cut and settle.

On SIGTERM a gunicorn worker stops accepting connections and waits up to
``--graceful-timeout`` for the requests in flight, then the arbiter kills it.
A stream still running then would die with the process, its ledger row left
pending until the next sweep. So the worker's SIGTERM also starts a drain
(``app/gunicorn_conf.py``): streams keep going for most of the grace period,
and a stream still running past ``cut_at`` stops at its next piece of text, which
closes the model call and settles its ledger row as ``cancelled``, like a client
that disconnected.
"""

from __future__ import annotations

import threading
import time

# Of the grace period, the part streams may use; the rest settles the cut ones.
DRAIN_SHARE = 0.8

_lock = threading.Lock()
_cut_at: float | None = None


def begin(grace_seconds: float) -> None:
    """Start draining: streams running ``DRAIN_SHARE`` of ``grace_seconds`` from now are cut."""
    global _cut_at
    with _lock:
        if _cut_at is None:
            _cut_at = time.monotonic() + grace_seconds * DRAIN_SHARE


def should_cut() -> bool:
    """Whether a stream still running must stop now (the drain's time is up)."""
    cut_at = _cut_at
    return cut_at is not None and time.monotonic() >= cut_at
