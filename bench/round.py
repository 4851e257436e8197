"""The daily round as it runs: peak calls per minute per vendor, and a card asked for during the round.

`python -m bench.round [--seconds 30] [--book 2000]` runs the real daily round (paced, spread over
12 hours) at ASANA_RATE_LIMIT=150 (Asana's free tier) and 1500 (paid), the Asana emulator at the
same tier, for `--seconds`, and prints per vendor the busiest 60-second window (calls), the busiest
10-second window as a rate per minute (a burst shows here even when the minute stays inside the
limit), the 429s, and how long a cold card asked halfway through took (and whether it was complete).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.settings import Settings
from bot.wiring import open_services, settings_on_sandbox
from sandbox.book import generated_book
from sandbox.server import Sandbox

VENDORS = {"hubspot": 600.0, "asana": 0.0, "quickbooks": 500.0}  # calls/min allowed (Asana: the tier run)


def busiest(stamps: list[float], window: float) -> int:
    """The most calls in any `window` seconds."""
    stamps = sorted(stamps)
    return max((bisect.bisect_right(stamps, t + window) - i for i, t in enumerate(stamps)), default=0)


async def daily_round(rate_limit: int, *, seconds: float = 30.0, book: int = 2000) -> dict[str, dict[str, float]]:
    """Run the daily round for `seconds` with Asana allowing `rate_limit` a minute; the figures per vendor."""
    async with Sandbox(generated_book(book)) as sandbox:
        sandbox.asana.rate_limit = rate_limit
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_on_sandbox(Settings.from_env(dotenv=None), sandbox.env(), database_dir=Path(tmp))
            services = await open_services(replace(settings, asana_rate_limit=rate_limit))
            try:
                snap = services.worker.snapshotter
                await services.asana.refresh_index()
                await services.accounting.sync_index()
                tracked = await snap.tracked()
                await snap.take_many(tracked[:3])  # pipelines, owners, tokens: not the round's
                sandbox.reset_calls()
                start = time.time()
                round_task = asyncio.create_task(snap.daily_round())
                await asyncio.sleep(seconds / 2)
                services.status.forget()
                asked = time.perf_counter()
                status = await services.status.get_status(tracked[-1])
                card = time.perf_counter() - asked
                await asyncio.sleep(max(0.0, start + seconds - time.time()))
                round_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await round_task
            finally:
                await services.close()
    out: dict[str, dict[str, float]] = {}
    for name in VENDORS:
        calls = [c for c in sandbox.emulators[name].calls if c.at <= start + seconds]
        stamps = [c.at for c in calls]
        out[name] = {
            "calls": float(len(calls)),
            "peak_minute": float(busiest(stamps, 60.0)),
            "peak_10s_per_min": 6.0 * busiest(stamps, 10.0),
            "refused": float(sum(1 for c in calls if c.status == 429)),
        }
    out["_"] = {
        "card_seconds": card,
        "card_complete": float(not any(s.error for s in status.sections())),
        "seconds": seconds,
    }
    return out


def report(rate_limit: int, figures: dict[str, dict[str, float]]) -> bool:
    """Print one run; True when no vendor's busiest minute passed its limit and the card was complete."""
    meta = figures["_"]
    print(f"  daily round with ASANA_RATE_LIMIT={rate_limit} (Asana at that tier), first {meta['seconds']:.0f} s:")
    ok = bool(meta["card_complete"])
    for name, allowed in VENDORS.items():
        f = figures[name]
        limit = allowed or float(rate_limit)
        ok &= f["peak_minute"] <= limit and not f["refused"]
        print(
            f"    {name:<10} busiest minute {f['peak_minute']:5.0f} calls (limit {limit:.0f}/min), "
            f"busiest 10 s {f['peak_10s_per_min']:6.0f}/min, {f['refused']:.0f} refused (429)"
        )
    print(
        f"    a cold card halfway through: {meta['card_seconds']:.2f} s, "
        f"{'complete' if meta['card_complete'] else 'INCOMPLETE (a source missed its deadline)'}"
    )
    return ok


async def run(seconds: float, book: int, limits: tuple[int, ...] = (150, 1500)) -> bool:
    ok = True
    for limit in limits:
        ok &= report(limit, await daily_round(limit, seconds=seconds, book=book))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.round", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--book", type=int, default=2000)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    return 0 if asyncio.run(run(args.seconds, args.book)) else 1


if __name__ == "__main__":
    sys.exit(main())
