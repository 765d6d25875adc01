"""Response caching: exact and semantic, per workspace, memory or Redis.

See ``docs/prompts-and-cache.md``. The usage layer builds a ``CacheQuery`` per
request, calls ``ResponseCache.lookup`` before the gateway and ``store`` after a
successful answer; a hit is served with ``CachedAnswer.to_result()`` or
``CachedAnswer.replay()`` and recorded with outcome ``cached``.
"""

from app.services.cache.answer import CACHE_PROVIDER, CachedAnswer, CacheMatch
from app.services.cache.backends import (
    CacheBackend,
    CacheBackendError,
    MemoryCacheBackend,
    RedisCacheBackend,
)
from app.services.cache.embeddings import Embedder, HashingEmbedder, cosine, unit_vector
from app.services.cache.query import (
    AUTO_MODEL,
    CACHE_PARAM,
    CacheMode,
    CacheQuery,
    cache_mode_from_request,
    normalize_text,
)
from app.services.cache.service import ResponseCache, build_response_cache, cache_redis_client

__all__ = [
    "AUTO_MODEL",
    "CACHE_PARAM",
    "CACHE_PROVIDER",
    "CacheBackend",
    "CacheBackendError",
    "CacheMatch",
    "CacheMode",
    "CacheQuery",
    "CachedAnswer",
    "Embedder",
    "HashingEmbedder",
    "MemoryCacheBackend",
    "RedisCacheBackend",
    "ResponseCache",
    "build_response_cache",
    "cache_mode_from_request",
    "cache_redis_client",
    "cosine",
    "normalize_text",
    "unit_vector",
]
