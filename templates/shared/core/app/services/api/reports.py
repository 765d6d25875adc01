"""Usage and credit reports: what ``GET /v1/usage`` and ``GET /v1/credits`` answer.

Usage is told in the product's units (a report, a question): one unit per
answered call. Dollar amounts (provider cost, the cap) only for roles with the
``view_costs`` permission (owners and operators).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from app.core.catalog import WORKFLOWS
from app.models import CallOutcome, UsageEvent, User
from app.schemas.credits import CreditBalance
from app.schemas.usage import CapState, UsageReport, WorkflowUsage
from app.services.api.auth import Caller
from app.services.api.errors import forbidden, not_found
from app.services.usage import ledger
from app.services.usage.budget import BudgetStatus, threshold_micros
from app.services.usage.credits import CreditBalance as Balance
from app.services.usage.money import usd_text
from app.services.usage.tenancy import TenantDatabase

ALL_USERS = "all"
_ANSWERED = {CallOutcome.ok.value, CallOutcome.cached.value}


def cap_state(caller: Caller, status: BudgetStatus) -> CapState:
    """Where the workspace stands against its monthly cap."""
    limit = status.limit_micros
    # What settled calls spent; calls in flight hold more, but may spend less.
    used = status.spent_micros
    thresholds = list(caller.entitlement.soft_warnings)
    crossed = [t for t in thresholds if limit and used >= threshold_micros(t, limit)]
    reached = limit <= 0 or used >= limit
    return CapState(
        state="reached" if reached else "warning" if crossed else "ok",
        used_fraction=round(min(used / limit, 1.0), 4) if limit > 0 else 1.0,
        warnings_at=thresholds,
        crossed=crossed,
        resets_at=status.resets_at,
        used_usd=usd_text(used) if caller.sees_costs else None,
        limit_usd=usd_text(limit) if caller.sees_costs else None,
    )


def standing_warnings(caller: Caller, status: BudgetStatus) -> list[str]:
    """The soft warnings in force this period (sent on every response, as headers)."""
    state = cap_state(caller, status)
    if not state.crossed:
        return []
    threshold = max(state.crossed)
    text = f"monthly_cost; threshold={threshold}"
    if caller.sees_costs:
        text += f"; used={state.used_usd}; limit={state.limit_usd}"
    return [text]


async def resolve_user(db: TenantDatabase, caller: Caller, user: str | None) -> uuid.UUID | None:
    """Whose usage to report: the caller's own by default; with a ``workspace`` scope
    (``view_usage``) anyone in the workspace (id or email) or ``all``. None means the
    whole workspace."""
    scope = caller.require("view_usage")
    if user is None or not user.strip():
        return caller.user_id
    user = user.strip()
    if scope == "self":
        if caller.user_id is not None and user == str(caller.user_id):
            return caller.user_id
        raise forbidden("owner_only", "Only workspace owners can see other users' usage.")
    if user == ALL_USERS:
        return None
    try:
        wanted: uuid.UUID | None = uuid.UUID(user)
    except ValueError:
        wanted = None
    async with db.tenant(caller.workspace_id) as session:
        found = await session.scalar(
            select(User.id).where(
                User.workspace_id == caller.workspace_id,
                or_(User.id == wanted, User.email == user) if wanted else User.email == user,
            )
        )
    if found is None:
        raise not_found("unknown_user", "There is no such user in your workspace.", param="user")
    return found


async def usage_report(
    db: TenantDatabase, caller: Caller, user_id: uuid.UUID | None, status: BudgetStatus
) -> UsageReport:
    """This period's calls per workflow, in units, with the cap state."""
    start = datetime(
        status.period_start.year, status.period_start.month, status.period_start.day, tzinfo=UTC
    )
    query = (
        select(
            UsageEvent.workflow,
            UsageEvent.outcome,
            func.count(),
            func.coalesce(func.sum(UsageEvent.settled_micros), 0),
        )
        .where(
            UsageEvent.workspace_id == caller.workspace_id,
            UsageEvent.created_at >= start,
            UsageEvent.created_at < status.resets_at,
        )
        .group_by(UsageEvent.workflow, UsageEvent.outcome)
    )
    if user_id is not None:
        query = query.where(UsageEvent.user_id == user_id)
    async with db.tenant(caller.workspace_id) as session:
        rows = (await session.execute(query)).all()
    totals: dict[str, dict[str, int]] = {
        name: {"units": 0, "requests": 0, "cached": 0, "failed": 0, "micros": 0}
        for name in WORKFLOWS
    }
    for workflow, outcome, count, micros in rows:
        entry = totals.setdefault(
            workflow, {"units": 0, "requests": 0, "cached": 0, "failed": 0, "micros": 0}
        )
        entry["requests"] += count
        entry["micros"] += int(micros)
        if outcome in _ANSWERED:
            entry["units"] += count
        if outcome == CallOutcome.cached.value:
            entry["cached"] += count
        if outcome == CallOutcome.failed.value:
            entry["failed"] += count
    cap = cap_state(caller, status)
    return UsageReport(
        workspace_id=str(caller.workspace_id),
        user_id=str(user_id) if user_id else None,
        tier=caller.tier,
        period_start=status.period_start,
        period_end=status.resets_at.date(),
        workflows=[
            WorkflowUsage(
                workflow=name,
                unit=WORKFLOWS[name].unit if name in WORKFLOWS else "call",
                units=entry["units"],
                requests=entry["requests"],
                cached=entry["cached"],
                failed=entry["failed"],
                cost_usd=usd_text(entry["micros"]) if caller.sees_costs else None,
            )
            for name, entry in totals.items()
        ],
        cap=cap,
        warnings=standing_warnings(caller, status),
    )


def credit_balance(workspace_id: uuid.UUID, balance: Balance) -> CreditBalance:
    """The credit balance as the API shows it."""
    return CreditBalance(
        workspace_id=str(workspace_id),
        balance_usd=usd_text(balance.balance_micros),
        held_usd=usd_text(balance.held_micros),
        available_usd=usd_text(balance.available_micros),
        next_expiry_at=balance.next_expiry_at,
    )


async def mark_usable(
    db: TenantDatabase,
    workspace_id: uuid.UUID,
    event_id: uuid.UUID,
    usable: bool,
    *,
    user_id: uuid.UUID | None = None,
) -> bool:
    """Set a call's usable flag (a call of ``user_id`` only, when given); False when
    the workspace has no such call."""
    async with db.tenant(workspace_id) as session:
        return await ledger.mark_usable(session, workspace_id, event_id, usable, user_id=user_id)
