"""ACCOUNTING=netsuite end to end: the card's money, payment alerts by the poller, write-back, doctor, link repair.

The bot is served on loopback and driven through /slack/events with real signatures; the
money comes from the NetSuite emulator (TBA verified, SuiteQL subset, paging, 429s).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.doctor import Doctor
from bot.wiring import another_worker, netsuite_from, quickbooks_from
from bot.writeback import setup
from connectors.errors import ConfigError
from sandbox.book import DEMO_ACCOUNTS
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.netsuite import NetSuiteEmulator
from sandbox.slack import SALES

ACME = "18340012001"
MAYA = "U01MAYA0001"


@pytest.fixture
async def nsbot(tmp_path) -> AsyncIterator[Bot]:
    """accountbot with ACCOUNTING=netsuite on a fresh sandbox; alerts due at once (no burst window)."""
    running = await start_bot(tmp_path, accounting="netsuite")
    running.deps.worker.engine.burst_window = 0.0
    yield running
    await stop_bot(running)


def emulator(bot: Bot) -> NetSuiteEmulator:
    assert bot.sandbox.netsuite is not None
    return bot.sandbox.netsuite


async def say(bot: Bot, text: str, channel: str = SALES, user: str = MAYA) -> str:
    """/account TEXT; every text of the reply's blocks."""
    _, _, url = await bot.command(text, channel_id=channel, user_id=user)
    [reply] = await bot.delivered(url)
    return (reply.get("text", "") + block_texts(reply)).replace("*", "").replace("ˍ", "_")  # mrkdwn out of the way


def alerts(bot: Bot, channel: str = SALES) -> list[dict]:
    return [m for m in bot.slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == "accountbot_alert"]


async def poll_and_send(bot: Bot) -> None:
    """One poll of every poller, then the worker's rounds (inbox, outbox) until quiet."""
    await bot.deps.worker.engine.poll()
    for _ in range(3):
        await bot.deps.worker.step()


# -- the card -------------------------------------------------------------------------------


async def test_card_money_from_netsuite_to_the_cent(nsbot: Bot) -> None:
    """A deal among > 1,000 invoices, with a partly paid and an overdue invoice: exact figures on the card."""
    ns = emulator(nsbot)
    assert sum(1 for t in ns.ledger.txns.values() if t.type == "CustInvc") > 1000
    overdue = ns.add_invoice("Acme Logistics", ACME, "1000.10", days_ago=60, terms_days=30)
    partly = ns.add_invoice("Acme Logistics", ACME, "500.25", days_ago=2)
    ns.add_payment(partly, "200.05")
    text = await say(nsbot, ACME)
    # 44,400 paid + 29,600 open (book) + 1,000.10 overdue + 500.25 of which 200.05 paid
    assert "Invoiced $75,500.35" in text and "Paid $44,600.05" in text and "Outstanding $30,900.30" in text
    assert "Overdue $1,000.10 (1 invoice" in text and "$200.05" in text
    assert "NetSuite · just now" in text and "QuickBooks" not in text
    assert overdue and not ns.login_audit  # every request signed right


async def test_the_demo_books_money_is_the_same_in_netsuite_and_quickbooks(nsbot: Bot) -> None:
    """Every demo account: invoiced, paid, outstanding, overdue, currency and last payment equal QuickBooks'."""
    qbo = quickbooks_from(nsbot.services.settings, nsbot.services.store)
    try:
        deals = [a.deal_id for a in DEMO_ACCOUNTS]
        today = nsbot.services.status._today()
        ours = await nsbot.services.accounting.money_many(deals, today=today)
        theirs = await qbo.money_many(deals, today=today)
    finally:
        qbo.close()

    def facts(money):  # type: ignore[no-untyped-def]
        if money is None:
            return None
        last = money.last_payment
        return (
            money.currency,
            money.invoiced,
            money.paid,
            money.outstanding,
            money.overdue,
            money.invoice_count,
            money.overdue_count,
            (last.on, last.amount) if last else None,
        )

    assert {d: facts(m) for d, m in ours.items()} == {d: facts(m) for d, m in theirs.items()}
    assert sum(1 for m in ours.values() if m is not None) >= 10


async def test_429s_are_retried_and_the_card_is_complete(nsbot: Bot) -> None:
    """NetSuite over its concurrency limit twice: retried with backoff, the card's money is all there."""
    ns = emulator(nsbot)
    ns.inject(429, count=2, path_contains="/suiteql")
    text = await say(nsbot, ACME)
    assert "Invoiced $74,000.00" in text and "Outstanding $29,600.00" in text
    assert "didn't answer" not in text and "rate limiting" not in text and "Open in NetSuite" in text
    assert sum(1 for c in ns.calls if c.status == 429) == 2
    assert nsbot.services.accounting.health()["retries"] == 2
    async with nsbot.http.get(f"{nsbot.url}/metrics") as resp:  # /metrics counts NetSuite, not QuickBooks
        metrics = await resp.text()
    assert re.search(r'^accountbot_upstream_rate_limited_total\{vendor="netsuite"\} 2\.0$', metrics, flags=re.M)
    assert 'vendor="quickbooks"' not in metrics


