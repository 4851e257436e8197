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
                await services.quickbooks.sync_index()  # type: ignore[attr-defined]
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
    """`reps` simultaneous cards over `deal_ids` (round robin), all cold: how many complete, when."""
    services.status.forget()
    sandbox.reset_calls()
    start = time.perf_counter()
    done: list[float] = []

    async def one(deal_id: str) -> AccountStatus:
        status = await services.status.get_status(deal_id)
        done.append(time.perf_counter() - start)
        return status

    statuses = await asyncio.gather(*(one(deal_ids[n % len(deal_ids)]) for n in range(reps)))
    calls = _hubspot_calls(sandbox)
    return {
        "cards": reps,
        "partial": sum(1 for s in statuses if _partial(s)),
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


async def run(latency: float, rate_limit: int, accounts: int, reps: int, *, pause: float = 10.5) -> int:
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
    ok_calls = by_name <= 7 and by_id <= 7
    ok_crowd = crowd["partial"] == 0
    ok_search = searches["peak_1s"] <= 5 and searches["429"] == 0
    print(f"HubSpot traffic — {latency * 1000:.0f} ms per request, HUBSPOT_RATE_LIMIT={rate_limit} per 10 s")
    print(
        f"  HubSpot calls per cold card: name query 'Globex' {by_name}, deal-ID query {by_id} (target <= 7) "
        f"{'OK' if ok_calls else 'MISSED'}; at {rate_limit} per 10 s that is {rate_limit / by_name:.0f} cold cards "
        f"by name or {rate_limit / by_id:.0f} by deal ID per 10 s"
    )
    print(
        f"  40 different cold cards at once (15 demo accounts, 25 small ones): {rate['within_10s']:.0f} complete "
        f"within 10 s, all in {rate['last']:.1f} s; "
        f"{rate['calls']:.0f} calls, peak {rate['peak_10s']:.0f} per 10 s (limit {rate_limit}), "
        f"{rate['429']:.0f} answered 429; {rate['partial']:.0f} cards partial"
    )
    print(
        f"  {reps} reps asking for {accounts} accounts at once: {crowd['cards'] - crowd['partial']:.0f} complete, "
        f"{crowd['partial']:.0f} partial, last in {crowd['last']:.1f} s; {crowd['calls']:.0f} calls, "
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
    return 0 if (ok_calls and ok_crowd and ok_search and ok_typo) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.traffic", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate-limit", type=int, default=100, help="HUBSPOT_RATE_LIMIT, requests per 10 s")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(run(args.latency_ms / 1000.0, args.rate_limit, args.accounts, args.reps))


if __name__ == "__main__":
    sys.exit(main())
