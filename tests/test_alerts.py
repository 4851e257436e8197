"""Alerts end to end: subscribe in Slack, a change in QuickBooks or HubSpot, one message — exactly once."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from sandbox.book import PEOPLE
from sandbox.harness import Bot, block_texts
from sandbox.slack import GENERAL, LEADERSHIP, OLD_DEALS, SALES

MAYA = PEOPLE[0].slack_id  # owner of Acme Logistics
ACME = "18340012001"


@pytest.fixture
def bot(bot: Bot) -> Bot:
    """The shared bot, with deliveries due at once (no burst window) unless a test says otherwise."""
    bot.deps.worker.engine.burst_window = 0.0
    return bot


async def _say(bot: Bot, text: str, channel: str = SALES, user: str = MAYA) -> str:
    _, _, url = await bot.command(text, channel_id=channel, user_id=user)
    [reply] = await bot.delivered(url)
    return reply["text"]


async def _post_webhook(bot: Bot, path: str, body: bytes, headers: dict) -> int:
    async with bot.http.post(f"{bot.url}{path}", data=body, headers=headers) as resp:
        return resp.status


def _alerts(bot: Bot, channel: str) -> list[dict]:
    return [m for m in bot.slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == "accountbot_alert"]


async def _drain(bot: Bot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await bot.deps.worker.step()


async def _pay_acme_invoice(bot: Bot, amount: str = "29600.00") -> str:
    qbo = bot.sandbox.quickbooks
    return qbo.add_payment(qbo.find_invoice("1019"), Decimal(amount))


async def test_payment_webhook_three_times_plus_poller_is_one_message(bot: Bot) -> None:
    """The same QuickBooks webhook delivered three times, and the poller seeing it: one message per place."""
    assert "will get escalations and payments alerts" in await _say(bot, "subscribe Acme Logistics")
    await bot.deps.worker.engine.poll()  # the pollers' first round sets their watermarks
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    for _ in range(3):
        assert await _post_webhook(bot, "/webhooks/quickbooks", body, headers) == 200
    await _drain(bot)
    await bot.deps.worker.engine.poll()
    await _drain(bot)
    [alert] = _alerts(bot, SALES)
    text = block_texts(alert)
    assert "Payment received" in text and "Acme Logistics – Fleet Portal Rebuild" in text
    assert "$29,600.00" in text and "paid in full" in text
    assert any(
        b.get("elements", [{}])[0].get("action_id") == "show_card" for b in alert["blocks"] if b["type"] == "actions"
    )
    dms = [
        m
        for m in bot.slack.messages()
        if m["channel"].startswith("D") and (m.get("metadata") or {}).get("event_type") == "accountbot_alert"
    ]
    assert len(dms) == 1  # the deal owner, Maya, by DM


async def test_legacy_webhook_format_and_partial_payment(bot: Bot) -> None:
    """The legacy eventNotifications format works too; a partial payment says what remains."""
    await _say(bot, "subscribe Acme Logistics payments")
    await _pay_acme_invoice(bot, "10000.00")
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery(format="legacy")
    assert await _post_webhook(bot, "/webhooks/quickbooks", body, headers) == 200
    await _drain(bot)
    [alert] = _alerts(bot, SALES)
    assert "$19,600.00 still open" in block_texts(alert)


async def test_forged_and_stale_webhooks_are_refused_and_do_nothing(bot: Bot) -> None:
    """A forged QuickBooks delivery and a stale HubSpot one get 401; nothing reaches the inbox."""
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    assert await _post_webhook(bot, "/webhooks/quickbooks", body + b" ", headers) == 401
    hub = bot.sandbox.hubspot
    url = f"{bot.url}/webhooks/hubspot"
    body, headers = hub.webhook_delivery(
        [hub.webhook_event("ticket.creation", "1")], url, timestamp_ms=int((time.time() - 600) * 1000)
    )
    assert await _post_webhook(bot, "/webhooks/hubspot", body, headers) == 401
    assert await bot.services.store.inbox_backlog() == 0


async def test_escalation_opened_alert(bot: Bot) -> None:
    """A new HIGH ticket on a deal → 'Escalation opened' with subject and priority."""
    await _say(bot, "subscribe all escalations")
    hub = bot.sandbox.hubspot
    ticket = hub.add_ticket(ACME, "Drivers can't log in", priority="URGENT")
    url = f"{bot.url}/webhooks/hubspot"
    body, headers = hub.webhook_delivery([hub.webhook_event("ticket.creation", ticket)], url)
    assert await _post_webhook(bot, "/webhooks/hubspot", body, headers) == 200
    await _drain(bot)
    [alert] = _alerts(bot, SALES)
    text = block_texts(alert)
    assert "Escalation opened" in text and "Drivers can't log in" in text and "URGENT" in text


async def test_a_burst_of_payments_is_one_message(bot: Bot) -> None:
    """Ten payments for one account in one QuickBooks batch: one message listing them."""
    await _say(bot, "subscribe Cyberdyne payments")
    bot.deps.worker.engine.burst_window = 2.0
    qbo = bot.sandbox.quickbooks
    for _ in range(10):
        qbo.add_payment(qbo.find_invoice("R012"), Decimal("1000.00"))
    body, headers = qbo.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    await bot.deps.worker.step()
    assert [m["text"] for m in _alerts(bot, SALES)] == []  # still gathering the burst
    bot.deps.worker.sender.clock = lambda: time.time() + 5
    await _drain(bot)
    [alert] = _alerts(bot, SALES)
    assert "10 payments received" in block_texts(alert)


async def test_a_burst_over_several_accounts_shares_one_message(bot: Bot) -> None:
    """Payments on three accounts at once, one channel: one message, a section and a card button per account."""
    await _say(bot, "subscribe all payments")
    qbo = bot.sandbox.quickbooks
    for doc in ("1019", "1015", "1009"):
        qbo.add_payment(qbo.find_invoice(doc), Decimal("500.00"))
    body, headers = qbo.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    await _drain(bot)
    [alert] = _alerts(bot, SALES)
    text = block_texts(alert)
    assert alert["text"].startswith("New payments on 3 accounts")
    assert all(name in text for name in ("Acme Logistics", "Globex", "Stark Manufacturing"))
    buttons = [b["elements"][0]["value"] for b in alert["blocks"] if b["type"] == "actions"]
    assert sorted(buttons) == ["18340012001", "18340012002", "18340012005"]
    assert len(alert["metadata"]["event_payload"]["outbox_ids"]) == 3


async def test_min_amount_filters_small_payments(bot: Bot) -> None:
    """min= keeps payments below the amount out of the channel."""
    await _say(bot, "subscribe Acme Logistics payments min=$50,000")
    await _pay_acme_invoice(bot, "1000.00")
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    await _drain(bot)
    assert _alerts(bot, SALES) == []


async def test_slack_500_twice_then_200_is_one_message(bot: Bot) -> None:
    """Slack failing twice (nothing stored) then accepting: exactly one message."""
    await _say(bot, "subscribe Acme Logistics payments")
    bot.slack.inject(500, count=2, path_contains="chat.postMessage")
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    offset = 0.0
    for _ in range(6):
        bot.deps.worker.sender.clock = lambda o=offset: time.time() + o
        await bot.deps.worker.step()
        offset += 20
    assert len(_alerts(bot, SALES)) == 1


async def test_slack_accepted_but_answered_500_is_not_sent_twice(bot: Bot) -> None:
    """Slack stored the message but the answer was a 500: history shows it, no second post."""
    await _say(bot, "subscribe Acme Logistics payments")
    bot.slack.fail_after_post(count=1, status=500)
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    for offset in (0, 60, 120):
        bot.deps.worker.sender.clock = lambda o=offset: time.time() + o
        await bot.deps.worker.step()
    assert len(_alerts(bot, SALES)) == 1
    assert {r.status for r in await bot.services.store.outbox_rows()} == {"sent"}


async def test_subscribe_where_the_bot_is_not_is_refused(bot: Bot) -> None:
    """Not in the channel, or the channel archived: the user is told at subscribe time."""
    assert "Invite me first" in await _say(bot, "subscribe Acme Logistics", channel=GENERAL)
    assert "archived" in await _say(bot, "subscribe Acme Logistics", channel=OLD_DEALS)
    assert await bot.services.store.subscriptions() == []


async def test_a_channel_that_starts_failing_is_marked_broken(bot: Bot) -> None:
    """Archived after subscribing: the delivery fails once, the subscription shows as broken."""
    await _say(bot, "subscribe Acme Logistics payments", channel=LEADERSHIP)
    bot.slack.set_channel(LEADERSHIP, is_archived=True)
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    await _drain(bot)
    [sub] = await bot.services.store.subscriptions(LEADERSHIP)
    assert sub.broken_reason == "is_archived"
    bot.slack.set_channel(LEADERSHIP, is_archived=False)
    listing = await bot.command("subscriptions", channel_id=LEADERSHIP, user_id=MAYA)
    [reply] = await bot.delivered(listing[2])
    assert "broken" in block_texts(reply) and "the channel was archived" in block_texts(reply)


async def test_subscriptions_belong_to_the_channel(bot: Bot) -> None:
    """Listed with who made them; another member can unsubscribe; the maker leaving changes nothing."""
    await _say(bot, "subscribe Acme Logistics escalations")
    await _say(bot, "subscribe all payments min=1000")
    _, _, url = await bot.command("subscriptions", user_id=PEOPLE[1].slack_id)
    [reply] = await bot.delivered(url)
    text = block_texts(reply)
    assert "2 subscriptions" in text and f"<@{MAYA}>" in text and "every account" in text
    bot.slack.set_user(MAYA, deleted=True)
    assert len(await bot.services.store.subscriptions_for(ACME)) == 2
    assert "off" in await _say(bot, "unsubscribe Acme Logistics", user=PEOPLE[1].slack_id)
    assert len(await bot.services.store.subscriptions(SALES)) == 1


async def test_doctor_reports_everything_an_admin_needs(bot: Bot) -> None:
    """Connectors, webhooks, pollers, outbox, broken subscriptions, token expiry."""
    await _pay_acme_invoice(bot)
    body, headers = bot.sandbox.quickbooks.pending_webhook_delivery()
    await _post_webhook(bot, "/webhooks/quickbooks", body, headers)
    _, _, url = await bot.command("doctor")
    [reply] = await bot.delivered(url)
    text = block_texts(reply)
    for fact in (
        "hubspot",
        "asana",
        "quickbooks",
        "auth ok",
        "Webhooks last delivered",
        "Outbox",
        "refresh token hard-expires",
        "Broken subscriptions",
    ):
        assert fact in text, fact
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        health = await resp.json()
    assert health["webhooks_last_delivered"]["quickbooks"] is not None and "outbox" in health


async def test_a_linked_channel_needs_no_account_name(bot: Bot) -> None:
    """/account link binds #client-acme: bare /account shows the card, subscribe needs no name."""
    from sandbox.slack import CLIENT_ACME

    assert "now linked to Acme Logistics" in await _say(bot, "link Acme Logistics", channel=CLIENT_ACME)
    _, _, url = await bot.command("", channel_id=CLIENT_ACME, user_id=MAYA)
    [card] = await bot.delivered(url)
    assert "Acme Logistics – Fleet Portal Rebuild" in block_texts(card) and "Phase" in block_texts(card)
    assert "payments alerts for Acme Logistics" in await _say(bot, "subscribe payments", channel=CLIENT_ACME)
    [sub] = await bot.services.store.subscriptions(CLIENT_ACME)
    assert sub.deal_id == ACME and sub.kinds == {"payments"}
    assert "no longer linked" in await _say(bot, "unlink", channel=CLIENT_ACME)
    assert "How to use /account" in await _say(bot, "", channel=CLIENT_ACME)
