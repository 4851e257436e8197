"""Shared fixtures: a clean environment, both store backends, emulators on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from bot.store import Store
from sandbox.core import Emulator
from sandbox.server import _free_port

if TYPE_CHECKING:
    from connectors.hubspot import HubSpotConnector
    from sandbox.harness import Bot
    from sandbox.hubspot import HubSpotEmulator

# A fixed "today" makes golden output and date arithmetic reproducible.
TODAY = date(2026, 11, 25)

SECRET_PREFIXES = (
    "SLACK_",
    "HUBSPOT_",
    "ASANA_",
    "QBO_",
    "NETSUITE_",
    "ACCOUNTING",
    "DATABASE_URL",
    "ACCOUNTBOT_",
    "PUBLIC_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Never pick up real secrets or a developer's .env: empty env, fresh working directory."""
    for key in list(os.environ):
        if key.startswith(SECRET_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def _backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set"),
        )
    )
    return params


@pytest.fixture(params=_backends())
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        s = await Store.open(f"sqlite:///{tmp_path}/test.db")
        yield s
        await s.close()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    s = await Store.open(os.environ["TEST_DATABASE_URL"], schema=schema)
    try:
        yield s
    finally:
        from sqlalchemy import text

        async with s.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await s.close()


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh database another process can open too: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/bot.db"
        return
    import asyncpg

    base = os.environ["TEST_DATABASE_URL"]
    name = f"accountbot_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield base.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(base)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def bot(tmp_path) -> AsyncIterator[Bot]:
    """accountbot served on loopback against a fresh sandbox (see sandbox.harness)."""
    from sandbox.harness import start_bot, stop_bot

    running = await start_bot(tmp_path)
    yield running
    await stop_bot(running)


@pytest.fixture
async def bot_on_both(tmp_path, database_url: str) -> AsyncIterator[Bot]:
    """The same, on SQLite and (when TEST_DATABASE_URL is set) on PostgreSQL."""
    from sandbox.harness import start_bot, stop_bot

    running = await start_bot(tmp_path, database_url=database_url)
    yield running
    await stop_bot(running)


@pytest.fixture
async def hub(serve: Callable) -> HubSpotEmulator:
    """The HubSpot emulator with the demo book, on a loopback port."""
    from sandbox.book import DEMO_ACCOUNTS
    from sandbox.hubspot import HubSpotEmulator

    return await serve(HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def hubspot_connectors() -> AsyncIterator[Callable[..., HubSpotConnector]]:
    """Build HubSpot connectors pointed at an emulator: `make(emulator, token=None, **kwargs)`; closed after."""
    from connectors.hubspot import HubSpotConnector

    made: list[HubSpotConnector] = []

    def make(emulator: Any, *, token: str | None = None, **kwargs: Any) -> HubSpotConnector:
        env = emulator.env()
        made.append(
            HubSpotConnector(
                token or env["HUBSPOT_ACCESS_TOKEN"], env["HUBSPOT_PORTAL_ID"], env["HUBSPOT_BASE_URL"], **kwargs
            )
        )
        return made[-1]

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable]:
    """Serve an emulator on a loopback port: `await serve(emulator)` sets its base_url."""
    runners: list[web.AppRunner] = []
    served: list[Emulator] = []

    async def _serve(emulator: Emulator) -> Emulator:
        served.append(emulator)
        runner = web.AppRunner(emulator.build_app(), access_log=None)
        await runner.setup()
        port = _free_port("127.0.0.1")
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        emulator.base_url = f"http://127.0.0.1:{port}"
        return emulator

    yield _serve
    for emulator in served:
        emulator.closing = True
    for runner in runners:
        await runner.cleanup()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Skips as one line per reason ("61 skipped: TEST_DATABASE_URL not set"), not one line per test."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{count} skipped: {reason}")
