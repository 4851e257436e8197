"""Opening a database: what is wrong with it in one line, before or after the driver tries."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import migrate
from connectors.errors import in_words


class StoreUnavailable(Exception):
    """The database named by DATABASE_URL cannot be opened; the message says what to do, in one line."""


def explain(url: str, exc: BaseException) -> str:
    """One line: what is wrong with the database at `url` and what to do about it."""
    parsed = make_url(url)
    cause: BaseException = getattr(exc, "orig", None) or exc
    sqlstate = getattr(cause, "sqlstate", None)  # PostgreSQL's error code, through the driver
    name = type(cause).__name__
    words = str(cause).strip().splitlines()[0] if str(cause).strip() else name
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return (
            f"cannot open the SQLite database {path!r} ({words}): make sure its folder exists and is writable, "
            "or point DATABASE_URL elsewhere (sqlite:////absolute/path.db)"
        )
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if sqlstate == "3D000":  # invalid_catalog_name
        return (
            f"PostgreSQL at {where} has no database {parsed.database!r}: create it "
            f"(createdb {parsed.database}) or fix the database name in DATABASE_URL"
        )
    if sqlstate in ("28P01", "28000"):  # invalid_password, invalid_authorization_specification
        return (
            f"PostgreSQL at {where} refused user {parsed.username!r} ({words}): "
            "check the user and password in DATABASE_URL"
        )
    if isinstance(cause, OSError | TimeoutError) or name in ("ConnectionDoesNotExistError", "CannotConnectNowError"):
        reason = in_words(cause)
        return f"cannot reach PostgreSQL at {where} ({reason}): start it, or fix the host and port in DATABASE_URL"
    return f"cannot open the database at {where} ({name}: {words}): check DATABASE_URL"


def async_url(url: str) -> str:
    """Map a DATABASE_URL (sqlite:///x.db, postgresql://...) to its async driver URL."""
    if url.startswith("sqlite+") or url.startswith("postgresql+"):
        return url
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {url.split(':', 1)[0]!r}")


def check_sqlite_folder(url: str) -> None:
    """A SQLite file's folder must exist and be writable (checked before the driver, which fails obscurely)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    folder = Path(parsed.database).resolve().parent
    problem = "does not exist" if not folder.is_dir() else "is not writable" if not os.access(folder, os.W_OK) else ""
    if problem:
        raise StoreUnavailable(
            f"cannot open the SQLite database {parsed.database!r}: the folder {str(folder)!r} {problem}; "
            "create it or make it writable, or point DATABASE_URL elsewhere (sqlite:////absolute/path.db)"
        )


SCHEMA_LOCK_ID: Final = 0x616363_7462  # "acctb": advisory lock that serialises schema creation
_MIGRATION_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _migration_lock() -> asyncio.Lock:
    """This event loop's lock around migrations: stores opened together in one process take turns."""
    loop = asyncio.get_running_loop()
    lock = _MIGRATION_LOCKS.get(loop)
    if lock is None:
        lock = _MIGRATION_LOCKS[loop] = asyncio.Lock()
    return lock


async def create_schema(engine: AsyncEngine, schema: str | None) -> str:
    """Create or upgrade the schema (Alembic), one process at a time, and one store at a time in a process;
    what was done, in words."""
    async with _migration_lock():  # Alembic keeps the running migration's context in module globals
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                # Serialise concurrent starts: the lock is released at commit.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK_ID})
                if schema:
                    await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                return str(await conn.run_sync(migrate.upgrade))
        async with _sqlite_file_lock(engine.url.database):
            return await _upgrade_sqlite(engine)


@contextlib.asynccontextmanager
async def _sqlite_file_lock(database: str | None) -> AsyncIterator[None]:
    """Processes on one SQLite file take turns at its schema (an flock on a file beside it).

    SQLite's driver commits DDL as it goes, so a migration is not one transaction there: without
    this, a second process starting at the same moment reads a half-upgraded schema.
    """
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.schema-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


async def _upgrade_sqlite(engine: AsyncEngine) -> str:
    """The SQLite upgrade, retried while another process's writes hold the database locked."""
    for attempt in range(10):
        try:
            async with engine.begin() as conn:
                await conn.execute(text("PRAGMA journal_mode=WAL"))
                return str(await conn.run_sync(migrate.upgrade))
        except (OperationalError, ProgrammingError) as exc:  # a writer in another process holds the file
            if "already exists" not in str(exc) and "locked" not in str(exc) or attempt == 9:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover
