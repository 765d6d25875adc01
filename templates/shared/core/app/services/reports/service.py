"""``Reports``: the report queries, each in the transaction its scope calls for.

An owner's report runs in its workspace's own transaction (row-level security
applies on PostgreSQL); an operator's all-workspace report runs in the system
transaction, the deliberate exception to tenant isolation.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from app.services.reports import queries
from app.services.reports.queries import (
    CacheRow,
    DayTotal,
    MarginsReport,
    OutliersReport,
    PlanUsage,
    PromptVersionRow,
    ProviderRow,
    ReportFilter,
    RetriesReport,
)
from app.services.usage.tenancy import TenantDatabase


class Reports:
    """The owners' and operators' reports over one database."""

    def __init__(self, db: TenantDatabase) -> None:
        self.db = db

    @asynccontextmanager
    async def _session(self, flt: ReportFilter) -> AsyncIterator[AsyncSession]:
        scope = flt.scope
        if isinstance(scope, uuid.UUID):
            async with self.db.tenant(scope) as session:
                yield session
        else:
            async with self.db.system() as session:  # an operator's view of every workspace
                yield session

    async def margins(self, flt: ReportFilter) -> MarginsReport:
        """Revenue, spend and margin per workspace, and per tier and workflow."""
        async with self._session(flt) as session:
            return await queries.margins(session, flt)

    async def outliers(self, flt: ReportFilter, factor: float = 3.0) -> OutliersReport:
        """Users who spent more than ``factor`` times the median user."""
        async with self._session(flt) as session:
            return await queries.outliers(session, flt, factor)

    async def retries(self, flt: ReportFilter) -> RetriesReport:
        """Retry and failure spend per workspace and workflow."""
        async with self._session(flt) as session:
            return await queries.retries(session, flt)

    async def plans(self, flt: ReportFilter) -> list[PlanUsage]:
        """Each workspace's spend against its plan's cap, and warnings crossed."""
        async with self._session(flt) as session:
            return await queries.plan_usage(session, flt)

    async def prompts(self, flt: ReportFilter) -> list[PromptVersionRow]:
        """Cost, latency and usable rate per workflow and prompt version."""
        async with self._session(flt) as session:
            return await queries.prompt_versions(session, flt)

    async def cache(self, flt: ReportFilter) -> list[CacheRow]:
        """Cache hits and savings per workflow."""
        async with self._session(flt) as session:
            return await queries.cache_savings(session, flt)

    async def providers(self, flt: ReportFilter) -> list[ProviderRow]:
        """Provider attempts, errors and failovers from the ledger."""
        async with self._session(flt) as session:
            return await queries.provider_health(session, flt)

    async def daily(self, flt: ReportFilter) -> list[DayTotal]:
        """Requests and spend per day of the period."""
        async with self._session(flt) as session:
            return await queries.daily_spend(session, flt)
