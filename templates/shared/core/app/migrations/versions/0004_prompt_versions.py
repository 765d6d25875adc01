"""Published prompt versions as immutable rows shared by every instance.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_versions"),
        sa.UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),
    )
    if op.get_bind().dialect.name == "postgresql":
        from app.models.base import TENANT_ROLE

        # Prompts serve every tenant (no row-level security). The role the app's
        # queries run as may read and add versions, never change or delete one.
        op.execute(f'GRANT SELECT, INSERT ON prompt_versions TO "{TENANT_ROLE}"')
        op.execute(f'GRANT USAGE ON SEQUENCE prompt_versions_id_seq TO "{TENANT_ROLE}"')


def downgrade() -> None:
    op.drop_table("prompt_versions")
