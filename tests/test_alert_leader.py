"""One leader at a time through long rounds, claimed inbox batches, floods that never starve delivery."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import text

from bot.store import Store
from bot.wiring import another_worker
from sandbox.harness import Bot
from sandbox.slack import SALES
from tests.test_alert_faults import alerts, subscribe

ACME = "18340012001"


@pytest.fixture
def bot(bot_on_both: Bot) -> Bot:
    """A bot on both backends; deliveries due at once, no owner DMs."""
    worker = bot_on_both.deps.worker
    worker.engine.burst_window = 0.0
    worker.engine.settings = replace(worker.engine.settings, alert_owner_dm=False)
    return bot_on_both


async def ticket_flood(bot: Bot, count: int) -> None:
    """`count` new tickets on Acme, announced in one HubSpot webhook delivery."""
    hub = bot.sandbox.hubspot
    tickets = [hub.add_ticket(ACME, f"Issue {n}") for n in range(count)]
    body, headers = hub.webhook_delivery(
        [hub.webhook_event("ticket.creation", t) for t in tickets], f"{bot.url}/webhooks/hubspot"
    )
    async with bot.http.post(f"{bot.url}/webhooks/hubspot", data=body, headers=headers) as resp:
        assert resp.status == 200


def standby(bot: Bot, ttl: float):
    """A second worker process on the same store."""
    worker = another_worker(bot.services, replace(bot.services.settings, alert_owner_dm=False), lease_ttl=ttl)
    worker.daily_snapshots = False
    return worker


async def test_the_leader_renews_its_lease_through_a_long_round(bot: Bot) -> None:
    """A round longer than the lease (slow HubSpot, a ticket flood): the standby never leads meanwhile."""
    await subscribe(bot, "subscribe all escalations")
    leader = bot.deps.worker
    leader.lease.ttl = 1.5
    other = standby(bot, 1.5)
    await ticket_flood(bot, 6)
    bot.sandbox.hubspot.faults.latency = 1.5  # HubSpot crawling: the round takes several lease lifetimes
    round_ = asyncio.create_task(leader.step())
    await bot.until(lambda: leader.leader, what="the leader to take the lease")
    seen = []
    while not round_.done():
        seen.append(await other.step())
        await asyncio.sleep(0.25)
    assert await round_ is True
    assert len(seen) > 6 and not any(seen)  # the round outlived the lease many times over
    assert await bot.services.store.inbox_backlog() == 0
    await other.close()


async def test_a_leader_that_loses_its_lease_stops_at_once(bot: Bot) -> None:
    """Another process took the lease mid-round: the old leader stops at once, leaving the inbox to the new one."""
    await subscribe(bot, "subscribe all escalations")
    leader = bot.deps.worker
    leader.lease.ttl = 1.5
    await ticket_flood(bot, 6)
    bot.sandbox.hubspot.faults.latency = 1.5
    round_ = asyncio.create_task(leader.step())
    await bot.until(lambda: bot.sandbox.hubspot.count("/tickets/"), what="the round to start")
    async with bot.services.store.engine.begin() as conn:  # e.g. this process froze and another took over
        await conn.execute(text("UPDATE leases SET holder = 'another', expires_at = :t"), {"t": time.time() + 60})
    assert await round_ is False
    assert not leader.leader
    assert await bot.services.store.inbox_backlog() > 0  # left for the new leader


async def test_two_leaders_never_claim_the_same_inbox_rows(store: Store) -> None:
    """Concurrent claims get disjoint rows; an expired claim (a dead leader) can be taken again."""
    await store.add_inbox("quickbooks", [{"n": n} for n in range(10)])
    first, second = await asyncio.gather(store.take_inbox("a", limit=6, ttl=60), store.take_inbox("b", limit=6, ttl=60))
    ids_a, ids_b = {i.id for i in first}, {i.id for i in second}
    assert not ids_a & ids_b and len(ids_a | ids_b) == 10
    assert await store.take_inbox("c") == []
    await store.inbox_done(list(ids_a))
    await store.defer_inbox(list(ids_b), time.time() - 1)  # b died: its claim ran out
    assert {i.id for i in await store.take_inbox("c")} == ids_b


async def test_a_payment_flood_is_fetched_in_batches_and_delivered_between_them(bot: Bot) -> None:
    """60 payments in one webhook delivery: a few `Id IN` queries, and alerts go out while the flood drains."""
    await subscribe(bot)
    qbo = bot.sandbox.quickbooks
    invoice = qbo.find_invoice("1019")
    for _ in range(60):
        qbo.add_payment(invoice, Decimal("100.00"))
    body, headers = qbo.pending_webhook_delivery()
    qbo.reset_calls()
    async with bot.http.post(f"{bot.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
        assert resp.status == 200
    await bot.deps.worker.step()
    by_id = [c for c in qbo.calls if "FROM Payment WHERE Id IN" in str(c.body)]
    assert len(by_id) <= 4  # one per claimed batch (and a snapshot's), not one per payment
    counts = [int(re.match(r"(\d+) payments received", m["text"]).group(1)) for m in alerts(bot, SALES)]
    assert sum(counts) == 60 and len(counts) > 1  # every payment, and the first ones sent while the rest waited
