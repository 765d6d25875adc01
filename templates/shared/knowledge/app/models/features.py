"""Tables of optional features: this project has knowledge (documents and chunks).

Importing the models adds them to ``Base.metadata``; every knowledge table is a
tenant table (forced row-level security on PostgreSQL, like the core ones).
"""

from __future__ import annotations

from app.models.knowledge import (
    CHUNK_INDEX_TABLE,
    CHUNK_SEARCH_INDEX,
    KnowledgeChunk,
    KnowledgeCollection,
    KnowledgeDocument,
)

# Table -> the column the row-level security policy checks.
FEATURE_TENANT_TABLES: dict[str, str] = {
    model.__tablename__: "workspace_id"
    for model in (KnowledgeCollection, KnowledgeDocument, KnowledgeChunk)
}
# Tables (with their name_* shadow tables) and indexes that migrations own outside
# the models: SQLite's FTS5 table and PostgreSQL's GIN index over the chunks.
UNMANAGED: tuple[str, ...] = (CHUNK_INDEX_TABLE, CHUNK_SEARCH_INDEX)


def is_unmanaged(name: str) -> bool:
    """Whether the table or index ``name`` belongs to the migrations only (autogenerate
    leaves it alone)."""
    return any(name == owned or name.startswith(f"{owned}_") for owned in UNMANAGED)
