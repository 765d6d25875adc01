"""Which version of a prompt a user gets: weighted experiments with stable assignment.

``app/prompts/experiments.toml`` holds, per prompt, weighted versions::

    [summarize]
    name = "summarize-shorter-2025-06"   # optional; defaults to the prompt's name
    versions = { v3 = 80, v4 = 20 }

A user's version is a pure function of (user id, experiment name, weights): the
same user sees the same version on every request, in every process, until the
experiment changes. No state is stored anywhere.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from typing import Any

from app.services.prompts.model import NAME_RE, PromptFormatError

_KEYS = ("name", "versions")


@dataclass(frozen=True, slots=True)
class Experiment:
    """The weighted versions of one prompt."""

    prompt: str
    name: str  # hashed with the user id; renaming it reshuffles every user
    weights: tuple[tuple[int, float], ...]  # (version, weight > 0), by version

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(version for version, _ in self.weights)

    @property
    def live(self) -> bool:
        """True when traffic is split between several versions."""
        return len(self.weights) > 1

    def share(self, version: int) -> float:
        """The fraction of users ``version`` gets (0 when it is not in the experiment)."""
        total = sum(weight for _, weight in self.weights)
        return sum(weight for v, weight in self.weights if v == version) / total

    def assign(self, user_id: str) -> int:
        """The version ``user_id`` gets: stable for a given experiment name and weights."""
        digest = hashlib.sha256(f"{self.name}\x00{user_id}".encode()).digest()
        # 64 bits of the hash as a point in [0, 1): uniform enough for any weights.
        point = int.from_bytes(digest[:8], "big") / 2**64
        total = sum(weight for _, weight in self.weights)
        cumulative = 0.0
        for version, weight in self.weights:
            cumulative += weight / total
            if point < cumulative:
                return version
        return self.weights[-1][0]  # float rounding at the very top of the range


def _parse_version(key: str, source: str, prompt: str) -> int:
    if not (key.startswith("v") and key[1:].isdigit() and int(key[1:]) > 0):
        raise PromptFormatError(f"{source}: [{prompt}] version {key!r} is not like v3")
    return int(key[1:])


def _experiment(prompt: str, table: Any, source: str) -> Experiment:
    if not NAME_RE.fullmatch(prompt):
        raise PromptFormatError(f"{source}: [{prompt}] is not a prompt name")
    if not isinstance(table, dict):
        raise PromptFormatError(f"{source}: {prompt} must be a table ([{prompt}])")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise PromptFormatError(
            f"{source}: [{prompt}] has unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(_KEYS)})"
        )
    name = table.get("name", prompt)
    if not isinstance(name, str) or not name.strip():
        raise PromptFormatError(f"{source}: [{prompt}] name must be non-empty text")
    versions = table.get("versions")
    if not isinstance(versions, dict) or not versions:
        raise PromptFormatError(f"{source}: [{prompt}] needs " + "versions = { v1 = 100 }")
    weights: list[tuple[int, float]] = []
    for key, weight in versions.items():
        version = _parse_version(key, source, prompt)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise PromptFormatError(f"{source}: [{prompt}] weight of {key} must be a number >= 0")
        if weight > 0:  # a zero weight keeps a version listed without traffic
            weights.append((version, float(weight)))
    if not weights:
        raise PromptFormatError(f"{source}: [{prompt}] gives every version a zero weight")
    return Experiment(prompt=prompt, name=name, weights=tuple(sorted(weights)))


def parse_experiments(text: str, *, source: str) -> dict[str, Experiment]:
    """Parse an experiments file; raises PromptFormatError naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptFormatError(f"{source}: not valid TOML: {exc}") from exc
    return {prompt: _experiment(prompt, table, source) for prompt, table in data.items()}
