"""The response cache: exact and semantic lookup, storing, per-tenant isolation.

The usage layer calls ``lookup(query)`` before the gateway and ``store(query,
result)`` after a successful answer (see ``docs/prompts-and-cache.md``). A
backend failure never fails a request: it is logged and counts as a miss.

Isolation: every key lives in the workspace's namespace *and* hashes the
workspace id, and every entry records its workspace and key, re-checked on
read; one workspace cannot be served another's answer even by a key bug.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.core import metrics
from app.core.catalog import (
    EXACT_CACHE_ENABLED,
    EXACT_CACHE_TTL_SECONDS,
    PRODUCT_SLUG,
    SEMANTIC_CACHE_ENABLED,
    SEMANTIC_CACHE_THRESHOLD,
    WORKFLOWS,
)
from app.core.catalog_types import WorkflowInfo
from app.core.config import Settings, get_settings
from app.services.cache.answer import CACHE_PROVIDER, CachedAnswer, CacheMatch
from app.services.cache.backends import (
    CacheBackend,
    CacheBackendError,
    MemoryCacheBackend,
    RedisCacheBackend,
    Vector,
)
from app.services.cache.embeddings import Embedder, HashingEmbedder, cosine, unit_vector
from app.services.cache.query import CacheMode, CacheQuery
from app.services.llm.types import ChatResult

logger = logging.getLogger(__name__)

ENTRY_FORMAT = 1
# A partial answer (the consumer stopped reading, the upstream broke) is not an answer.
UNCACHEABLE_FINISH_REASONS = frozenset({"cancelled", "error"})
SEMANTIC_READ_ATTEMPTS = 3
# A cache must never be slower than a miss: short timeouts, one immediate retry
# (redis-py's default backs off for seconds before giving up on a dead server).
REDIS_TIMEOUT_SECONDS = 0.5


class ResponseCache:
    """Exact (and, when enabled, semantic) caching of answers, per workspace.

    Defaults come from the spec (``app.core.catalog``); tests and callers may
    override them. ``max_recent`` bounds how many recent entries per semantic
    scope a lookup compares against.
    """

    def __init__(
        self,
        backend: CacheBackend,
        *,
        exact_enabled: bool = EXACT_CACHE_ENABLED,
        semantic_enabled: bool = SEMANTIC_CACHE_ENABLED,
        ttl_seconds: float = EXACT_CACHE_TTL_SECONDS,
        threshold: float = SEMANTIC_CACHE_THRESHOLD,
        embedder: Embedder | None = None,
        max_recent: int = 256,
        workflows: Mapping[str, WorkflowInfo] = WORKFLOWS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.exact_enabled = exact_enabled
        self.semantic_enabled = semantic_enabled
        self.ttl_seconds = ttl_seconds
        self.threshold = threshold
        self.embedder: Embedder = embedder or HashingEmbedder()
        self.max_recent = max_recent
        self._workflows = workflows
        self._clock = clock
        # lookup() then store() embed the same text: remember recent embeddings.
        self._embeddings: OrderedDict[str, Vector] = OrderedDict()
        self._embeddings_guard = threading.Lock()

    def active(self, query: CacheQuery) -> bool:
        """Whether ``query`` may use the cache at all (spec, workflow and request opt-outs)."""
        workflow = self._workflows.get(query.workflow)
        return (
            (self.exact_enabled or self.semantic_enabled)
            and query.mode is not CacheMode.off
            and (workflow is None or workflow.cache)
        )

    # -- lookup --------------------------------------------------------------------

    async def lookup(self, query: CacheQuery) -> CachedAnswer | None:
        """A cached answer for ``query``, or None (a miss, an opt-out, or a backend error).

        Exact first; then, if enabled, the most similar recent entry of the same
        workspace, workflow, model, prompt version and system prompt whose cosine
        similarity reaches the threshold.
        """
        if not self.active(query) or query.mode is CacheMode.refresh:
            return None
        hit = await self._lookup(query)
        metrics.observe_cache_lookup(hit=hit is not None)
        return hit

    async def _lookup(self, query: CacheQuery) -> CachedAnswer | None:
        try:
            if self.exact_enabled:
                hit = await self._read(query, query.exact_digest(), None, 1.0)
                if hit is not None:
                    return hit
            if self.semantic_enabled:
                return await self._semantic_lookup(query)
        except CacheBackendError as exc:
            logger.warning("response cache lookup failed, treated as a miss: %s", exc)
        return None

    async def _semantic_lookup(self, query: CacheQuery) -> CachedAnswer | None:
        vector = await self._embed(query.semantic_text())
        if not vector:
            return None
        scope = query.scope_digest(self.embedder.name)
        candidates = await self.backend.vectors(self._index_key(query, scope))
        scored = sorted(
            ((cosine(vector, other), member) for member, other in candidates), reverse=True
        )
        matches = [(s, member) for s, member in scored if s >= self.threshold]
        # An entry can expire just before its vector: try the next, but only a few.
        for similarity, member in matches[:SEMANTIC_READ_ATTEMPTS]:
            hit = await self._read(query, member, scope, similarity)
            if hit is not None:
                return hit
        return None

    async def _read(
        self, query: CacheQuery, digest: str, scope: str | None, similarity: float
    ) -> CachedAnswer | None:
        raw = await self.backend.get(self._entry_key(query, digest))
        if raw is None:
            return None
        try:
            envelope = json.loads(raw)
            valid = (
                envelope.get("format") == ENTRY_FORMAT
                and envelope.get("workspace") == query.workspace_id
                and envelope.get("digest") == digest
                and (scope is None or envelope.get("scope") == scope)
            )
            if not valid:
                # Never serve an entry that is not provably this workspace's and scope's.
                logger.error("response cache entry %s failed its ownership check", digest)
                return None
            match = CacheMatch.exact if scope is None else CacheMatch.semantic
            return CachedAnswer.from_json(envelope["answer"], match=match, similarity=similarity)
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("response cache entry %s is unreadable: %s", digest, exc)
            return None

    # -- store ---------------------------------------------------------------------

    async def store(
        self, query: CacheQuery, result: ChatResult, *, text: str | None = None
    ) -> bool:
        """Remember ``result`` for ``query``; True if stored.

        Call it only with a complete, successful answer (not a cancelled or cut
        stream). ``text`` overrides ``result.text``: pass the joined deltas of a
        stream whose ``StreamEnd`` carries no text. Answers from the offline local
        provider, empty answers, cache hits, and opted-out queries are not stored.
        """
        text = result.text if text is None else text
        if not self.active(query) or result.local or not text:
            return False
        if result.finish_reason in UNCACHEABLE_FINISH_REASONS:
            return False
        if result.provider == CACHE_PROVIDER:
            return False  # a hit replayed through the usage layer: already stored
        digest = query.exact_digest()
        scope = query.scope_digest(self.embedder.name) if self.semantic_enabled else None
        answer = CachedAnswer(
            text=text,
            model=result.model,
            provider=result.provider,
            usage=result.usage,
            cost_usd=result.cost_usd,
            prompt_version=query.prompt_version,
            finish_reason=result.finish_reason,
            created_at=self._clock(),
        )
        envelope: dict[str, Any] = {
            "format": ENTRY_FORMAT,
            "workspace": query.workspace_id,
            "digest": digest,
            "scope": scope,
            "answer": answer.to_json(),
        }
        try:
            await self.backend.set(
                self._entry_key(query, digest),
                json.dumps(envelope, separators=(",", ":")).encode(),
                self.ttl_seconds,
            )
            if scope is not None:
                vector = await self._embed(query.semantic_text())
                if vector:
                    await self.backend.add_vector(
                        self._index_key(query, scope),
                        digest,
                        vector,
                        self.ttl_seconds,
                        self.max_recent,
                    )
        except CacheBackendError as exc:
            logger.warning("response cache store failed: %s", exc)
            return False
        return True

    async def close(self) -> None:
        """Release the backend's connections."""
        await self.backend.close()

    # -- keys and embeddings -------------------------------------------------------

    @staticmethod
    def _entry_key(query: CacheQuery, digest: str) -> str:
        return f"{query.namespace}:e:{digest}"

    @staticmethod
    def _index_key(query: CacheQuery, scope: str) -> str:
        return f"{query.namespace}:s:{scope}"

    async def _embed(self, text: str) -> Vector:
        key = hashlib.sha256(f"{self.embedder.name}\x00{text}".encode()).hexdigest()
        with self._embeddings_guard:
            if key in self._embeddings:
                self._embeddings.move_to_end(key)
                return self._embeddings[key]
        try:
            vector = unit_vector(await self.embedder.embed(text))
        except Exception:
            # A pluggable (possibly remote) embedder failing costs a semantic miss, not
            # the request.
            logger.warning(
                "embedder %s failed; semantic cache skipped", self.embedder.name, exc_info=True
            )
            return ()
        with self._embeddings_guard:
            self._embeddings[key] = vector
            while len(self._embeddings) > 1024:
                self._embeddings.popitem(last=False)
        return vector


def cache_redis_client(url: str) -> Redis:
    """A Redis client tuned for caching: fails fast instead of retrying for seconds."""
    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


def build_response_cache(
    settings: Settings | None = None, *, embedder: Embedder | None = None
) -> ResponseCache:
    """The app's cache: Redis when ``REDIS_URL`` is set, else this process's memory.

    Create it once per process (app startup) and ``close()`` it on shutdown.
    """
    settings = settings or get_settings()
    backend: CacheBackend
    if settings.redis_url:
        backend = RedisCacheBackend(
            cache_redis_client(settings.redis_url),
            prefix=f"{PRODUCT_SLUG}:cache:",
            owns_client=True,
        )
    else:
        backend = MemoryCacheBackend()
    return ResponseCache(backend, embedder=embedder)
