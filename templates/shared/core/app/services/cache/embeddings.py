"""Embedders for the semantic cache: a Protocol, and a default that needs nothing.

The default, ``HashingEmbedder``, hashes words, word pairs and character
trigrams into a fixed number of signed buckets (the "hashing trick"). It runs
offline, deterministically across processes (crc32, not Python's salted
``hash``), and finds near-duplicates: rephrasings that share most of their words.
For paraphrase-level matching plug in a model-backed embedder with the same
interface; its ``name`` keeps its vectors apart from any other embedder's.
"""

from __future__ import annotations

import math
import operator
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Protocol

_WORD = re.compile(r"\w+")


class Embedder(Protocol):
    """Turns text into a vector. Vectors of different ``name``s are never compared."""

    @property
    def name(self) -> str:
        """Identifies the vector space (model and dimensions), e.g. ``hashing-v1-256``."""
        ...

    async def embed(self, text: str) -> Sequence[float]:
        """The embedding of ``text`` (any length; the cache normalises it)."""
        ...


class HashingEmbedder:
    """Offline, deterministic bag-of-features embedding (no model, no network)."""

    def __init__(self, dimensions: int = 256) -> None:
        if dimensions < 16:
            raise ValueError("dimensions must be at least 16")
        self.dimensions = dimensions

    @property
    def name(self) -> str:
        return f"hashing-v1-{self.dimensions}"

    async def embed(self, text: str) -> Sequence[float]:
        """The embedding of ``text`` (see ``vector``)."""
        return self.vector(text)

    def vector(self, text: str) -> list[float]:
        """Case- and punctuation-insensitive features, hashed into signed buckets."""
        words = _WORD.findall(text.casefold())
        features: Counter[str] = Counter(words)
        features.update(f"{a} {b}" for a, b in pairwise(words))
        for word in words:
            padded = f" {word} "
            features.update(f"#{padded[i : i + 3]}" for i in range(len(padded) - 2))
        vector = [0.0] * self.dimensions
        for feature, count in features.items():
            code = zlib.crc32(feature.encode())
            # Sublinear counts: a word repeated ten times should not drown the rest.
            weight = 1.0 + math.log(count)
            vector[code % self.dimensions] += weight if code & 0x80000000 else -weight
        return vector


def unit_vector(vector: Sequence[float]) -> tuple[float, ...]:
    """``vector`` scaled to length 1; empty when it has no direction (all zeros)."""
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or not math.isfinite(norm):
        return ()
    return tuple(x / norm for x in vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two unit vectors (-1 when they cannot be compared)."""
    if not a or len(a) != len(b):
        return -1.0
    return float(sum(map(operator.mul, a, b)))
