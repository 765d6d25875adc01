"""Tenant-scoped transactions: the one way the usage layer touches the database.

Every query also filters by workspace in code; on PostgreSQL each transaction
additionally switches to the non-owner ``TENANT_ROLE`` and declares its workspace
with ``set_config(..., true)`` (the function form of ``SET LOCAL``), so the forced
row-level security policies hide every other tenant's rows even from a query
that forgot its filter. Both settings end with the transaction, so pooled
connections never carry them over.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.db import session_factory
from app.models.base import SYSTEM_SETTING, TENANT_ROLE, WORKSPACE_SETTING

_SCOPE = text(
    f"SELECT set_config('{WORKSPACE_SETTING}', :workspace, true),"
    f" set_config('{SYSTEM_SETTING}', :system, true)"
)
_SCOPE_AS_ROLE = text(
    "SELECT set_config('role', :role, true),"
    f" set_config('{WORKSPACE_SETTING}', :workspace, true),"
    f" set_config('{SYSTEM_SETTING}', :system, true)"
)


class TenantDatabase:
    """Transactions scoped to one workspace, or explicitly to all of them.

    ``role`` is the PostgreSQL role queries run as (``None`` when the app already
    connects as a non-owner role that the policies apply to). SQLite has no
    row-level security: there the scoping in code is the whole story.
    """

    def __init__(self, engine: AsyncEngine, *, role: str | None = TENANT_ROLE) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.dialect = engine.dialect.name
        self.is_postgres = self.dialect == "postgresql"
        self.role = role

    @asynccontextmanager
    async def tenant(self, workspace_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        """One transaction that can only see (and write) ``workspace_id``'s rows."""
        async with self.sessions() as session, session.begin():
            if self.is_postgres:
                await self._scope(session, workspace=str(workspace_id), system="off")
            yield session

    @asynccontextmanager
    async def system(self) -> AsyncIterator[AsyncSession]:
        """One transaction over every workspace: sweeps, the outbox drain, admin reports.

        Use sparingly and say why: it is the deliberate exception to tenant isolation.
        """
        async with self.sessions() as session, session.begin():
            if self.is_postgres:
                await self._scope(session, workspace="", system="on")
            yield session

    async def _scope(self, session: AsyncSession, *, workspace: str, system: str) -> None:
        params = {"workspace": workspace, "system": system}
        if self.role:
            await session.execute(_SCOPE_AS_ROLE, {**params, "role": self.role})
        else:
            await session.execute(_SCOPE, params)
