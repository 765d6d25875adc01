"""Knowledge: the documents a workspace uploads, and the chunks retrieval searches.

Everything is in the database (not on an instance's disk), so every instance
serves the same knowledge, and deleting a workspace deletes its documents (the
foreign keys cascade). The full-text index is the database's own: an FTS5 table
on SQLite (``CHUNK_INDEX_TABLE``, kept in step by triggers), an expression GIN
index over ``to_tsvector`` on PostgreSQL; both are created by the migration.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow

# The SQLite FTS5 table over knowledge_chunks.text (rowid = knowledge_chunks.id).
CHUNK_INDEX_TABLE = "knowledge_chunks_fts"
# The PostgreSQL GIN index over to_tsvector(TEXT_SEARCH_CONFIG, knowledge_chunks.text).
CHUNK_SEARCH_INDEX = "ix_knowledge_chunks_search"
# PostgreSQL's text search configuration for the index and the queries (stemming).
TEXT_SEARCH_CONFIG = "english"


class KnowledgeCollection(Base):
    """A workspace's collection: its version changes with every upload and delete,
    so cached answers made from an older state of the collection never match again."""

    __tablename__ = "knowledge_collections"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeDocument(Base):
    """One uploaded file, with what counts against the tier's limits."""

    __tablename__ = "knowledge_documents"
    __table_args__ = (Index(None, "workspace_id", "collection", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    collection: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int]
    chunks: Mapped[int]
    # "ready": indexed and searchable (ingestion is one transaction: nothing half-indexed).
    status: Mapped[str] = mapped_column(String(16), default="ready")
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeChunk(Base):
    """A passage of a document, with the page it came from (1 for formats without pages)."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        ForeignKeyConstraint(["document_id"], ["knowledge_documents.id"], ondelete="CASCADE"),
        Index(None, "workspace_id", "collection"),
        Index(None, "document_id"),
    )

    # An integer key: SQLite's FTS5 table refers to chunks by rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID]
    collection: Mapped[str] = mapped_column(String(64))
    page: Mapped[int]
    ordinal: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
