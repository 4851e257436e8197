"""Background work (the daily round) is paced evenly at half of each limit: a card asked meanwhile finds room."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest

from bot.store import Store
from connectors.asana import AsanaConnector
from connectors.runtime import Policy, background, in_background
from sandbox.asana import AsanaEmulator
from sandbox.book import DEMO_ACCOUNTS
from sandbox.harness import Bot
from tests.conftest import TODAY

GLOBEX = "18340012002"
FAST = Policy(timeout=5.0, retries=2, backoff=0.01)


@pytest.fixture
async def emu(serve: Callable) -> AsanaEmulator:
    """The Asana emulator at a tiny tier: 12 requests a minute."""
    emulator = await serve(AsanaEmulator(DEMO_ACCOUNTS, today=TODAY))
    emulator.rate_limit = 12
    return emulator


async def test_a_card_finds_room_while_background_work_runs(emu: AsanaEmulator, store: Store) -> None:
    """At 12 calls a minute, deliveries fetched in the background take one call each 10 s; a card's go at once."""
    env = emu.env()
    connector = AsanaConnector(
        env["ASANA_ACCESS_TOKEN"], env["ASANA_WORKSPACE_GID"], store, env["ASANA_BASE_URL"],
        requests_per_minute=12, policy=FAST,
    )  # fmt: skip
    try:
        await connector.refresh_index()
        others = [a.deal_id for a in DEMO_ACCOUNTS if a.project and a.deal_id != GLOBEX][:4]

        async def round_() -> None:
            with background():
                assert in_background()
                await asyncio.gather(*(connector.delivery(d, today=TODAY) for d in others))

        task = asyncio.create_task(round_())
        await asyncio.sleep(0.2)  # the round is under way
        before = len(emu.calls)
        delivery = await asyncio.wait_for(connector.delivery(GLOBEX, today=TODAY), 5.0)
        assert delivery is not None and delivery.project_name == "Globex CDP implementation"
        assert before <= 2  # the index scan and one paced call of the round
        assert not in_background() and not task.done()
        assert all(c.status != 429 for c in emu.calls)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        connector.close()


async def test_the_daily_round_is_background_work(bot: Bot) -> None:
    """Paced, every upstream call of the round goes through each vendor's background pacer; unpaced, none."""
    services = bot.services
    await services.asana.refresh_index()
    await services.accounting.sync_index()
    snap = services.worker.snapshotter
    snap.spread = 0.001  # chunks back to back: the test measures the pacing inside them
    runners = {"asana": services.asana.runner, "hubspot": services.hubspot.runner}  # type: ignore[attr-defined]
    runners[services.accounting.system] = services.accounting.runner  # type: ignore[attr-defined]
    assert all(r.pacer is not None for r in runners.values())
    await snap.daily_round(pace=False)
    assert all(r.pacer.acquired == 0 for r in runners.values())  # type: ignore[union-attr]
    bot.sandbox.reset_calls()
    taken = await snap.daily_round()
    assert taken == len(await snap.tracked())
    for name, runner in runners.items():
        # a new round first brings the invoice index up to date (CDC): a shared scan, never paced
        made = sum(1 for c in bot.sandbox.emulators[name].calls if not c.path.endswith("/cdc"))
        assert made > 0 and runner.pacer.acquired == made, name  # type: ignore[union-attr]


async def test_an_index_scan_started_by_background_work_is_not_paced(emu: AsanaEmulator, store: Store) -> None:
    """The round may start the project index's refresh; cards join that scan, so it runs at the card's pace."""
    env = emu.env()
    connector = AsanaConnector(
        env["ASANA_ACCESS_TOKEN"], env["ASANA_WORKSPACE_GID"], store, env["ASANA_BASE_URL"],
        requests_per_minute=12, page_size=5, policy=FAST,
    )  # fmt: skip
    try:
        with background():
            indexed = await asyncio.wait_for(connector.refresh_index(), 5.0)  # 4 pages; paced: one each 10 s
    finally:
        connector.close()
    assert indexed > 0 and len(emu.calls) == 4 and connector.runner.pacer is not None
    assert connector.runner.pacer.acquired == 0