# -- payment alerts without webhooks --------------------------------------------------------


async def test_a_payment_in_netsuite_is_one_alert(nsbot: Bot) -> None:
    """The SuiteQL poller sees the payment: one message in the channel, however often it polls."""
    assert "will get escalations and payments alerts" in await say(nsbot, "subscribe Acme Logistics")
    await poll_and_send(nsbot)  # the first poll sets the cursor: history is not reported
    ns = emulator(nsbot)
    ns.add_payment(ns.find_invoice("1019"), "29600.00")
    await poll_and_send(nsbot)
    await poll_and_send(nsbot)
    [alert] = alerts(nsbot)
    text = block_texts(alert)
    assert "Payment received" in text and "$29,600.00" in text and "paid in full" in text
    assert "NetSuite · paid" in text
    assert await nsbot.services.store.get_sync("poll:netsuite:cursor")


async def test_the_look_back_finds_a_late_visible_payment_once(nsbot: Bot) -> None:
    """A payment stamped minutes before it becomes visible is still found by the next poll, and only once."""
    await say(nsbot, "subscribe Acme Logistics")
    await poll_and_send(nsbot)
    ns = emulator(nsbot)
    ns.add_payment(ns.find_invoice("1019"), "1000.00", late=timedelta(minutes=5))
    ns.advance(120)
    await poll_and_send(nsbot)
    assert alerts(nsbot) == []  # not visible yet
    assert ns.publish_late_payments()
    await poll_and_send(nsbot)
    await poll_and_send(nsbot)
    [alert] = alerts(nsbot)
    assert "$1,000.00" in block_texts(alert)


async def test_a_standby_taking_over_the_lease_does_not_report_the_payment_again(nsbot: Bot) -> None:
    """The leader polls and alerts; a standby can't poll while it holds the lease, then takes over on the
    stored cursor, re-reads the look-back and still makes no second alert."""
    await say(nsbot, "subscribe Acme Logistics")
    leader = nsbot.deps.worker
    standby = another_worker(nsbot.services)
    standby.daily_snapshots = False
    standby.engine.burst_window = 0.0
    assert await leader.step() and not await standby.step()  # the leader's first poll sets the cursor
    ns = emulator(nsbot)
    ns.add_payment(ns.find_invoice("1019"), "29600.00")
    polls = sum(1 for c in ns.calls if c.path.endswith("/suiteql"))
    assert not await standby.step()
    assert sum(1 for c in ns.calls if c.path.endswith("/suiteql")) == polls  # no lease, no poll
    leader._last_poll = 0.0
    for _ in range(3):
        await leader.step()
    assert len(alerts(nsbot)) == 1
    await nsbot.services.store.release_lease("alerts", leader.holder)
    ns.advance(60)
    for _ in range(3):
        assert await standby.step()
    assert sum(1 for c in ns.calls if c.path.endswith("/suiteql")) > polls  # the standby polled
    assert len(alerts(nsbot)) == 1


# -- write-back and the index ---------------------------------------------------------------


async def test_writeback_writes_netsuites_money_onto_the_deal(nsbot: Bot) -> None:
    """The card's money from NetSuite (not QuickBooks) lands in the accountbot_* properties."""
    nsbot.services.writeback.flush_after = 0.05
    await setup(nsbot.services.hubspot, nsbot.services.store)
    ns = emulator(nsbot)
    ns.add_payment(ns.find_invoice("1019"), "100.00")  # NetSuite now differs from QuickBooks' 29,600.00
    await nsbot.services.cards.for_deal(ACME)
    await asyncio.sleep(0.15)
    await nsbot.services.writeback.flush()
    deal = nsbot.sandbox.hubspot.crm.get("deals", ACME)
    assert deal is not None
    assert deal.properties["accountbot_outstanding"] == "29500.00"
    assert deal.properties["accountbot_invoiced"] == "74000.00" and deal.properties["accountbot_paid"] == "44500.00"


async def test_the_index_holds_every_linked_invoice_for_the_book(nsbot: Bot) -> None:
    """sync_index: every invoice carrying a deal ID, every page; an unlinked one leaves the index."""
    services = nsbot.services
    ns = emulator(nsbot)
    linked = [t for t in ns.ledger.txns.values() if t.type == "CustInvc" and t.custom.get(ns.deal_field)]
    assert await services.accounting.sync_index() == len(linked)
    acme = sorted(str(t.id) for t in linked if t.custom[ns.deal_field] == ACME)
    company = services.accounting.company
    assert sorted(await services.store.invoices_for(company, ACME)) == acme
    assert {a.deal_id for a in DEMO_ACCOUNTS if a.invoices} <= await services.store.tracked_deal_ids()
    ns.set_deal(acme[0], None)
    await services.accounting.sync_index()
    assert await services.store.invoices_for(company, ACME) == acme[1:]


