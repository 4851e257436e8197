"""Opening a database: what is wrong with it in one line, before or after the driver tries."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

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
