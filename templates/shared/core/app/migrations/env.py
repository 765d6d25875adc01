"""Alembic environment: migrations run with the synchronous driver on every database.

``app.core.migrate.upgrade(url)`` (and ``python -m app db upgrade``) pass the URL;
the ``alembic`` command line falls back to ``DATABASE_URL``.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from app.core.config import get_settings
from app.core.migrate import sync_url
from app.models import Base, is_unmanaged

config = context.config
if config.config_file_name:  # the alembic command line: log as alembic.ini says
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Autogenerate leaves alone what only migrations describe (full-text indexes)."""
    return not (type_ in ("table", "index") and name is not None and is_unmanaged(name))


def database_url() -> str:
    url = config.attributes.get("database_url")
    return url if url else sync_url(get_settings().database_url)


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade --sql``) instead of running it."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(database_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Write-ahead logging: readers never block the writer, and a commit is one
                # fsync instead of three. The mode is stored in the database file itself.
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; batch mode does that for us.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                include_name=include_name,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
