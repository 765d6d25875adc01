"""Publishing through the API: rate-limited per workspace, then bounded by the store.

The store caps each version's size and each prompt's number of versions (both
paths, API and CLI). The API also limits how often a workspace may publish,
with the usage layer's rate limiter (memory, or Redis shared by every worker),
in a bucket of its own so publishing never uses up a user's model calls.
"""

from __future__ import annotations

import uuid

from app.services.prompts.model import PromptVersion
from app.services.prompts.catalog import PromptCatalog
from app.services.usage.errors import RateLimited
from app.services.usage.ratelimit import RateLimiter

DEFAULT_PUBLISHES_PER_MINUTE = 10  # PROMPT_PUBLISHES_PER_MINUTE's default


def publish_key(workspace_id: uuid.UUID) -> str:
    """The rate-limit bucket of a workspace's publishes (apart from its users' calls)."""
    return f"prompt-publish:{workspace_id}"


async def publish_rate_limited(
    catalog: PromptCatalog,
    limiter: RateLimiter,
    *,
    workspace_id: uuid.UUID,
    name: str,
    text: str,
    per_minute: int = DEFAULT_PUBLISHES_PER_MINUTE,
) -> PromptVersion:
    """Publish ``text`` as ``name``'s next version unless the workspace is over its rate.

    Every attempt counts, refused ones too (a 413 or 409 is not free to retry in a
    loop). Raises RateLimited (429 with ``Retry-After``), or the store's errors.
    """
    decision = await limiter.acquire(
        publish_key(workspace_id), per_minute=per_minute, burst=per_minute
    )
    if not decision.allowed:
        raise RateLimited(
            retry_after=decision.retry_after,
            limit_per_minute=per_minute,
            reset_after=decision.reset_after,
        )
    return await catalog.publish(name, text)
