"""API keys: random, shown once, stored as SHA-256 hashes (a fast hash is right for
high-entropy secrets; passwords would need a slow one)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

KEY_PREFIX = "sk_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new API key. ``plaintext`` exists only here: show it once, never store it."""

    id: uuid.UUID
    prefix: str
    plaintext: str


def hash_key(plaintext: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()
