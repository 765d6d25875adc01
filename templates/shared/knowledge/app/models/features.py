"""Tables of optional features: this project has knowledge (documents and chunks).

Importing the models adds them to ``Base.metadata``; every knowledge table is a
tenant table (forced row-level security on PostgreSQL, like the core ones).
"""

from __future__ import annotations

from app.models.knowledge import CHUNK_INDEX_TABLE, KnowledgeChunk, KnowledgeCollection, KnowledgeDocument

# Table -> the column the row-level security policy checks.
FEATURE_TENANT_TABLES: dict[str, str] = {
    model.__tablename__: "workspace_id"
    for model in (KnowledgeCollection, KnowledgeDocument, KnowledgeChunk)
}
# Tables (and their name_* shadow tables) that migrations own outside the models:
# SQLite's FTS5 index of the chunks.
UNMANAGED_TABLES: tuple[str, ...] = (CHUNK_INDEX_TABLE,)


def is_unmanaged(table: str) -> bool:
    """Whether ``table`` belongs to the migrations only (autogenerate leaves it alone)."""
    return any(table == name or table.startswith(f"{name}_") for name in UNMANAGED_TABLES)
