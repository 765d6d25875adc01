"""Tenant isolation: scoped in code everywhere; forced row-level security on PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from app.core.catalog import TIERS
from app.models import TENANT_TABLES, Base, UsageEvent, Workspace
from app.models.base import TENANT_ROLE
from app.services.accounts import Accounts
from app.services.usage import CallContext, UsageService
from tests.core.usage.conftest import postgres_url
from tests.core.usage.helpers import request

needs_postgres = pytest.mark.skipif(
    postgres_url() is None,
    reason="row-level security is PostgreSQL's: set TEST_DATABASE_URL to a PostgreSQL URL",
)


async def two_tenants(
    service: UsageService, accounts: Accounts, ctx: CallContext
) -> tuple[CallContext, CallContext]:
    other = await accounts.create_workspace("Other", next(iter(TIERS)))
    theirs = replace(ctx, workspace_id=other.id, user_id=None)
    await service.run(ctx, request())
    await service.run(theirs, request())
    await service.run(theirs, request())
    return ctx, theirs


def test_every_table_with_a_workspace_is_a_tenant_table() -> None:
    scoped = {
        table.name for table in Base.metadata.tables.values() if "workspace_id" in table.columns
    }
    assert scoped | {"workspaces"} == set(TENANT_TABLES)


async def test_the_service_only_ever_reads_its_own_workspace(
    service: UsageService, accounts: Accounts, ctx: CallContext
) -> None:
    mine, theirs = await two_tenants(service, accounts, ctx)

    my_budget = await service.budget_status(mine.workspace_id, mine.entitlement)
    their_budget = await service.budget_status(theirs.workspace_id, theirs.entitlement)

    assert my_budget.spent_micros == 1000
    assert their_budget.spent_micros == 2000


@needs_postgres
async def test_an_unscoped_query_sees_only_the_current_tenants_rows(
    service: UsageService, accounts: Accounts, ctx: CallContext
) -> None:
    mine, theirs = await two_tenants(service, accounts, ctx)

    async with service.db.tenant(mine.workspace_id) as session:
        # No WHERE clause at all: the policy is what filters.
        visible = (await session.scalars(select(UsageEvent))).all()
        workspaces = await session.scalar(select(func.count()).select_from(Workspace))
    async with service.db.tenant(theirs.workspace_id) as session:
        theirs_visible = (await session.scalars(select(UsageEvent))).all()

    assert {e.workspace_id for e in visible} == {mine.workspace_id}
    assert len(visible) == 1 and workspaces == 1
    assert {e.workspace_id for e in theirs_visible} == {theirs.workspace_id}
    assert len(theirs_visible) == 2


@needs_postgres
async def test_a_tenant_cannot_write_into_another_workspace(
    service: UsageService, accounts: Accounts, ctx: CallContext
) -> None:
    other = await accounts.create_workspace("Other", next(iter(TIERS)))

    async def intrude() -> None:
        async with service.db.tenant(ctx.workspace_id) as session:
            await session.execute(
                insert(Workspace).values(id=uuid.uuid4(), name="intruder", created_at=func.now())
            )

    with pytest.raises(DBAPIError, match="row-level security"):
        await intrude()
    async with service.db.tenant(ctx.workspace_id) as session:
        hidden = await session.get(Workspace, other.id)
    assert hidden is None


@needs_postgres
async def test_queries_run_as_a_non_owner_role_with_forced_rls(service: UsageService) -> None:
    async with service.db.tenant(uuid.uuid4()) as session:
        role = await session.scalar(text("SELECT current_user"))
    async with service.db.system() as session:
        tables = (
            await session.execute(
                text(
                    "SELECT c.relname, pg_get_userbyid(c.relowner), c.relrowsecurity,"
                    " c.relforcerowsecurity FROM pg_class c"
                    " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
                )
            )
        ).all()

    assert role == TENANT_ROLE
    guarded = {name: (owner, rls, forced) for name, owner, rls, forced in tables}
    for table in TENANT_TABLES:
        owner, rls, forced = guarded[table]
        assert owner != TENANT_ROLE and rls and forced, table


@needs_postgres
async def test_system_scope_sees_every_workspace(
    service: UsageService, accounts: Accounts, ctx: CallContext
) -> None:
    mine, theirs = await two_tenants(service, accounts, ctx)

    async with service.db.system() as session:
        owners = set(
            (
                await session.scalars(
                    select(UsageEvent.workspace_id).where(
                        UsageEvent.workspace_id.in_([mine.workspace_id, theirs.workspace_id])
                    )
                )
            ).all()
        )

    assert owners == {mine.workspace_id, theirs.workspace_id}
