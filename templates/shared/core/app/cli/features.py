"""Command groups of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file to add its groups to ``python -m app``.
"""

from __future__ import annotations

FEATURE_GROUPS: tuple[str, ...] = ()
