"""Exactly once across processes: kill -9 mid-send, two workers, lease takeover — SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.alerts.worker import LEASE
from bot.settings import Settings
from bot.wiring import Services, another_worker, open_services, settings_on_sandbox
from sandbox.server import Sandbox
from sandbox.slack import SALES

ACME = "18340012001"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Services, dict]]:
    """The sandbox, in-process services on `database_url`, and the env a worker process needs."""
    async with Sandbox() as sandbox:
        env = dict(sandbox.env(), DATABASE_URL=database_url, POLL_INTERVAL_SECONDS="3600")
        settings = replace(
            settings_on_sandbox(Settings.from_env({}, dotenv=None), sandbox.env(), database_dir=tmp_path),
            database_url=database_url,
        )
        services = await open_services(settings)
        try:
            yield sandbox, services, env
        finally:
            await services.close()


def build_worker(settings, services, **kwargs):
    """A worker without the daily snapshot round (it has its own tests)."""
    worker = another_worker(services, settings, **kwargs)
    worker.daily_snapshots = False
    return worker


def _alerts(sandbox: Sandbox) -> list[dict]:
    return [
        m for m in sandbox.slack.messages(SALES) if (m.get("metadata") or {}).get("event_type") == "accountbot_alert"
    ]


async def _queue_payment_alert(sandbox: Sandbox, services: Services) -> None:
    """A subscription and one payment event already written to the outbox."""
    await services.store.subscribe(SALES, ACME, "Acme Logistics", {"payments"}, None, "U01MAYA0001")
    worker = build_worker(replace(services.settings, alert_owner_dm=False), services)  # one destination
    worker.engine.burst_window = 0.0
    qbo = sandbox.quickbooks
    payment = qbo.add_payment(qbo.find_invoice("1019"), Decimal("29600.00"))
    assert await worker.engine.payment(payment) == 1


async def _run_worker_process(env: dict, crash_at: str) -> int:
    """`accountbot worker` in its own process, told to die (SIGKILL) at a point of the send."""
    full = {**os.environ, **env, "ACCOUNTBOT_CRASH_AT": crash_at, "ALERT_OWNER_DM": "false"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "worker",
        env=full,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(proc.wait(), timeout=60)
    except TimeoutError:
        proc.kill()
        raise
    return proc.returncode


async def _restart(services: Services) -> None:
    """Another worker after the dead one's lease ran out: reconcile, then send."""
    async with services.store.engine.begin() as conn:  # the 20 s lease TTL passes
        await conn.execute(text("UPDATE leases SET expires_at = 0"))
    worker = build_worker(replace(services.settings, alert_owner_dm=False), services)
    worker.sender.reconcile_after = 0.0
    for _ in range(3):
        assert await worker.step()


@pytest.mark.parametrize("crash_at, before_restart", [("before_post", 0), ("after_post", 1)])
async def test_kill_9_mid_send_loses_nothing_and_doubles_nothing(world, crash_at: str, before_restart: int) -> None:
    """kill -9 after the store write (before the post, or after Slack accepted): one alert after restart."""
    sandbox, services, env = world
    await _queue_payment_alert(sandbox, services)
    assert await _run_worker_process(env, crash_at) == -9
    assert len(_alerts(sandbox)) == before_restart
    await _restart(services)
    [alert] = _alerts(sandbox)
    assert "Payment received" in alert["text"]
    assert {r.status for r in await services.store.outbox_rows()} == {"sent"}


async def test_two_workers_never_double_send(world) -> None:
    """Two workers on one store: one leads, the other stands by; one message."""
    sandbox, services, _ = world
    await _queue_payment_alert(sandbox, services)
    quiet = replace(services.settings, alert_owner_dm=False)
    a, b = build_worker(quiet, services), build_worker(quiet, services)

    async def rounds(worker) -> list[bool]:
        return [await worker.step() for _ in range(3)]

    led_a, led_b = await asyncio.gather(rounds(a), rounds(b))  # side by side, each in its own order
    assert (all(led_a) and not any(led_b)) or (all(led_b) and not any(led_a))
    assert len(_alerts(sandbox)) == 1


async def test_a_standby_takes_over_when_the_leader_dies(world) -> None:
    """The leader stops renewing; the standby takes the lease once it expires."""
    _, services, _ = world
    quiet = replace(services.settings, alert_owner_dm=False)
    a = build_worker(quiet, services, lease_ttl=0.5)
    b = build_worker(quiet, services, lease_ttl=0.5)
    assert await a.step() and not await b.step()
    await asyncio.sleep(0.7)  # a died: no more renewals
    assert await b.step()
    holder = await services.store.lease_holder(LEASE)
    assert holder is not None and holder[0] == b.holder
