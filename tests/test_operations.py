"""For operators: /healthz says whether the process can do its job, /metrics what it is doing (issue 13)."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.ext.asyncio import create_async_engine

from sandbox.core import InjectedFault
from sandbox.harness import Bot


async def _health(bot: Bot) -> tuple[int, dict]:
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        return resp.status, await resp.json()


async def test_healthz_is_503_when_the_lease_loop_stops(bot: Bot) -> None:
    """200 while the lease loop runs; 503 naming the loop once it has stopped."""
    stop = asyncio.Event()
    loop = asyncio.create_task(bot.services.worker.run(stop))
    try:
        await bot.until(lambda: bot.services.worker.lease.last_asked is not None, what="the first lease round")
        status, body = await _health(bot)
        assert status == 200 and body["reasons"] == [] and body["status"] == "ok"
    finally:
        stop.set()
        await loop
    status, body = await _health(bot)
    assert status == 503 and body["status"] == "unavailable"
    assert body["reasons"] == ["the alert loop has stopped: restart the process"]
    assert "This process: the alert loop has stopped: restart the process." in body["problems"]  # and doctor


async def test_healthz_is_503_when_the_store_does_not_answer(bot: Bot) -> None:
    """A database that refuses connections: 503 and the reason in words, not a 500."""
    store = bot.services.store
    kept = store.engine
    store.engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    try:
        status, body = await _health(bot)
    finally:
        await store.engine.dispose()
        store.engine = kept
    assert status == 503 and body["status"] == "unavailable"
    [reason] = body["reasons"]
    assert "cannot reach PostgreSQL at 127.0.0.1:1 (connection refused)" in reason
    assert (await _health(bot))[0] == 200  # the store answers again


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, flags=re.M)
    assert match, f"{name}{labels} not in /metrics"
    return float(match.group(1))


async def test_metrics_count_cards_upstream_calls_429s_and_the_outbox(bot: Bot) -> None:
    """GET /metrics: card latency, upstream calls and 429s per vendor, the outbox by status."""
    bot.sandbox.hubspot.faults.queue.append(InjectedFault(429, retry_after=0.1, path_contains="/search"))
    _, _, url = await bot.command("Globex")
    await bot.delivered(url)
    async with bot.http.get(f"{bot.url}/metrics") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        text = await resp.text()
    assert _value(text, "accountbot_card_seconds_count") >= 1
    assert _value(text, "accountbot_upstream_calls_total", '{vendor="hubspot"}') > 0
    assert _value(text, "accountbot_upstream_calls_total", '{vendor="quickbooks"}') > 0
    assert _value(text, "accountbot_upstream_rate_limited_total", '{vendor="hubspot"}') == 1
    assert _value(text, "accountbot_upstream_rate_limited_total", '{vendor="asana"}') == 0
    for status in ("pending", "sending", "failed"):
        assert _value(text, "accountbot_outbox_rows", f'{{status="{status}"}}') == 0
    assert _value(text, "accountbot_outbox_oldest_pending_seconds") == 0
    assert "accountbot_webhook_to_slack_seconds_bucket" in text


async def test_metrics_follow_an_alert_from_the_outbox_to_slack(bot: Bot) -> None:
    """A payment webhook: pending in the outbox (with its age) during the burst window, then sent and timed."""
    from decimal import Decimal

    from sandbox.slack import SALES

    async def metrics() -> str:
        async with bot.http.get(f"{bot.url}/metrics") as resp:
            return await resp.text()

    before = _value(await metrics(), "accountbot_webhook_to_slack_seconds_count")
    _, _, url = await bot.command("subscribe Acme Logistics payments", channel_id=SALES)
    await bot.delivered(url)
    worker = bot.services.worker
    worker.engine.burst_window = 1.0  # the delivery waits a second: it shows as pending meanwhile
    await worker.engine.poll()
    qbo = bot.sandbox.quickbooks
    qbo.add_payment(qbo.find_invoice("1019"), Decimal("29600.00"))
    body, headers = qbo.pending_webhook_delivery()
    async with bot.http.post(f"{bot.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
        assert resp.status == 200
    await worker.step()
    text = await metrics()
    assert _value(text, "accountbot_outbox_rows", '{status="pending"}') >= 1
    assert _value(text, "accountbot_outbox_oldest_pending_seconds") >= 0

    async def sent() -> bool:
        await worker.step()
        return any((m.get("metadata") or {}).get("event_type") == "accountbot_alert" for m in bot.slack.messages(SALES))

    for _ in range(200):  # the burst window passes, then the sender posts
        if await sent():
            break
        await asyncio.sleep(0.05)
    text = await metrics()
    assert _value(text, "accountbot_outbox_rows", '{status="pending"}') == 0
    assert _value(text, "accountbot_webhook_to_slack_seconds_count") >= before + 1
