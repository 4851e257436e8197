"""Shared fixtures: a clean environment, both store backends, emulators on loopback."""
from __future__ import annotations

import os
import uuid
from datetime import date
from typing import AsyncIterator, Callable

import pytest
from aiohttp import web

from bot.store import Store
from sandbox.core import Emulator
from sandbox.server import _free_port

# A fixed "today" makes golden output and date arithmetic reproducible.
TODAY = date(2026, 11, 25)

SECRET_PREFIXES = ("SLACK_", "HUBSPOT_", "ASANA_", "QBO_", "DATABASE_URL", "ACCOUNTBOT_", "PUBLIC_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Never pick up real secrets or a developer's .env: empty env, fresh working directory."""
    for key in list(os.environ):
        if key.startswith(SECRET_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def _backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")))
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
