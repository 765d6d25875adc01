"""Per-provider key state: cooldowns after 429, keys disabled after 401/403, and the
long back-off of a provider whose account ran out of money or quota.

A plain ``threading.Lock`` guards the state in both flavours: it is held for a
few dictionary operations and never across I/O, so it does not block an event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class KeyRing:
    """The keys of one provider, in the order they are tried."""

    def __init__(self, provider: str, key_count: int, clock: Callable[[], float]) -> None:
        self.provider = provider
        self.size = key_count
        self._clock = clock
        self._lock = threading.Lock()
        self._cool_until = [0.0] * key_count
        self._disabled: set[int] = set()
        self._backoff_until = 0.0

    def usable(self) -> list[int]:
        """Indexes of the keys that may be tried now, in order."""
        now = self._clock()
        with self._lock:
            if now < self._backoff_until:
                return []
            return [
                i
                for i in range(self.size)
                if i not in self._disabled and self._cool_until[i] <= now
            ]

    def unavailable_reason(self) -> str:
        """Why ``usable()`` is empty, in the words of ``AttemptOutcome``."""
        now = self._clock()
        with self._lock:
            if now < self._backoff_until:
                return "quota_exhausted"
            if len(self._disabled) == self.size:
                return "auth_failed"
            return "rate_limited"

    def cool_down(self, index: int, seconds: float) -> None:
        """Rest key ``index`` for ``seconds`` (after a 429)."""
        with self._lock:
            self._cool_until[index] = max(self._cool_until[index], self._clock() + seconds)

    def disable(self, index: int) -> bool:
        """Disable key ``index`` for the process lifetime; True the first time."""
        with self._lock:
            if index in self._disabled:
                return False
            self._disabled.add(index)
            return True

    def back_off(self, seconds: float) -> None:
        """Leave the whole provider alone for ``seconds`` (its account is out of money)."""
        with self._lock:
            self._backoff_until = max(self._backoff_until, self._clock() + seconds)

    @property
    def backing_off(self) -> bool:
        return self._clock() < self._backoff_until
