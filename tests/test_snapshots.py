"""The daily snapshot round: every tracked account once, batched, resumable after a restart."""

from __future__ import annotations

import pytest

from bot.snapshots import CURSOR
from sandbox.book import DEMO_ACCOUNTS
from sandbox.harness import Bot


@pytest.fixture
async def bot(bot: Bot) -> Bot:
    """The shared bot with both join indexes built, as a running worker keeps them."""
    await bot.services.asana.refresh_index()
    await bot.services.accounting.sync_index()
    return bot


async def test_daily_round_snapshots_every_tracked_account(bot: Bot) -> None:
    """Accounts with a project or invoices get one snapshot each, with health; the cursor is cleared."""
    snap = bot.deps.worker.snapshotter
    tracked = await snap.tracked()
    assert set(tracked) >= {a.deal_id for a in DEMO_ACCOUNTS if a.project or a.invoices}
    assert await snap.daily_round(pace=False) == len(tracked)
    latest = await bot.services.store.latest_snapshots(tracked)
    assert set(latest) == set(tracked)
    stark = latest["18340012005"][1]
    assert (
        stark["health_detail"]["level"] == "red" and "invoice 34 days overdue" in stark["health_detail"]["reasons"][0]
    )
    assert await bot.services.store.get_sync(CURSOR) == ""


async def test_daily_round_resumes_after_a_restart(bot: Bot) -> None:
    """A round interrupted half way goes on from its cursor, not from the start."""
    snap = bot.deps.worker.snapshotter
    tracked = await snap.tracked()
    middle = tracked[len(tracked) // 2]
    await bot.services.store.set_sync(CURSOR, f"0|{middle}")
    taken = await snap.daily_round(pace=False)
    assert taken == len([d for d in tracked if d > middle])
    assert middle not in await bot.services.store.latest_snapshots([middle])
