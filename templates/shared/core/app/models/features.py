"""Tables of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file to register its tables (importing them adds them
to ``Base.metadata``), the tenant ones for row-level security, and the tables its
migrations create with raw SQL that the models cannot describe (full-text indexes).
"""

from __future__ import annotations

# Table -> the column the row-level security policy checks.
FEATURE_TENANT_TABLES: dict[str, str] = {}
# Tables (with their name_* shadow tables) and indexes that migrations own outside
# the models (full-text indexes the models cannot describe).
UNMANAGED: tuple[str, ...] = ()


def is_unmanaged(name: str) -> bool:
    """Whether the table or index ``name`` belongs to the migrations only (autogenerate
    leaves it alone)."""
    return any(name == owned or name.startswith(f"{owned}_") for owned in UNMANAGED)
