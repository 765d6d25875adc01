"""Tables of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file to register its tables (importing them adds them
to ``Base.metadata``), the tenant ones for row-level security, and the tables its
migrations create with raw SQL that the models cannot describe (full-text indexes).
"""

from __future__ import annotations

# Table -> the column the row-level security policy checks.
FEATURE_TENANT_TABLES: dict[str, str] = {}
# Tables (and their name_* shadow tables) that migrations own outside the models.
UNMANAGED_TABLES: tuple[str, ...] = ()


def is_unmanaged(table: str) -> bool:
    """Whether ``table`` belongs to the migrations only (autogenerate leaves it alone)."""
    return any(table == name or table.startswith(f"{name}_") for name in UNMANAGED_TABLES)
