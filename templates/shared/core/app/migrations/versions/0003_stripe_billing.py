"""Stripe billing: workspace customers, handled webhook events, outbox claims.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_customers",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(255), nullable=False),
        sa.Column("stripe_subscription_id", sa.String(255), nullable=True),
        sa.Column("subscription_status", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_billing_customers_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_billing_customers"),
        sa.UniqueConstraint(
            "stripe_customer_id", name="uq_billing_customers_stripe_customer_id"
        ),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stripe_events"),
    )
    with op.batch_alter_table("billing_outbox") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(36), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _secure()


def _secure() -> None:
    """Forced row-level security on billing_customers (like every tenant table, see
    0001); stripe_events holds no tenant data beyond an id, so the role may use it."""
    from app.models.base import TENANT_ROLE

    visible = (
        "workspace_id = nullif(current_setting('app.workspace_id', true), '')::uuid"
        " OR current_setting('app.system', true) = 'on'"
    )
    op.execute("ALTER TABLE billing_customers ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE billing_customers FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON billing_customers "
        f"USING ({visible}) WITH CHECK ({visible})"
    )
    for table in ("billing_customers", "stripe_events"):
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{TENANT_ROLE}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from app.models.base import TENANT_ROLE

        for table in ("billing_customers", "stripe_events"):
            op.execute(f'REVOKE ALL ON {table} FROM "{TENANT_ROLE}"')
    with op.batch_alter_table("billing_outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claim_token")
    op.drop_table("stripe_events")
    op.drop_table("billing_customers")
