"""Knowledge: collections, documents and chunks, with the database's full-text index.

A branch of its own (label ``knowledge``): archgen renders it only when the spec
has a ``knowledge`` section, so it cannot sit in the core chain. It starts after
the core revision it needs (``depends_on``) and ``python -m app db upgrade``
applies every head, so core migrations added later never conflict with it.

Revision ID: knowledge_0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("knowledge",)
depends_on: str | Sequence[str] | None = "0002"

# Frozen copies of the model's names: a migration keeps doing what it did when written.
TENANT_TABLES = ("knowledge_collections", "knowledge_documents", "knowledge_chunks")
CHUNK_INDEX_TABLE = "knowledge_chunks_fts"
CHUNK_SEARCH_INDEX = "ix_knowledge_chunks_search"
TEXT_SEARCH_CONFIG = "english"


def _workspace_fk(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=f"fk_{table}_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "knowledge_collections",
        *_workspace_fk("knowledge_collections"),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "name", name="pk_knowledge_collections"),
    )
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_workspace_fk("knowledge_documents"),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_documents"),
    )
    op.create_index(
        "ix_knowledge_documents_workspace_id_collection_created_at",
        "knowledge_documents",
        ["workspace_id", "collection", "created_at"],
    )
    op.create_table(
        "knowledge_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        *_workspace_fk("knowledge_chunks"),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_chunks"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name="fk_knowledge_chunks_document_id_knowledge_documents",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_knowledge_chunks_workspace_id_collection",
        "knowledge_chunks",
        ["workspace_id", "collection"],
    )
    op.create_index("ix_knowledge_chunks_document_id", "knowledge_chunks", ["document_id"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_index_and_security()
    else:
        _sqlite_index()


def _sqlite_index() -> None:
    """An external-content FTS5 table over the chunks' text, kept in step by triggers
    (foreign-key cascades fire them too, so a deleted workspace leaves no index rows)."""
    index = CHUNK_INDEX_TABLE
    op.execute(
        f"CREATE VIRTUAL TABLE {index} USING fts5("
        "text, content='knowledge_chunks', content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON knowledge_chunks BEGIN "
        f"INSERT INTO {index}(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON knowledge_chunks BEGIN "
        f"INSERT INTO {index}({index}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )


def _postgres_index_and_security() -> None:
    """A GIN index over the chunks' tsvector, and forced row-level security."""
    op.execute(
        f"CREATE INDEX {CHUNK_SEARCH_INDEX} ON knowledge_chunks "
        f"USING gin (to_tsvector('{TEXT_SEARCH_CONFIG}', text))"
    )
    from app.models.base import TENANT_ROLE

    visible = (
        "workspace_id = nullif(current_setting('app.workspace_id', true), '')::uuid"
        " OR current_setting('app.system', true) = 'on'"
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({visible}) WITH CHECK ({visible})"
        )
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{TENANT_ROLE}"')
    # The chunks' integer ids come from a sequence the role must be able to advance.
    op.execute(f'GRANT USAGE ON SEQUENCE knowledge_chunks_id_seq TO "{TENANT_ROLE}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from app.models.base import TENANT_ROLE

        for table in TENANT_TABLES:
            op.execute(f'REVOKE ALL ON {table} FROM "{TENANT_ROLE}"')
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {CHUNK_INDEX_TABLE}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {CHUNK_INDEX_TABLE}_delete")
        op.execute(f"DROP TABLE IF EXISTS {CHUNK_INDEX_TABLE}")
    for table in ("knowledge_chunks", "knowledge_documents", "knowledge_collections"):
        op.drop_table(table)
