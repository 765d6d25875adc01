"""Apply the Alembic migrations (``app/migrations``) to a database.

Migrations always run with a synchronous driver, in both flavours: they are a
one-off operator step, and Alembic is synchronous at heart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).absolute().parent.parent / "migrations"


def sync_url(url: str) -> str:
    """``url`` with the synchronous driver for its database (any plain URL works)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url``, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an ini option: URLs may contain "%".
    config.attributes["database_url"] = sync_url(url)
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate the database at ``url`` up to ``revision`` (the latest by default).

    "heads": the core chain and any feature branch (a feature's migrations form a
    branch of their own, rendered only when the spec uses the feature).
    """
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at (None when never migrated); with a
    feature branch, every head, sorted and joined by commas."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
            return ",".join(sorted(heads)) or None
    finally:
        engine.dispose()


@cache
def heads() -> frozenset[str]:
    """The revision(s) a fully migrated database records (read once per process).

    A feature branch that depends on a core revision absorbs it: Alembic then
    records only the branch's head, so a head that another head depends on is left out.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    tips = set(script.get_heads())
    absorbed = {
        rev.revision
        for tip in tips
        for rev in script.iterate_revisions(tip, "base")
        if rev is not None and rev.revision != tip
    }
    return frozenset(tips - absorbed)
