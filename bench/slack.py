"""Slash command to card: time to the HTTP 200, and time until the complete card is on screen.

The card is on screen when the 200 carries it (it was ready within CARD_WAIT_SECONDS) or, for
a slower one, when it reaches the response_url; both count from the signed request going out.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sandbox.harness import start_bot, stop_bot

SEARCH_WINDOW = 1.2


async def slash_to_card(latency: float, query: str, repeats: int) -> dict[str, float]:
    """Median ack time, cold and warm command → card times, in seconds; how many cards rode in the ack."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp))
        try:
            await bot.services.asana.refresh_index()  # type: ignore[attr-defined]
            await bot.services.accounting.sync_index()  # type: ignore[attr-defined]
            _, _, url = await bot.command(query)  # warm connector metadata and user lookups
            await bot.delivered(url)
            bot.sandbox.set_latency(latency)
            acks, cold, warm = [], [], []
            in_ack = 0
            for _ in range(repeats):
                await asyncio.sleep(SEARCH_WINDOW)
                _invalidate_all(bot)
                start = time.perf_counter()
                _, _, url = await bot.command(query)
                acks.append(time.perf_counter() - start)
                await bot.delivered(url, timeout=60)
                cold.append(time.perf_counter() - start)
                in_ack += not bot.slack.delivered(url)  # nothing went through the response_url
                start = time.perf_counter()
                _, _, url = await bot.command(query)
                await bot.delivered(url, timeout=60)
                warm.append(time.perf_counter() - start)
                in_ack += not bot.slack.delivered(url)
        finally:
            await stop_bot(bot)
    return {
        "ack": statistics.median(acks),
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "in_ack": in_ack,
        "cards": 2 * repeats,
    }


def _invalidate_all(bot) -> None:
    """Empty the status caches (not the join indexes): the next card is cold."""
    bot.services.status.forget()
