"""Migrations: they run on SQLite and PostgreSQL, match the models, and go both ways."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from app.cli import main
from app.core import migrate
from app.models import TENANT_TABLES, Base, is_unmanaged
from tests.core.usage.conftest import in_schema, postgres_url


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database nothing was migrated into: a SQLite file, or a fresh PostgreSQL schema."""
    base = postgres_url()
    if base is None:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"test_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(migrate.sync_url(base), poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield in_schema(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_migrations_match_the_models(usage_database_url: str) -> None:
    engine = create_engine(migrate.sync_url(usage_database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True, "include_name": _managed}
            context = MigrationContext.configure(connection, opts=opts)
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_db_upgrade_downgrade_and_upgrade_again(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current", "--url", empty_database]) == 0
    assert capsys.readouterr().out.strip() == "none"

    assert main(["db", "upgrade", "--url", empty_database]) == 0
    assert main(["db", "current", "--url", empty_database]) == 0
    head = capsys.readouterr().out.strip()
    assert head == migrate.current(empty_database) != "none"
    assert set(TENANT_TABLES) <= set(_tables(empty_database))

    command.downgrade(migrate.alembic_config(empty_database), "base")
    assert set(_tables(empty_database)) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    assert migrate.current(empty_database) == head


def test_db_sweep_runs_from_the_command_line(usage_database_url: str) -> None:
    assert main(["db", "sweep", "--url", usage_database_url]) == 0


def _managed(name: str | None, type_: str, _parents: object) -> bool:
    # Full-text index tables and indexes exist only in the migrations.
    return not (type_ in ("table", "index") and name is not None and is_unmanaged(name))


def _tables(url: str) -> list[str]:
    engine = create_engine(migrate.sync_url(url), poolclass=NullPool)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()
