"""Alerts: signed QuickBooks webhook → Slack post latency, and outbox throughput over 50 channels."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sandbox.harness import start_bot, stop_bot

ACME = "18340012001"


async def webhook_to_post(latency: float, count: int = 20) -> tuple[float, float]:
    """Seconds from POST /webhooks/quickbooks to the alert in the channel (worker loop running): the
    account's first alert after a fresh start (connector caches empty), and the median of the next ones."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp))
        stop = asyncio.Event()
        loop_task = asyncio.create_task(bot.deps.worker.run(stop))
        try:
            channel = "C0SALES0001"
            await bot.services.store.subscribe(channel, ACME, "Acme Logistics", {"payments"}, None, "U0BENCH")
            bot.sandbox.set_latency(latency)
            qbo = bot.sandbox.quickbooks
            invoice = qbo.find_invoice("1019")
            times = []
            for _ in range(count):
                before = len(bot.slack.messages(channel))
                qbo.add_payment(invoice, Decimal("1.00"))
                body, headers = qbo.pending_webhook_delivery()
                start = time.perf_counter()
                async with bot.http.post(f"{bot.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
                    assert resp.status == 200
                await bot.until(lambda b=before: len(bot.slack.messages(channel)) > b, timeout=60, what="alert")
                times.append(time.perf_counter() - start)
                await asyncio.sleep(1.0)  # Slack's 1 message/s per channel: measure latency, not the queue
        finally:
            stop.set()
            await loop_task
            await stop_bot(bot)
    return times[0], statistics.median(times[1:] or times)


async def outbox_throughput(channels: int = 50, per_channel: int = 4) -> tuple[int, float]:
    """(messages, seconds) for the sender to deliver per_channel alerts to each of `channels` channels."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp))
        try:
            store = bot.services.store
            ids = []
            for n in range(channels):
                cid = f"C0BENCH{n:04d}"
                bot.slack.add_channel(cid, f"bench-{n}")
                ids.append(cid)
            for n in range(per_channel):
                deliveries = [(cid, f"{cid}|deal{n}|payments", None) for cid in ids]
                payload = {
                    "deal_id": f"deal{n}",
                    "deal_name": f"Account {n}",
                    "payment_id": str(n),
                    "paid_on": "2026-11-25",
                    "currency": "USD",
                    "amount": "100.00",
                    "invoices": [
                        {
                            "id": str(n),
                            "doc": str(n),
                            "amount": "100.00",
                            "total": "100.00",
                            "balance": "0",
                            "due_on": "2026-11-30",
                        }
                    ],
                }
                await store.record_event(f"bench:{n}", "payments", f"deal{n}", payload, time.time(), deliveries, 0)
            sender = bot.deps.worker.sender
            start = time.perf_counter()
            total = channels * per_channel
            while len(await store.outbox_rows("sent")) < total:
                await sender.run_once()
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - start
        finally:
            await stop_bot(bot)
    return total, elapsed
