"""Command groups of the optional features this project has: knowledge."""

from __future__ import annotations

FEATURE_GROUPS: tuple[str, ...] = ("knowledge",)
