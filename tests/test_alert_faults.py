"""Alerts under the faults a real workspace sees: never lost, never doubled (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from bot.alerts.sender import MAX_CHECKS
from sandbox.harness import Bot
from sandbox.slack import SALES

MAYA = "U01MAYA0001"  # owner of Acme Logistics
ACME = "18340012001"
HISTORY_SCOPES = {"channels:history", "groups:history", "im:history", "mpim:history"}


@pytest.fixture
def bot(bot_on_both: Bot) -> Bot:
    """A bot on both backends; deliveries due at once, no owner DMs (one destination per event)."""
    from dataclasses import replace

    worker = bot_on_both.deps.worker
    worker.engine.burst_window = 0.0
    worker.engine.settings = replace(worker.engine.settings, alert_owner_dm=False)
    return bot_on_both


def alerts(bot: Bot, channel: str = SALES) -> list[dict]:
    """The alert messages in a channel, oldest first."""
    return [m for m in bot.slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == "accountbot_alert"]


async def subscribe(bot: Bot, text: str = "subscribe Acme Logistics payments") -> None:
    _, _, url = await bot.command(text, channel_id=SALES, user_id=MAYA)
    await bot.delivered(url)


async def pay_acme(bot: Bot, amount: str = "29600.00") -> None:
    """A payment in QuickBooks and its webhook delivered to serve."""
    qbo = bot.sandbox.quickbooks
    qbo.add_payment(qbo.find_invoice("1019"), Decimal(amount))
    body, headers = qbo.pending_webhook_delivery()
    async with bot.http.post(f"{bot.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
        assert resp.status == 200


async def rounds(bot: Bot, offsets: list[float]) -> None:
    """Worker rounds with the sender's clock moved forward (backoffs and checks fall due)."""
    for offset in offsets:
        bot.deps.worker.sender.clock = lambda o=offset: time.time() + o
        await bot.deps.worker.step()


async def health(bot: Bot) -> dict:
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        return await resp.json()


@pytest.mark.parametrize("stored, expected", [(False, 1), (True, 2)], ids=["500-before-storing", "stored-then-500"])
async def test_unreadable_history_never_loses_an_alert(bot: Bot, stored: bool, expected: int) -> None:
    """Slack's answer lost and the history check refused (missing scope): after a few checks it goes out again.

    At least once: if Slack had stored it, it shows twice, and is marked so; doctor names the scope to add.
    """
    bot.slack.scopes -= HISTORY_SCOPES  # installed from an older manifest
    await subscribe(bot)
    if stored:
        bot.slack.fail_after_post(count=1, status=500)
    else:
        bot.slack.inject(500, path_contains="chat.postMessage")
    await pay_acme(bot)
    await rounds(bot, [0.0])
    report = await health(bot)
    assert report["status"] == "degraded"
    # with no history scope at all Slack may name every kind's scope, not only channels:history
    assert "missing_scope (needs channels:history" in " ".join(report["problems"])
    await rounds(bot, [60.0 * n for n in range(1, MAX_CHECKS + 2)])
    assert len(alerts(bot)) == expected
    [row] = await bot.services.store.outbox_rows()
    assert row.status == "sent" and row.unverified
    _, _, url = await bot.command("doctor", channel_id=SALES, user_id=MAYA)
    [reply] = await bot.delivered(url)
    assert "may show twice" in reply["blocks"][0]["text"]["text"]


async def test_a_slow_500_after_storing_is_found_in_history(bot: Bot) -> None:
    """The 5xx arrives long after Slack stored the message: the check still starts at the attempt's real start."""
    await subscribe(bot)
    bot.slack.fail_after_post(count=1, status=500)
    await pay_acme(bot)
    posted = lambda: bot.slack.count("chat.postMessage") > 0  # noqa: E731
    bot.deps.worker.sender.clock = lambda: time.time() + (10.0 if posted() else 0.0)  # the answer took 10 s
    await bot.deps.worker.step()
    await rounds(bot, [60.0, 120.0])
    assert len(alerts(bot)) == 1
    assert {r.status for r in await bot.services.store.outbox_rows()} == {"sent"}


async def test_history_settles_only_the_ids_it_shows(bot: Bot) -> None:
    """Two deliveries sent together, history shows a message carrying only one: the other goes out again."""
    store = bot.services.store
    await subscribe(bot)
    bot.deps.worker.engine.burst_window = 600.0  # queued, not due yet
    await pay_acme(bot, "1000.00")
    await pay_acme(bot, "2000.00")
    await bot.deps.worker.step()  # recorded, not due yet
    first, second = [r.id for r in await store.outbox_rows()]
    started = time.time()
    assert await store.claim_for_sending([first, second], started)  # a send of both, whose answer never came
    await store.set_outbox_channel([first, second], SALES)
    bot.slack.add_bot_message(
        SALES, "Payment received", metadata={"event_type": "accountbot_alert", "event_payload": {"outbox_ids": [first]}}
    )  # an earlier copy of one
    bot.deps.worker.sender.reconcile_after = 0.0
    await rounds(bot, [1.0, 2.0])
    rows = {r.id: r for r in await store.outbox_rows()}
    assert rows[first].status == rows[second].status == "sent"
    assert len(alerts(bot)) == 2  # the planted copy of the first, and the second sent on its own
    assert "2,000.00" in str(alerts(bot)[-1]["blocks"]) and "1,000.00" not in str(alerts(bot)[-1]["blocks"])
