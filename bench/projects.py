"""Project on close: from HubSpot's stage webhook to the delivery project carrying the deal ID, and to the
announcement in the channel (the worker loop running, as in production).

python -m bench.projects [--deals N] [--latency-ms MS] [--job-seconds S]

By default the Asana emulator finishes a template job at its second poll (the sandbox's default); with
`--job-seconds S` the job takes S seconds however often it is polled (real jobs take seconds to minutes), so
the time measured is Asana's job plus how soon the bot looks again.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sandbox.harness import Bot, start_bot, stop_bot
from sandbox.slack import SALES

PIPELINE = "75001001"  # the demo's custom "Implementation" pipeline (numeric ids, won only by metadata)
OPEN_STAGE = "75001004"


async def _one(bot: Bot, deal_id: str) -> tuple[float, float]:
    """Seconds from the webhook's POST to (the project carrying the deal ID, the announcement)."""
    before = len(bot.slack.messages(SALES))
    bot.sandbox.hubspot.win_deal(deal_id)
    url = f"{bot.url}/webhooks/hubspot"
    delivery = bot.sandbox.hubspot.pending_webhook_delivery(url)
    assert delivery is not None, "the win made no webhook"
    body, headers = delivery
    start = time.perf_counter()
    async with bot.http.post(url, data=body, headers=headers) as resp:
        assert resp.status == 200, resp.status
    await bot.until(lambda: bot.sandbox.asana.projects_carrying(deal_id), timeout=120, what="project")
    project = time.perf_counter() - start
    await bot.until(lambda: len(bot.slack.messages(SALES)) > before, timeout=120, what="announcement")
    return project, time.perf_counter() - start


async def webhook_to_project(deals: int = 5, latency: float = 0.0, job_seconds: float | None = None) -> dict:
    """Median seconds to the project and to the announcement over `deals` wins, one after another."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp))
        if job_seconds is not None:
            bot.sandbox.asana.job_seconds = job_seconds
            bot.sandbox.asana.job_polls_before_done = 10**9
        ids = [f"1834009{n:04d}" for n in range(deals)]
        for n, deal_id in enumerate(ids):
            bot.sandbox.hubspot.add_deal(
                deal_id, f"Bench Rollout {n}", company=f"Bench Co {n}", stage=OPEN_STAGE, pipeline=PIPELINE
            )
        bot.sandbox.hubspot.pending_webhook_delivery(f"{bot.url}/webhooks/hubspot")  # the adds are not wins
        _, _, reply = await bot.command("subscribe all projects", channel_id=SALES, user_id="U01MAYA0001")
        await bot.delivered(reply)
        stop = asyncio.Event()
        loop = asyncio.create_task(bot.services.worker.run(stop))
        try:
            await asyncio.sleep(1.5)  # alerting begins (subscriptions hear what happens after them)
            bot.sandbox.set_latency(latency)
            runs = [await _one(bot, deal_id) for deal_id in ids]
        finally:
            stop.set()
            await loop
            await stop_bot(bot)
    return {
        "project": statistics.median(r[0] for r in runs),
        "announced": statistics.median(r[1] for r in runs),
        "each": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.projects", description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--job-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    figures = asyncio.run(webhook_to_project(args.deals, args.latency_ms / 1000.0, args.job_seconds))
    print(
        f"project on close, {args.deals} wins, {args.latency_ms:.0f} ms per request, "
        + (f"Asana's template job takes {args.job_seconds:g} s:" if args.job_seconds else "jobs done at the 2nd poll:")
    )
    print(f"  webhook → project carrying the deal ID: {figures['project']:.2f} s median")
    print(f"  webhook → 'Delivery project created' in the channel: {figures['announced']:.2f} s median")
    print("  each (s): " + ", ".join(f"{p:.2f}/{a:.2f}" for p, a in figures["each"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
