"""Prepaid credits: grants with optional expiry, holds, debits, an append-only ledger.

The workspace's ``credit_accounts`` row is the single point every movement
updates atomically (a conditional UPDATE for holds), like the cap's budget row;
grants record where the credits came from and when they expire, and are used
soonest-expiring first. Every movement appends a ``credit_ledger`` row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.models import CreditAccount, CreditEntryKind, CreditGrant, CreditLedgerEntry
from app.services.usage.dialect import upsert
from app.services.usage.money import to_micros, to_usd


@dataclass(frozen=True, slots=True)
class CreditBalance:
    """A workspace's credits now, in micro-USD (``available`` excludes holds)."""

    balance_micros: int
    held_micros: int
    next_expiry_at: datetime | None

    @property
    def available_micros(self) -> int:
        return max(self.balance_micros - self.held_micros, 0)

    @property
    def balance_usd(self) -> Decimal:
        return to_usd(self.balance_micros)

    @property
    def available_usd(self) -> Decimal:
        return to_usd(self.available_micros)


def _unexpired(now: datetime) -> ColumnElement[bool]:
    return (CreditGrant.expires_at.is_(None)) | (CreditGrant.expires_at > now)


async def grant(
    session: AsyncSession,
    dialect: str,
    *,
    workspace_id: uuid.UUID,
    amount_usd: Decimal,
    reason: str,
    now: datetime,
    expires_at: datetime | None = None,
    reference: str | None = None,
) -> CreditGrant:
    """Add credits. With a ``reference`` (a payment id) granting twice is a no-op."""
    amount = to_micros(amount_usd)
    if amount <= 0:
        raise ValueError("a grant must be positive")
    if expires_at is not None and expires_at <= now:
        raise ValueError("a grant cannot expire in the past")
    if reference is not None:
        existing = await session.scalar(
            select(CreditGrant).where(
                CreditGrant.workspace_id == workspace_id, CreditGrant.reference == reference
            )
        )
        if existing is not None:
            return existing
    # The account row first: every credit movement locks it before any grant row.
    account = upsert(dialect, CreditAccount).values(
        workspace_id=workspace_id,
        balance_micros=amount,
        held_micros=0,
        next_expiry_at=expires_at,
        updated_at=now,
    )
    next_expiry: ColumnElement[datetime | None] | QueryableAttribute[datetime | None]
    next_expiry = CreditAccount.next_expiry_at
    if expires_at is not None:
        next_expiry = case(
            (CreditAccount.next_expiry_at.is_(None), expires_at),
            (CreditAccount.next_expiry_at > expires_at, expires_at),
            else_=CreditAccount.next_expiry_at,
        )
    balance = await session.scalar(
        account.on_conflict_do_update(
            index_elements=[CreditAccount.workspace_id],
            set_={
                "balance_micros": CreditAccount.balance_micros + amount,
                "next_expiry_at": next_expiry,
                "updated_at": now,
            },
        ).returning(CreditAccount.balance_micros)
    )
    row = CreditGrant(
        workspace_id=workspace_id,
        amount_micros=amount,
        remaining_micros=amount,
        reason=reason,
        reference=reference,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.add(_entry(workspace_id, CreditEntryKind.grant, amount, int(balance or 0), now, row.id))
    await session.flush()
    return row


async def balance(
    session: AsyncSession, *, workspace_id: uuid.UUID, now: datetime
) -> CreditBalance:
    """The balance of unexpired grants and what calls in flight hold (read-only)."""
    remaining = await session.scalar(
        select(func.coalesce(func.sum(CreditGrant.remaining_micros), 0)).where(
            CreditGrant.workspace_id == workspace_id, _unexpired(now)
        )
    )
    account = (
        await session.execute(
            select(CreditAccount.held_micros, CreditAccount.next_expiry_at).where(
                CreditAccount.workspace_id == workspace_id
            )
        )
    ).first()
    held = int(account.held_micros) if account else 0
    next_expiry = account.next_expiry_at if account else None
    return CreditBalance(int(remaining or 0), held, next_expiry)


async def hold(
    session: AsyncSession, *, workspace_id: uuid.UUID, amount_micros: int, now: datetime
) -> bool:
    """Hold ``amount_micros`` for a call if the available balance covers it.

    One conditional UPDATE, exact under concurrency. When a grant has expired
    since the balance was last reduced, the expiry is applied first.
    """
    for _ in range(2):
        statement = (
            update(CreditAccount)
            .where(
                CreditAccount.workspace_id == workspace_id,
                CreditAccount.balance_micros - CreditAccount.held_micros >= amount_micros,
                CreditAccount.next_expiry_at.is_(None) | (CreditAccount.next_expiry_at > now),
            )
            .values(held_micros=CreditAccount.held_micros + amount_micros, updated_at=now)
            .returning(CreditAccount.held_micros)
            .execution_options(synchronize_session=False)
        )
        if (await session.execute(statement)).first() is not None:
            return True
        next_expiry = await session.scalar(
            select(CreditAccount.next_expiry_at).where(CreditAccount.workspace_id == workspace_id)
        )
        if next_expiry is None or next_expiry > now:
            return False  # simply not enough credits
        await expire_due(session, workspace_id=workspace_id, now=now)
    return False


async def release(
    session: AsyncSession, *, workspace_id: uuid.UUID, amount_micros: int, now: datetime
) -> None:
    """Give back a hold (the call failed, or a sweep found it abandoned)."""
    if amount_micros:
        await session.execute(
            update(CreditAccount)
            .where(CreditAccount.workspace_id == workspace_id)
            .values(held_micros=CreditAccount.held_micros - amount_micros, updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def debit(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    amount_micros: int,
    held_micros: int,
    usage_event_id: uuid.UUID,
    now: datetime,
) -> int:
    """Charge a settled call and free its hold; returns the balance after.

    Grants are drawn soonest-expiring first, one ledger row per grant drawn. A
    cost above the remaining grants (a call that cost more than its worst case)
    leaves a negative balance, recorded on a ledger row without a grant.
    """
    account = await session.execute(
        update(CreditAccount)
        .where(CreditAccount.workspace_id == workspace_id)
        .values(
            balance_micros=CreditAccount.balance_micros - amount_micros,
            held_micros=CreditAccount.held_micros - held_micros,
            updated_at=now,
        )
        .returning(CreditAccount.balance_micros)
        .execution_options(synchronize_session=False)
    )
    balance_after = int(account.scalar_one())
    if amount_micros <= 0:
        return balance_after
    grants = (
        await session.scalars(
            select(CreditGrant)
            .where(
                CreditGrant.workspace_id == workspace_id,
                CreditGrant.remaining_micros > 0,
                _unexpired(now),
            )
            .order_by(CreditGrant.expires_at.asc().nulls_last(), CreditGrant.created_at)
            .with_for_update()
        )
    ).all()
    # Walk the balance down from where it was before this debit.
    running, left = balance_after + amount_micros, amount_micros
    for row in grants:
        if left == 0:
            break
        take = min(row.remaining_micros, left)
        row.remaining_micros -= take
        left, running = left - take, running - take
        session.add(
            _entry(workspace_id, CreditEntryKind.debit, -take, running, now, row.id, usage_event_id)
        )
    if left:
        running -= left
        session.add(
            _entry(workspace_id, CreditEntryKind.debit, -left, running, now, None, usage_event_id)
        )
    await session.flush()
    return balance_after


def _entry(
    workspace_id: uuid.UUID,
    kind: CreditEntryKind,
    amount: int,
    balance_after: int,
    now: datetime,
    grant_id: uuid.UUID | None,
    usage_event_id: uuid.UUID | None = None,
) -> CreditLedgerEntry:
    return CreditLedgerEntry(
        workspace_id=workspace_id,
        kind=kind,
        amount_micros=amount,
        balance_after_micros=balance_after,
        grant_id=grant_id,
        usage_event_id=usage_event_id,
        created_at=now,
    )


async def expire_due(session: AsyncSession, *, workspace_id: uuid.UUID, now: datetime) -> int:
    """Zero the grants of ``workspace_id`` that expired by ``now``; returns micro-USD expired."""
    # Lock the account first, as every other movement does.
    locked = await session.execute(
        select(CreditAccount.balance_micros)
        .where(CreditAccount.workspace_id == workspace_id)
        .with_for_update()
    )
    running = locked.scalar_one_or_none()
    if running is None:
        return 0
    expired = (
        await session.scalars(
            select(CreditGrant)
            .where(
                CreditGrant.workspace_id == workspace_id,
                CreditGrant.remaining_micros > 0,
                CreditGrant.expires_at <= now,
            )
            .order_by(CreditGrant.expires_at)
            .with_for_update()
        )
    ).all()
    total = 0
    for row in expired:
        running -= row.remaining_micros
        total += row.remaining_micros
        session.add(
            _entry(
                workspace_id, CreditEntryKind.expire, -row.remaining_micros, running, now, row.id
            )
        )
        row.remaining_micros = 0
    next_expiry = (
        select(func.min(CreditGrant.expires_at))
        .where(
            CreditGrant.workspace_id == workspace_id,
            CreditGrant.remaining_micros > 0,
            CreditGrant.expires_at > now,
        )
        .scalar_subquery()
    )
    await session.flush()
    await session.execute(
        update(CreditAccount)
        .where(CreditAccount.workspace_id == workspace_id)
        .values(
            balance_micros=CreditAccount.balance_micros - total,
            next_expiry_at=next_expiry,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return total
