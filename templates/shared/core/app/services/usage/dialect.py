"""The one SQL construct that differs between SQLite and PostgreSQL: INSERT ... ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def upsert(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An ``insert`` for ``table`` with ``on_conflict_do_update`` / ``_do_nothing``.

    Both databases run it as one atomic statement (SQLite 3.24+, PostgreSQL 9.5+).
    """
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {dialect}")
