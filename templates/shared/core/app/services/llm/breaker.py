"""A circuit breaker per provider, configured by the spec's ``routing.circuit_breaker``.

Closed: calls flow; ``error_threshold`` consecutive failures (5xx, timeouts,
connection errors) open it. Open: the provider is skipped for ``reset_seconds``.
Half-open: one probe call is let through; success closes the circuit, failure
opens it again. Any HTTP answer other than a 5xx counts as the provider being up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum

from app.core.catalog_types import CircuitBreakerPolicy


class CircuitState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    def __init__(self, policy: CircuitBreakerPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()  # held briefly, never across I/O
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state()

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.closed
        if self._clock() - self._opened_at >= self._policy.reset_seconds:
            return CircuitState.half_open
        return CircuitState.open

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one probe at a time may."""
        with self._lock:
            state = self._state()
            if state is CircuitState.closed:
                return True
            if state is CircuitState.half_open and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> bool:
        """Count a failure; True when this opened (or re-opened) the circuit."""
        with self._lock:
            self._failures += 1
            was_probe, self._probing = self._probing, False
            if was_probe or self._failures >= self._policy.error_threshold:
                reopened = self._opened_at is None or was_probe
                self._opened_at = self._clock()
                return reopened
            return False

    def release(self) -> None:
        """A call ended with no verdict on the provider's health (e.g. cancelled)."""
        with self._lock:
            self._probing = False
