"""Schema migrations (Alembic): a fresh database is created at head, an older one upgraded.

Runs on one connection inside the caller's transaction, so the store's schema lock (an
advisory lock on PostgreSQL) covers it: processes starting together never race.
A database made before migrations existed (tables, no `alembic_version`) is stamped with
the baseline first, then upgraded, losing nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.store.schema import Base

BASELINE: Final = "0001"  # the schema of the first release, made with create_all
MIGRATIONS: Final = Path(__file__).with_name("migrations")


def _config(conn: Connection | None = None) -> Config:
    """A fresh config per run: concurrent opens must not share the connection attribute."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(conn: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> str:
    """Bring the database on `conn` to the newest schema; returns what was done, in words."""
    at = current(conn)
    if at == head():
        return "up to date"
    cfg = _config(conn)
    if at is None:
        existing = set(inspect(conn).get_table_names())
        if not existing & set(Base.metadata.tables):
            Base.metadata.create_all(conn)  # a new database: the models are the newest schema
            command.stamp(cfg, "head")
            return f"created at {head()}"
        command.stamp(cfg, BASELINE)  # made by the first release, before migrations existed
        at = BASELINE
    command.upgrade(cfg, "head")
    return f"upgraded from {at} to {head()}"