async def test_link_repair_patches_the_deal_field(nsbot: Bot) -> None:
    """set_invoice_deal_id (PATCH, 204) links an unlinked invoice: the refreshed card counts it."""
    ns = emulator(nsbot)
    filler = ns.find_invoice("F0002")
    amount = ns.ledger.txns[int(filler)].total
    await nsbot.services.accounting.set_invoice_deal_id(filler, ACME)  # type: ignore[attr-defined]
    assert ns.ledger.txns[int(filler)].custom[ns.deal_field] == ACME
    assert any(c.method == "PATCH" and c.status == 204 for c in ns.calls)
    assert filler in await nsbot.services.store.invoices_for(nsbot.services.accounting.company, ACME)
    money = await nsbot.services.accounting.money(ACME, today=nsbot.services.status._today())
    assert money is not None and filler in money.invoice_ids
    assert money.invoiced == Decimal("74000.00") + amount


# -- doctor ---------------------------------------------------------------------------------


async def test_doctor_shows_netsuites_auth_poller_lag_and_concurrency(nsbot: Bot) -> None:
    """auth ok, last success, the poller's lag and the bound the bot keeps to; no QuickBooks token line."""
    await poll_and_send(nsbot)
    assert "invoice index not built yet" in await say(nsbot, "doctor")
    await nsbot.services.accounting.sync_index()
    text = await say(nsbot, "doctor")
    assert "netsuite (sandbox): auth ok" in text and "at most 5 requests at once" in text
    assert "invoice index refreshed just now" in text
    assert re.search(r"Pollers last ran: netsuite [^,]+ \(lag \d+(\.\d)? s\)", text), text
    assert "refresh token" not in text
    async with nsbot.http.get(f"{nsbot.url}/healthz") as resp:
        health = await resp.json()
    assert health["connectors"]["netsuite"]["concurrency"] == 5
    assert health["pollers"]["netsuite"]["lag_seconds"] is not None and "quickbooks" not in health["pollers"]


async def test_a_bad_signature_reaches_doctor_with_what_to_fix(nsbot: Bot) -> None:
    """401 INVALID_LOGIN (the consumer secret changed in NetSuite): doctor names the variables to check."""
    emulator(nsbot).verifier.consumer_secret = "0" * 64
    text = await say(nsbot, "doctor")
    assert ":x: netsuite" in text and "INVALID_LOGIN" in text and "NETSUITE_CONSUMER_SECRET" in text
    async with nsbot.http.get(f"{nsbot.url}/healthz") as resp:
        health = await resp.json()
    state = health["connectors"]["netsuite"]
    assert health["status"] == "degraded" and state["available"] is False and "INVALID_LOGIN" in state["last_error"]


async def test_a_missing_permission_reaches_doctor_naming_it(nsbot: Bot) -> None:
    """A role without Find Transaction: doctor says which permission to grant."""
    emulator(nsbot).permissions.discard("Find Transaction")
    text = await say(nsbot, "doctor")
    assert "grant it Transactions &gt; Find Transaction" in text or "grant it Transactions > Find Transaction" in text


async def test_too_many_requests_reaches_doctor_with_what_to_fix(nsbot: Bot) -> None:
    """429 past every retry: doctor says to lower NETSUITE_CONCURRENCY."""
    emulator(nsbot).inject(429, count=100, path_contains="/suiteql")
    accounting = nsbot.services.accounting
    accounting.client.policy = replace(accounting.client.policy, backoff=0.01, max_backoff=0.02)  # type: ignore[attr-defined]
    text = await say(nsbot, "doctor")
    assert "429 Too Many Requests" in text and "NETSUITE_CONCURRENCY" in text


async def test_a_wrong_account_id_is_named(nsbot: Bot) -> None:
    """Realm vs host: another account's host is refused at start; another realm gets a 401 naming the id."""
    settings = nsbot.services.settings
    with pytest.raises(ConfigError, match="NETSUITE_ACCOUNT_ID"):
        netsuite_from(
            replace(settings, netsuite_base_url="https://7654321-sb1.suitetalk.api.netsuite.com"),
            nsbot.services.store,
        )
    wrong = netsuite_from(replace(settings, netsuite_account_id="7654321_SB1"), nsbot.services.store)
    try:
        services = nsbot.services
        report = await Doctor(settings, services.store, services.hubspot, services.asana, wrong).report()
    finally:
        await wrong.aclose()
    auth = report["connectors"]["netsuite"]["auth"]
    assert auth.startswith("refused") and "NETSUITE_ACCOUNT_ID" in auth and "INVALID_LOGIN" in auth
    assert "realm '7654321_SB1'" in emulator(nsbot).login_audit[-1]


async def test_the_daily_round_refreshes_the_index_first(nsbot: Bot) -> None:
    """A new daily round scans NetSuite's linked invoices into the index, then snapshots the deals."""
    services = nsbot.services
    assert await services.store.invoices_for(services.accounting.company, ACME) == []
    snapshotter = services.worker.snapshotter
    assert snapshotter is not None
    assert await snapshotter.daily_round(pace=False) >= 10
    assert len(await services.store.invoices_for(services.accounting.company, ACME)) == 2
    snap = (await services.store.latest_snapshots([ACME]))[ACME][1]
    assert snap["outstanding"] == "29600.00" and snap["missing"] == []
