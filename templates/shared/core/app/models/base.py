"""Declarative base, shared column types and the PostgreSQL tenancy settings.

Money is integer micro-USD (``BigInteger``), never float. Timestamps are stored
as UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, MetaData, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

from app.core.catalog import PRODUCT_SLUG

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The PostgreSQL role the app's queries run as: it owns nothing, so the forced
# row-level security policies apply to it (migrations create it, NOLOGIN).
TENANT_ROLE = PRODUCT_SLUG.replace("-", "_") + "_app"

# Transaction-local settings the row-level security policies read.
WORKSPACE_SETTING = "app.workspace_id"
SYSTEM_SETTING = "app.system"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store them all in one (naive UTC) form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model; ``Base.metadata`` is what migrations compare against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy's own API)
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


# Integer micro-USD (1 USD = 1_000_000): exact, and summable in SQL on every database.
Micros = Annotated[int, mapped_column(BigInteger)]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A fresh random id (ours: never derived from a provider's response)."""
    return uuid.uuid4()
