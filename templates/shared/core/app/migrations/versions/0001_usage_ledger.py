"""Accounts, the usage ledger, budgets and credits; row-level security on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of app.models.TENANT_TABLES: a migration must keep doing what it
# did when it was written.
TENANT_TABLES: dict[str, str] = {
    "workspaces": "id",
    "users": "workspace_id",
    "api_keys": "workspace_id",
    "entitlements": "workspace_id",
    "ai_usage_events": "workspace_id",
    "billing_outbox": "workspace_id",
    "usage_budgets": "workspace_id",
    "usage_daily": "workspace_id",
    "usage_warnings": "workspace_id",
    "credit_accounts": "workspace_id",
    "credit_grants": "workspace_id",
    "credit_ledger": "workspace_id",
}


def _ts(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _workspace_fk(table: str) -> list[SchemaItem]:
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
        "workspaces",
        sa.Column("id", sa.Uuid()),
        sa.Column("name", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("users"),
        sa.Column("email", sa.String(320)),
        sa.Column("external_id", sa.String(200)),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("workspace_id", "email", name="uq_users_workspace_id_email"),
    )
    op.create_index("ix_users_workspace_id", "users", ["workspace_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("api_keys"),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="member"),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_keys_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_workspace_id", "api_keys", ["workspace_id"])
    op.create_table(
        "entitlements",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("entitlements"),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        _ts("starts_at"),
        _ts("ends_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_entitlements"),
    )
    op.create_index(
        "ix_entitlements_workspace_id_ends_at", "entitlements", ["workspace_id", "ends_at"]
    )

    op.create_table(
        "ai_usage_events",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("ai_usage_events"),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("feature", sa.String(64)),
        sa.Column("provider", sa.String(32)),
        sa.Column("model", sa.String(120)),
        sa.Column("prompt_version", sa.String(64)),
        sa.Column("input_tokens", sa.Integer()),
        sa.Column("output_tokens", sa.Integer()),
        sa.Column("cached_input_tokens", sa.Integer()),
        sa.Column("usage_source", sa.String(16), nullable=False),
        sa.Column("latency_ms", sa.Integer()),
        _money("cost_micros", nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        _money("retry_cost_micros", nullable=True),
        _money("settled_micros"),
        _money("saved_cost_micros", nullable=True),
        sa.Column("funding", sa.String(16)),
        _money("held_micros"),
        _money("credit_held_micros"),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.String(500)),
        sa.Column("usable", sa.Boolean()),
        sa.Column("price_id", sa.String(120)),
        sa.Column("price_table_version", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("entitlement", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.JSON()),
        sa.Column("request_body", sa.JSON()),
        sa.Column("response_body", sa.Text()),
        _ts("created_at"),
        _ts("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ai_usage_events"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_ai_usage_events_user_id_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            name="uq_ai_usage_events_workspace_id_idempotency_key",
        ),
    )
    for columns in (
        ["workspace_id", "created_at"],
        ["workspace_id", "user_id", "created_at"],
        ["workspace_id", "workflow", "created_at"],
        ["outcome", "created_at"],
    ):
        op.create_index(f"ix_ai_usage_events_{'_'.join(columns)}", "ai_usage_events", columns)

    op.create_table(
        "billing_outbox",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("billing_outbox"),
        sa.Column("usage_event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_billing_outbox"),
        sa.ForeignKeyConstraint(
            ["usage_event_id"],
            ["ai_usage_events.id"],
            name="fk_billing_outbox_usage_event_id_ai_usage_events",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("usage_event_id", name="uq_billing_outbox_usage_event_id"),
    )
    op.create_index("ix_billing_outbox_workspace_id", "billing_outbox", ["workspace_id"])
    op.create_index(
        "ix_billing_outbox_sent_at_created_at", "billing_outbox", ["sent_at", "created_at"]
    )

    op.create_table(
        "usage_budgets",
        *_workspace_fk("usage_budgets"),
        sa.Column("period_start", sa.Date(), nullable=False),
        _money("limit_micros"),
        _money("spent_micros"),
        _money("reserved_micros"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", "period_start", name="pk_usage_budgets"),
    )
    op.create_table(
        "usage_daily",
        *_workspace_fk("usage_daily"),
        sa.Column("user_key", sa.String(36), nullable=False),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _money("spent_micros"),
        sa.PrimaryKeyConstraint(
            "workspace_id", "user_key", "workflow", "day", name="pk_usage_daily"
        ),
    )
    op.create_table(
        "usage_warnings",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("usage_warnings"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(120), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("threshold", sa.String(8), nullable=False),
        _money("used_micros"),
        _money("limit_micros"),
        sa.Column("user_id", sa.Uuid()),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_usage_warnings"),
        sa.UniqueConstraint(
            "workspace_id",
            "kind",
            "scope",
            "period",
            "threshold",
            name="uq_usage_warnings_workspace_id_kind_scope_period_threshold",
        ),
    )

    op.create_table(
        "credit_accounts",
        *_workspace_fk("credit_accounts"),
        _money("balance_micros"),
        _money("held_micros"),
        _ts("next_expiry_at", nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_credit_accounts"),
    )
    op.create_table(
        "credit_grants",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("credit_grants"),
        _money("amount_micros"),
        _money("remaining_micros"),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200)),
        _ts("expires_at", nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_grants"),
        sa.UniqueConstraint(
            "workspace_id", "reference", name="uq_credit_grants_workspace_id_reference"
        ),
    )
    op.create_index(
        "ix_credit_grants_workspace_id_expires_at", "credit_grants", ["workspace_id", "expires_at"]
    )
    op.create_table(
        "credit_ledger",
        sa.Column("id", sa.Uuid()),
        *_workspace_fk("credit_ledger"),
        sa.Column("kind", sa.String(16), nullable=False),
        _money("amount_micros"),
        _money("balance_after_micros"),
        sa.Column("grant_id", sa.Uuid()),
        sa.Column("usage_event_id", sa.Uuid()),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_ledger"),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["credit_grants.id"],
            name="fk_credit_ledger_grant_id_credit_grants",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["usage_event_id"],
            ["ai_usage_events.id"],
            name="fk_credit_ledger_usage_event_id_ai_usage_events",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_credit_ledger_workspace_id_created_at", "credit_ledger", ["workspace_id", "created_at"]
    )

    if op.get_bind().dialect.name == "postgresql":
        _enable_row_level_security()


def _tenant_role() -> str:
    from app.models.base import TENANT_ROLE

    return TENANT_ROLE


def _enable_row_level_security() -> None:
    """Forced RLS on every tenant table, and a non-owner role the app's queries run as.

    A row is visible when its workspace is the transaction's ``app.workspace_id``,
    or when the transaction declared itself system-wide (``app.system = 'on'``:
    the sweep of abandoned calls, the billing outbox drain, admin reports).
    """
    role = _tenant_role()
    # Roles are cluster-wide: several databases (or test schemas) may race to create it.
    op.execute(
        f"""
        DO $$ BEGIN
            CREATE ROLE "{role}" NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )
    # The migrating user (usually the app's DATABASE_URL user, the tables' owner) may
    # switch to the role; the app does so in every transaction (SET LOCAL ROLE).
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
                EXECUTE format('GRANT %I TO %I', '{role}', current_user);
            END IF;
        END $$
        """
    )
    op.execute(f'GRANT USAGE ON SCHEMA "{_current_schema()}" TO "{role}"')
    for table, column in TENANT_TABLES.items():
        visible = (
            f"{column} = nullif(current_setting('app.workspace_id', true), '')::uuid"
            " OR current_setting('app.system', true) = 'on'"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({visible}) WITH CHECK ({visible})"
        )
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')


def _current_schema() -> str:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return str(schema)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        role = _tenant_role()
        for table in TENANT_TABLES:
            op.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        op.execute(f'REVOKE USAGE ON SCHEMA "{_current_schema()}" FROM "{role}"')
    for table in (
        "credit_ledger",
        "credit_grants",
        "credit_accounts",
        "usage_warnings",
        "usage_daily",
        "usage_budgets",
        "billing_outbox",
        "ai_usage_events",
        "entitlements",
        "api_keys",
        "users",
        "workspaces",
    ):
        op.drop_table(table)  # drops its indexes and policies with it
