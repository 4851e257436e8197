"""The rep's book at scale: Home for a rep with 200 accounts, and the daily snapshot of 2,000 accounts."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sandbox.book import PEOPLE_BY_KEY, generated_book
from sandbox.harness import start_bot, stop_bot
from sandbox.server import Sandbox

REP = "ava"  # owns nothing in the demo book: in the bench she owns exactly 200 accounts
LIMITS = {
    "hubspot": ("100 / 10 s (Free/Starter)", 600.0),
    "asana": ("1,500 / min (paid)", 1500.0),
    "quickbooks": ("500 / min per company", 500.0),
}


def _book(total: int, rep_accounts: int) -> tuple:
    accounts = list(generated_book(total))
    generated = [i for i, a in enumerate(accounts) if a.key.startswith("gen")]
    for i in generated[:rep_accounts]:
        accounts[i] = replace(accounts[i], owner=REP, close_days_ago=min(accounts[i].close_days_ago, 400))
    return tuple(accounts)


async def home_for_200(latency: float, *, book: int = 2000, rep_accounts: int = 200) -> tuple[float, int]:
    """Seconds from app_home_opened to the published Home for a rep with 200 accounts (from snapshots)."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp), sandbox=Sandbox(_book(book, rep_accounts)))
        try:
            user = PEOPLE_BY_KEY[REP].slack_id
            owner, _ = await bot.deps.book.owner(user)
            deals = await bot.deps.book.deals(owner.id, bot.deps.clock().date())
            snap = bot.deps.worker.snapshotter
            for start in range(0, len(deals), 100):  # what the daily round leaves behind
                await snap.take_many([d.deal_id for d in deals[start : start + 100]])
            bot.sandbox.set_latency(latency)
            bot.deps.gate._users.clear()  # a cold Slack user lookup too
            before = (bot.slack.home_view(user) or {}).get("hash")
            start = time.perf_counter()
            await bot.event(
                {"type": "app_home_opened", "user": user, "channel": "D0BENCH", "tab": "home", "event_ts": "1.0"}
            )
            await bot.until(
                lambda: (v := bot.slack.home_view(user)) and v.get("hash") != before and "Loading" not in str(v),
                timeout=60,
                what="home",
            )
            return time.perf_counter() - start, len(deals)
        finally:
            await stop_bot(bot)


async def snapshot_rate(sample: int = 200, *, book: int = 2000) -> dict[str, dict[str, float]]:
    """Calls per account per system for the batched daily round (measured on `sample` accounts)."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp), sandbox=Sandbox(generated_book(book)))
        try:
            snap = bot.deps.worker.snapshotter
            await bot.services.asana.refresh_index()
            await bot.services.accounting.sync_index()
            tracked = await snap.tracked()
            await snap.take_many(tracked[:5])  # warm pipelines and owners
            bot.sandbox.reset_calls()
            start = time.perf_counter()
            chunk = tracked[5 : 5 + sample]
            for i in range(0, len(chunk), 100):
                await snap.take_many(chunk[i : i + 100])
            elapsed = time.perf_counter() - start
            calls = {n: len(bot.sandbox.emulators[n].calls) for n in LIMITS}
        finally:
            await stop_bot(bot)
    total = len(tracked)
    spread_min = snap.spread / 60.0
    out: dict[str, dict[str, float]] = {}
    for name, (_, limit) in LIMITS.items():
        per_account = calls[name] / sample
        out[name] = {
            "per_account": per_account,
            "per_minute_paced": per_account * total / spread_min,
            "limit": limit,
            "minutes_at_limit": per_account * total / limit,
        }
    out["_"] = {
        "accounts": float(total),
        "spread_hours": snap.spread / 3600.0,
        "sample_seconds": elapsed,
        "sample": float(sample),
    }
    return out
