"""Schema migrations: an install of the first release upgrades and loses nothing; models match migrations."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store, async_url, migrate
from bot.store.schema import Base


def _backends() -> list:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set"),
        ),
    ]


@pytest.fixture(params=_backends())
async def target(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[tuple[str, str | None]]:
    """(database URL, PostgreSQL schema or None) of an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db", None
        return
    url, schema = os.environ["TEST_DATABASE_URL"], f"m_{uuid.uuid4().hex[:10]}"
    yield url, schema
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await engine.dispose()


def _engine(url: str, schema: str | None):
    args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(async_url(url), connect_args=args)


FIRST_RELEASE_ROWS = [
    "INSERT INTO oauth_tokens (key, refresh_token, access_token, access_expires_at, refresh_expires_at, version, "
    "updated_at) VALUES ('quickbooks:1', 'RT-kept', 'AT', 1.0, NULL, 7, 1.0)",
    "INSERT INTO qbo_invoice_index (realm_id, invoice_id, deal_id, last_updated) VALUES ('1', '1019', '42', 'x')",
    "INSERT INTO asana_project_index (workspace_gid, project_gid, deal_id, project_name, archived, indexed_at) "
    "VALUES ('w', 'p1', '42', 'Acme rollout', 0, 1.0)",
    "INSERT INTO outbox (event_key, destination, group_key, kind, deal_id, payload, subscription_id, status, "
    "attempts, due_at, attempt_started_at, channel, sent_ts, last_error, created_at) VALUES "
    "('payment:1', 'C1', 'C1|42|payments', 'payments', '42', '{}', NULL, 'sending', 1, 1.0, 1.0, 'C1', NULL, "
    "NULL, 1.0)",
    "INSERT INTO inbox (source, payload, received_at, processed_at) VALUES ('quickbooks', '{}', 1.0, NULL)",
    "INSERT INTO sync_state (name, value, updated_at) VALUES ('poll:quickbooks:cursor', 'c', 1.0)",
]


async def test_a_first_release_database_upgrades_and_loses_nothing(target) -> None:
    """Tables made by create_all (no alembic_version), with data: opening upgrades them in place."""
    url, schema = target
    engine = _engine(url, schema)
    async with engine.begin() as conn:
        if schema:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(lambda c: command.upgrade(migrate._config(c), migrate.BASELINE))
        await conn.execute(text("DROP TABLE alembic_version"))  # the first release never had one
        for statement in FIRST_RELEASE_ROWS:
            await conn.execute(text(statement))
    await engine.dispose()

    store = await Store.open(url, schema=schema)
    try:
        assert store.migrated == f"upgraded from {migrate.BASELINE} to {migrate.head()}"
        token = await store.get_token("quickbooks:1")
        assert token is not None and token.refresh_token == "RT-kept" and token.version == 7
        assert await store.invoices_for("1", "42") == ["1019"]
        assert [p.project_name for p in await store.asana_projects_for("w", "42")] == ["Acme rollout"]
        [row] = await store.outbox_rows()
        assert (row.status, row.channel, row.attempts, row.checks, row.unverified) == ("sending", "C1", 1, 0, False)
        assert await store.get_sync("poll:quickbooks:cursor") == "c"
        assert len(await store.take_inbox("me", limit=10)) == 1
    finally:
        await store.close()
    again = await Store.open(url, schema=schema)
    assert again.migrated == "up to date"
    await again.close()


async def test_migrations_build_exactly_the_models(target) -> None:
    """Upgrading from the baseline gives the schema the models describe: no drift between the two."""
    url, schema = target
    engine = _engine(url, schema)
    async with engine.begin() as conn:
        if schema:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(lambda c: command.upgrade(migrate._config(c), "head"))
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
        )
    await engine.dispose()
    assert diff == []


async def test_a_new_database_is_created_at_head(target) -> None:
    """A fresh database is made from the models and stamped with the newest revision."""
    url, schema = target
    store = await Store.open(url, schema=schema)
    try:
        assert store.migrated == f"created at {migrate.head()}"
        async with store.engine.connect() as conn:
            assert await conn.run_sync(migrate.current) == migrate.head()
    finally:
        await store.close()


def _revisions() -> list[str]:
    """Every revision before head, oldest first: each is a schema some install may still run."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    return [r.revision for r in reversed(list(script.walk_revisions())) if r.revision != migrate.head()]


def _indexes(conn) -> dict[str, set[tuple[str, tuple[str, ...], bool]]]:
    inspector = inspect(conn)
    return {
        table: {(i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)}
        for table in sorted(Base.metadata.tables)
    }


@pytest.mark.parametrize("previous", _revisions())
async def test_an_install_of_a_previous_release_upgrades_with_its_data_and_indexes(target, previous: str) -> None:
    """A database at an older revision, with outbox rows, tokens and index rows: opening it upgrades in place,
    keeps every row, and ends with exactly the indexes of a fresh database."""
    url, schema = target
    engine = _engine(url, schema)
    async with engine.begin() as conn:
        if schema:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(lambda c: command.upgrade(migrate._config(c), previous))
        for statement in FIRST_RELEASE_ROWS:
            await conn.execute(text(statement))
    await engine.dispose()

    store = await Store.open(url, schema=schema)
    try:
        assert store.migrated == f"upgraded from {previous} to {migrate.head()}"
        token = await store.get_token("quickbooks:1")
        assert token is not None and token.refresh_token == "RT-kept" and token.version == 7
        assert await store.invoices_for("1", "42") == ["1019"]
        assert [p.project_name for p in await store.asana_projects_for("w", "42")] == ["Acme rollout"]
        [row] = await store.outbox_rows()
        assert (row.event_key, row.status, row.attempts) == ("payment:1", "sending", 1)
        assert len(await store.take_inbox("me", limit=10)) == 1
        async with store.engine.connect() as conn:
            upgraded = await conn.run_sync(_indexes)
    finally:
        await store.close()

    fresh_engine = _engine(url, schema)
    async with fresh_engine.begin() as conn:
        fresh_schema = f"{schema}_fresh" if schema else None
        if fresh_schema:
            await conn.execute(text(f'CREATE SCHEMA "{fresh_schema}"'))
            await conn.execute(text(f'SET search_path TO "{fresh_schema}"'))
            await conn.run_sync(Base.metadata.create_all)
            fresh = await conn.run_sync(_indexes)
            await conn.execute(text(f'DROP SCHEMA "{fresh_schema}" CASCADE'))
    await fresh_engine.dispose()
    if not schema:
        other = create_async_engine(async_url(url.replace("old.db", "fresh.db")))
        async with other.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            fresh = await conn.run_sync(_indexes)
        await other.dispose()
    assert upgraded == fresh


async def test_processes_migrating_one_new_sqlite_file_at_once_all_succeed(tmp_path) -> None:
    """`serve` and `worker` started together on a new SQLite file: SQLite's driver commits DDL as it goes, so
    without a lock between processes the second one reads a half-upgraded schema and dies."""
    import asyncio
    import sys

    for round_ in range(5):
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/race{round_}.db"}
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "migrate", env=env, stdout=asyncio.subprocess.PIPE, stderr=-2
            )
            for _ in range(4)
        ]
        outputs = [(await p.communicate())[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
