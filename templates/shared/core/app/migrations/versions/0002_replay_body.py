"""Keep the answer of a call made with an idempotency key, for its replays.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ai_usage_events", sa.Column("replay_body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ai_usage_events") as batch:
        batch.drop_column("replay_body")
