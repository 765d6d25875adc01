"""One process of the Redis race test: hammer one bucket, print how many were admitted.

``python -m tests.core.usage.hammer URL KEY ATTEMPTS PER_MINUTE BURST START_AT``
(every process waits until the epoch second ``START_AT``, so they really overlap).
"""

from __future__ import annotations

import sys
import time

from app.core.flavour import run, sleep
from app.services.usage.ratelimit import RedisRateLimiter


async def hammer(
    url: str, key: str, attempts: int, per_minute: int, burst: int, start_at: float
) -> int:
    """How many of ``attempts`` back-to-back requests the bucket admitted."""
    limiter = RedisRateLimiter.from_url(url, prefix="")
    admitted = 0
    try:
        await limiter.acquire(f"{key}:warm-up", per_minute=per_minute, burst=burst)
        await sleep(max(start_at - time.time(), 0))
        for _ in range(attempts):
            decision = await limiter.acquire(key, per_minute=per_minute, burst=burst)
            admitted += decision.allowed
    finally:
        await limiter.close()
    return admitted


def main(argv: list[str]) -> int:
    url, key, attempts, per_minute, burst, start_at = argv
    count = run(
        lambda: hammer(url, key, int(attempts), int(per_minute), int(burst), float(start_at))
    )
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
