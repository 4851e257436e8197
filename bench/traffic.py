"""python -m bench.traffic: HubSpot traffic of cards against the bot's own limit.

Prints HubSpot calls per cold card (name query, deal-ID query), cold cards per 10 s under
`HUBSPOT_RATE_LIMIT`, a burst of reps asking for accounts at once (cards complete, partial,
on their way), and the search calls' peak per second against HubSpot's 5/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.lookup import lookup
from bot.models import AccountStatus
from bot.settings import Settings
from bot.wiring import Services, open_services, settings_on_sandbox
from sandbox.book import DEMO_ACCOUNTS, generated_book
from sandbox.server import Sandbox

SEARCH_WINDOW = 1.2  # seconds between measured name queries: each starts with an empty search window
UNSEARCHED = "18340012004"  # Umbrella: no search has returned its company name
NAMES = (
    "Acme Robotics",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Soylent",
    "Vandelay",
    "Pied Piper",
)


@asynccontextmanager
async def _bot(accounts: int, rate_limit: int) -> AsyncIterator[tuple[Sandbox, Services]]:
    book = tuple(DEMO_ACCOUNTS) + tuple(a for a in generated_book(accounts) if a.key.startswith("gen"))
    async with Sandbox(book, latency=0.0) as sandbox:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_on_sandbox(Settings.from_env(dotenv=None), sandbox.env(), database_dir=Path(tmp))
            settings = replace(settings, hubspot_rate_limit=rate_limit)
            services = await open_services(settings)
            try:
                await services.asana.refresh_index()  # type: ignore[attr-defined]
                await services.accounting.sync_index()
                yield sandbox, services
            finally:
                await services.close()


def _hubspot_calls(sandbox: Sandbox) -> list[Any]:
    return list(sandbox.emulators["hubspot"].calls)


async def _cold(services: Services, sandbox: Sandbox, query: str) -> int:
    await asyncio.sleep(SEARCH_WINDOW)
    services.status.forget()
    sandbox.reset_calls()
    found = await lookup(services.status, query)
    assert found.deal_id is not None, found.message
    await services.status.get_status(found.deal_id)
    return len(_hubspot_calls(sandbox))


def _partial(status: AccountStatus) -> bool:
    return any(not s.available for s in (status.deal, status.escalations, status.communication))


def _peak(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, at in enumerate(stamps):
        while stamps[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def burst(services: Services, sandbox: Sandbox, deal_ids: list[str], reps: int) -> dict[str, float]:
    """`reps` simultaneous cards over `deal_ids` (round robin), all cold.

    Counts the first answers that were complete, said "on its way" (then completed in place) or
    failed, and when the last card was complete.
    """
    services.status.forget()
    sandbox.reset_calls()
    start = time.perf_counter()
    first: list[str] = []
    done: list[float] = []
    failed = 0

    async def one(deal_id: str) -> None:
        nonlocal failed
        status = await services.status.get_status(deal_id)
        first.append("on its way" if status.pending else "partial" if _partial(status) else "complete")
        if status.pending:  # the same message is completed when the sections land
            status = await services.status.settle(status) or status
        failed += _partial(status)
        done.append(time.perf_counter() - start)

    await asyncio.gather(*(one(deal_ids[n % len(deal_ids)]) for n in range(reps)))
    calls = _hubspot_calls(sandbox)
    return {
        "cards": reps,
        "complete": first.count("complete"),
        "on_its_way": first.count("on its way"),
        "partial": first.count("partial"),
        "failed": failed,
        "within_10s": sum(1 for t in done if t <= 10.0),
        "last": max(done),
        "calls": len(calls),
        "429": sum(1 for c in calls if c.status == 429),
        "peak_10s": _peak([c.at for c in calls], 10.0),
    }


async def search_burst(services: Services, sandbox: Sandbox) -> dict[str, float]:
    """Ten different names looked up at once: the search calls' peak per second and HubSpot's 429s."""
    services.status.forget()
    await asyncio.sleep(SEARCH_WINDOW)
    sandbox.reset_calls()
    start = time.perf_counter()
    await asyncio.gather(*(lookup(services.status, n) for n in NAMES))
    took = time.perf_counter() - start
    searches = [c for c in _hubspot_calls(sandbox) if c.path.endswith("/search")]
    return {
        "names": len(NAMES),
        "searches": len(searches),
        "peak_1s": _peak([c.at for c in searches], 1.0),
        "429": sum(1 for c in searches if c.status == 429),
        "seconds": took,
    }


async def no_match(services: Services, sandbox: Sandbox, query: str, latency: float) -> dict[str, float]:
    """A name that matches nothing, at `latency` per request: HubSpot calls and time, lookup and suggestions apart."""
    sandbox.set_latency(latency)
    await asyncio.sleep(SEARCH_WINDOW)
    services.status.forget()
    sandbox.reset_calls()
    start = time.perf_counter()
    found = await lookup(services.status, query)
    looked = time.perf_counter()
    lookup_calls = len(_hubspot_calls(sandbox))
    suggestions = await services.cards.suggestions(query)
    end = time.perf_counter()
    return {
        "lookup_calls": lookup_calls,
        "suggestion_calls": len(_hubspot_calls(sandbox)) - lookup_calls,
        "lookup_s": looked - start,
        "suggestion_s": end - looked,
        "first": 1.0 if suggestions and found.deal_id is None and "Globex" in suggestions[0].name else 0.0,
    }


async def daily_writeback(sample: int = 200, *, book: int = 2000) -> dict[str, float]:
    """The daily round's write-back on a book of `book` deals, measured on `sample` of them (chunks of 100).

    Write-back is set up first, so every deal's values are new: the first round writes them all.
    """
    from bot.writeback import setup
    from sandbox.harness import start_bot, stop_bot

    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp), sandbox=Sandbox(generated_book(book)))
        try:
            await setup(bot.services.hubspot, bot.services.store)
            snap = bot.deps.worker.snapshotter
            await bot.services.asana.refresh_index()  # type: ignore[attr-defined]
            await bot.services.accounting.sync_index()
            tracked = await snap.tracked()
            await snap.take_many(tracked[:5])  # pipelines and owners
            chunks = []
            for start in range(5, 5 + sample, 100):
                bot.sandbox.reset_calls()
                began = time.perf_counter()
                await snap.take_many(tracked[start : start + 100])
                calls = _hubspot_calls(bot.sandbox)
                updates = [c for c in calls if c.path.endswith("/batch/update")]
                chunks.append(
                    {
                        "seconds": time.perf_counter() - began,
                        "reads": len(calls) - len(updates),
                        "writes": len(updates),
                        "written": sum(len(c.body.get("inputs", [])) for c in updates),
                        "peak_10s": _peak([c.at for c in calls], 10.0),
                        "429": sum(1 for c in calls if c.status == 429),
                    }
                )
            spread = snap.spread
        finally:
            await stop_bot(bot)
    total = len(tracked)
    per_chunk = {k: sum(c[k] for c in chunks) / len(chunks) for k in chunks[0]}
    n_chunks = -(-total // 100)
    return {
        "deals": float(total),
        "chunks": float(n_chunks),
        "reads": per_chunk["reads"] * n_chunks,
        "writes": per_chunk["writes"] * n_chunks,
        "written_per_chunk": per_chunk["written"],
        "chunk_seconds": per_chunk["seconds"],
        "spread_hours": spread / 3600.0,
        "gap_minutes": spread / n_chunks / 60.0,
        "peak_10s": max(c["peak_10s"] for c in chunks),
        "429": sum(c["429"] for c in chunks),
    }


async def run(
    latency: float, rate_limit: int, accounts: int, reps: int, *, pause: float = 10.5, book: int = 2000
) -> int:
    """Print every figure; 1 when one misses its target. `pause`: seconds for the 10 s window to empty."""
    async with _bot(max(accounts, 40), rate_limit) as (sandbox, services):
        await lookup(services.status, "Globex")  # pipelines and owners, as a running bot has them
        sandbox.set_latency(latency)
        by_name = await _cold(services, sandbox, "Globex")
        by_id = await _cold(services, sandbox, UNSEARCHED)
        ids = [a.deal_id for a in DEMO_ACCOUNTS]
        ids += [a.deal_id for a in generated_book(max(accounts, 40)) if a.key.startswith("gen")]
        await asyncio.sleep(pause)  # an empty 10 s window
        rate = await burst(services, sandbox, ids[:40], 40)
        await asyncio.sleep(pause)
        crowd = await burst(services, sandbox, ids[:accounts], reps)
        searches = await search_burst(services, sandbox)
        typo = await no_match(services, sandbox, "Glbex", 0.1)
    wb = await daily_writeback(sample=200 if book >= 400 else 100, book=book)
    ok_calls = by_name <= 7 and by_id <= 7
    ok_crowd = crowd["partial"] == 0 and crowd["failed"] == 0
    ok_search = searches["peak_1s"] <= 5 and searches["429"] == 0
    print(f"HubSpot traffic — {latency * 1000:.0f} ms per request, HUBSPOT_RATE_LIMIT={rate_limit} per 10 s")
    print(
        f"  HubSpot calls per cold card: name query 'Globex' {by_name}, deal-ID query {by_id} (target <= 7) "
        f"{'OK' if ok_calls else 'MISSED'}; at {rate_limit} per 10 s that is {rate_limit / by_name:.0f} cold cards "
        f"by name or {rate_limit / by_id:.0f} by deal ID per 10 s"
    )
    print(
        f"  40 different cold cards at once (15 demo accounts, 25 small ones): {_burst_words(rate)}; "
        f"{rate['calls']:.0f} calls, peak {rate['peak_10s']:.0f} per 10 s (limit {rate_limit}), "
        f"{rate['429']:.0f} answered 429"
    )
    print(
        f"  {reps} reps asking for {accounts} accounts at once: {_burst_words(crowd)}; {crowd['calls']:.0f} calls, "
        f"{crowd['429']:.0f} answered 429 {'OK' if ok_crowd else 'MISSED'}"
    )
    print(
        f"  {searches['names']:.0f} different names at once: {searches['searches']:.0f} searches, peak "
        f"{searches['peak_1s']:.0f} per second (HubSpot allows 5), {searches['429']:.0f} answered 429, "
        f"{searches['seconds']:.1f} s {'OK' if ok_search else 'MISSED'}"
    )
    ok_typo = typo["suggestion_calls"] <= 3 and typo["suggestion_s"] <= 0.5 and typo["first"] == 1.0
    print(
        f"  'Glbex' (matches nothing) at 100 ms per request: lookup {typo['lookup_calls']:.0f} calls "
        f"{typo['lookup_s']:.2f} s, then suggestions {typo['suggestion_calls']:.0f} calls {typo['suggestion_s']:.2f} s "
        f"(target <= 3 calls, <= 0.5 s), Globex first: {'yes' if typo['first'] else 'no'} "
        f"{'OK' if ok_typo else 'MISSED'}"
    )
    calls = wb["reads"] + wb["writes"]
    ok_wb = wb["peak_10s"] <= rate_limit and wb["429"] == 0
    print(
        f"  daily round of {wb['deals']:.0f} deals with write-back (first round: every value new; measured on "
        f"chunks of 100): {calls:.0f} HubSpot calls = {wb['writes']:.0f} batch/update of {wb['written_per_chunk']:.0f} "
        f"deals + {wb['reads']:.0f} reads; paced over {wb['spread_hours']:.0f} h: a chunk every "
        f"{wb['gap_minutes']:.0f} min taking {wb['chunk_seconds']:.1f} s, peak {wb['peak_10s']:.0f} calls per 10 s "
        f"(limit {rate_limit}), {wb['429']:.0f} answered 429; unpaced it would need {calls / rate_limit * 10:.0f} s "
        f"at the limit {'OK' if ok_wb else 'MISSED'}"
    )
    return 0 if (ok_calls and ok_crowd and ok_search and ok_typo and ok_wb) else 1


def _burst_words(b: dict[str, float]) -> str:
    return (
        f"first answers {b['complete']:.0f} complete, {b['on_its_way']:.0f} on their way, {b['partial']:.0f} failed; "
        f"{b['cards'] - b['failed']:.0f} complete in the end, {b['within_10s']:.0f} within 10 s, the last after "
        f"{b['last']:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.traffic", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate-limit", type=int, default=100, help="HUBSPOT_RATE_LIMIT, requests per 10 s")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--book", type=int, default=2000, help="deals in the book of the daily round")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(run(args.latency_ms / 1000.0, args.rate_limit, args.accounts, args.reps, book=args.book))


if __name__ == "__main__":
    sys.exit(main())
