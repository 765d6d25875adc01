"""Prepaid credits: grants (optionally expiring), an account balance, an append-only ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Micros, new_id, utcnow


class CreditEntryKind(StrEnum):
    grant = "grant"  # credits added
    debit = "debit"  # a call's settled cost
    expire = "expire"  # what was left of a grant when it expired


class CreditAccount(Base):
    """A workspace's balance: the row every hold and debit updates atomically.

    ``balance_micros`` is the sum of the unexpired grants' remainders; ``held_micros``
    is what calls in flight may still spend. ``next_expiry_at`` tells a hold when
    the balance must first be reduced by an expired grant.
    """

    __tablename__ = "credit_accounts"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    balance_micros: Mapped[Micros] = mapped_column(default=0)
    held_micros: Mapped[Micros] = mapped_column(default=0)
    next_expiry_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CreditGrant(Base):
    """Credits added to a workspace (a purchase, a trial, a goodwill gesture)."""

    __tablename__ = "credit_grants"
    __table_args__ = (
        # Granting twice for the same payment is a no-op.
        UniqueConstraint("workspace_id", "reference"),
        Index(None, "workspace_id", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    amount_micros: Mapped[Micros]
    remaining_micros: Mapped[Micros]
    reason: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditLedgerEntry(Base):
    """One movement of credits; rows are only ever inserted."""

    __tablename__ = "credit_ledger"
    __table_args__ = (Index(None, "workspace_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_micros: Mapped[Micros]  # signed: grants positive, debits and expiries negative
    balance_after_micros: Mapped[Micros]
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_grants.id", ondelete="SET NULL")
    )
    usage_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_usage_events.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
