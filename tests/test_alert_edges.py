"""The smaller promises of the alert pipeline: DMs retried, amounts checked, subscriptions from now on, claims."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from sqlalchemy import text

from sandbox.book import PEOPLE, PORTAL_ID
from sandbox.harness import Bot
from sandbox.slack import SALES
from tests.test_alert_faults import alerts, pay_acme, rounds, subscribe

MAYA = PEOPLE[0].slack_id  # owner of Acme Logistics


def dms(bot: Bot) -> list[dict]:
    return [
        m
        for m in bot.slack.messages()
        if m["channel"].startswith("D") and (m.get("metadata") or {}).get("event_type") == "accountbot_alert"
    ]


async def test_a_rate_limited_owner_lookup_delays_the_dm_but_never_drops_it(bot: Bot) -> None:
    """users.lookupByEmail answers 429: the owner's DM waits and goes out on a later round."""
    bot.deps.worker.engine.burst_window = 0.0
    await bot.deps.worker.step()  # alerting has begun
    bot.slack.inject(429, path_contains="users.lookupByEmail", retry_after=3)
    await pay_acme(bot)
    await rounds(bot, [0.0])
    assert dms(bot) == []
    await rounds(bot, [10.0])
    [dm] = dms(bot)
    assert "Payment received" in dm["text"] and bot.slack.channels[dm["channel"]]["user"] == MAYA


async def test_an_absurd_minimum_gets_a_clear_message(bot_on_both: Bot) -> None:
    """min= with 33 digits is refused in words (no database error, nothing stored), on both backends."""
    _, _, url = await bot_on_both.command("subscribe Acme Logistics min=" + "9" * 33, channel_id=SALES, user_id=MAYA)
    [reply] = await bot_on_both.delivered(url)
    assert "is more than any payment" in reply["text"] and "min=1,000,000,000,000" in reply["text"]
    assert await bot_on_both.services.store.subscriptions() == []


async def test_a_new_subscription_hears_only_what_happens_after_it(bot: Bot) -> None:
    """A payment made before the channel subscribed is not announced there, webhook or poller."""
    bot.deps.worker.engine.burst_window = 0.0
    await bot.deps.worker.engine.poll()  # the pollers' watermarks
    qbo = bot.sandbox.quickbooks
    qbo.add_payment(qbo.find_invoice("1019"), Decimal("5000.00"))
    body, headers = qbo.pending_webhook_delivery()
    await asyncio.sleep(1.1)  # QuickBooks stamps to the second
    await subscribe(bot)
    async with bot.http.post(f"{bot.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
        assert resp.status == 200
    await rounds(bot, [0.0, 5.0])
    await bot.deps.worker.engine.poll()
    await rounds(bot, [10.0])
    assert alerts(bot, SALES) == []
    await pay_acme(bot, "1000.00")  # after it: announced
    await rounds(bot, [20.0])
    assert len(alerts(bot, SALES)) == 1


async def test_one_time_claims_are_pruned(bot: Bot) -> None:
    """Slack event ids are forgotten after a few hours by the worker; recent ones are kept."""
    store = bot.services.store
    assert await store.claim("slack-event:Ev-old", "slack-event")
    assert await store.claim("slack-event:Ev-new", "slack-event")
    async with store.engine.begin() as conn:
        await conn.execute(
            text("UPDATE claims SET at = :t WHERE key = 'slack-event:Ev-old'"), {"t": time.time() - 4 * 3600}
        )
    await bot.deps.worker.step()
    assert await store.claim("slack-event:Ev-old", "slack-event")  # forgotten, so it can be claimed again
    assert not await store.claim("slack-event:Ev-new", "slack-event")


async def test_a_failed_event_is_run_again_on_slacks_retry(bot: Bot) -> None:
    """chat.unfurl fails through every retry: the event's claim is released and Slack's retry unfurls."""
    url = f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/18340012003"
    event = bot.slack.link_shared([url])
    bot.slack.inject(500, count=3, path_contains="chat.unfurl")
    assert (await bot.event(event, event_id="Ev0FAIL1"))[0] == 200
    await bot.until(lambda: bot.slack.count("chat.unfurl") == 3, what="the failed unfurls")
    await asyncio.sleep(0.3)  # the listener's error handler gives the claim back
    assert (await bot.event(event, event_id="Ev0FAIL1", retry_num=1))[0] == 200
    await bot.until(lambda: bot.slack.unfurls, what="the unfurl on Slack's retry")
    assert list(bot.slack.unfurls[0]["unfurls"]) == [url]
