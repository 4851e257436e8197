"""Index builds at scale and the first card after a fresh start.

`python -m bench.scale [--latency-ms 100] [--invoices 2000,20000,100000] [--accounts 2000] [--card-invoices 20000]`
prints:
- the QuickBooks deal index built from scratch for companies of 2,000 / 20,000 / 100,000 invoices
  (seconds, requests, most requests in flight, 429s);
- the first card after a fresh start of the bot on a store whose indexes were built (the
  process starts as `serve` and `worker` do), and on a store that has none yet.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.wiring import Services, open_services, settings_on_sandbox
from sandbox.book import DEMO_ACCOUNTS, generated_book
from sandbox.server import Sandbox

FIRST_CARD_GOAL = 1.5  # seconds, on a store whose indexes were built


async def _open(sandbox: Sandbox, folder: Path) -> Services:
    settings = settings_on_sandbox(Settings.from_env(dotenv=None), sandbox.env(), database_dir=folder)
    return await open_services(settings)


async def index_build(invoices: int, latency: float) -> dict[str, float]:
    """A full scan of the QuickBooks deal index of a company holding `invoices` invoices."""
    base = sum(len(a.invoices) for a in DEMO_ACCOUNTS)
    async with Sandbox(DEMO_ACCOUNTS, qbo_fillers=max(0, invoices - base)) as sandbox:
        with tempfile.TemporaryDirectory() as tmp:
            services = await _open(sandbox, Path(tmp))
            try:
                await services.accounting.tokens.access_token()  # the token refresh is not the scan
                qbo = sandbox.quickbooks
                sandbox.set_latency(latency)
                qbo.reset_calls()
                qbo.max_inflight = 0
                start = time.perf_counter()
                seen = await services.accounting.sync_index(full=True)
                took = time.perf_counter() - start
            finally:
                await services.close()
    return {
        "invoices": float(len(qbo.invoices)),
        "seen": float(seen),
        "seconds": took,
        "requests": float(len(qbo.calls)),
        "max_inflight": float(qbo.max_inflight),
        "throttled": float(sum(1 for c in qbo.calls if c.status == 429)),
    }


async def _first_card(services: Services, query: str) -> tuple[float, list[str]]:
    """Seconds to the first card after the process started, and the sections that came back incomplete."""
    start = time.perf_counter()
    result = await services.cards.for_query(query)
    took = time.perf_counter() - start
    assert result.status is not None, result.message
    status = result.status
    missing = [
        name
        for name, section in (("deal", status.deal), ("delivery", status.delivery), ("money", status.money))
        if section.error or section.value is None
    ]
    return took, missing


async def _started(services: Services) -> None:
    """What `serve` and `worker` do when they start (before any card)."""
    services.indexes.start()
    await asyncio.sleep(0)


async def first_card(accounts: int, latency: float, query: str = "Globex", invoices: int = 20000) -> dict[str, object]:
    """The first card after a fresh start: on a store whose indexes were built, and on an empty one."""
    book = generated_book(accounts)
    fillers = max(0, invoices - sum(len(a.invoices) for a in book))
    async with Sandbox(book, qbo_fillers=fillers) as sandbox:
        with tempfile.TemporaryDirectory() as built_dir, tempfile.TemporaryDirectory() as empty_dir:
            builder = await _open(sandbox, Path(built_dir))
            try:  # a previous run of the bot built the indexes into this store
                await builder.asana.refresh_index()
                await builder.accounting.sync_index()
            finally:
                await builder.close()
            sandbox.set_latency(latency)
            out: dict[str, object] = {"accounts": accounts, "invoices": len(sandbox.quickbooks.invoices)}
            for label, folder in (("built", built_dir), ("empty", empty_dir)):
                await asyncio.sleep(1.2)  # an empty HubSpot search window, as a rep's lookups see it
                services = await _open(sandbox, Path(folder))
                try:
                    await _started(services)
                    out[label] = await _first_card(services, query)
                finally:
                    await services.close()
    return out


def report_builds(builds: list[dict[str, float]], latency: float) -> None:
    """Print the index builds."""
    print(f"  QuickBooks deal index, full build at {latency * 1000:.0f} ms per request:")
    for b in builds:
        print(
            f"    {b['invoices']:>7,.0f} invoices: {b['seconds']:6.2f} s, {b['requests']:.0f} requests, "
            f"at most {b['max_inflight']:.0f} in flight (QuickBooks allows 10), {b['throttled']:.0f} refused (429)"
        )


def report_first_card(figures: dict[str, object], latency: float) -> bool:
    """Print the first-card figures; True when the built-store card meets its goal, complete."""
    took, missing = figures["built"]  # type: ignore[misc]
    ok = took <= FIRST_CARD_GOAL and not missing
    print(
        f"  first card after a fresh start, {figures['accounts']:,} accounts / {figures['invoices']:,} invoices, "
        f"{latency * 1000:.0f} ms per request:"
    )
    print(
        f"    indexes built:   {took:5.2f} s (target <= {FIRST_CARD_GOAL:g} s, complete) "
        f"{'complete' if not missing else 'without ' + ', '.join(missing)} {'OK' if ok else 'MISSED'}"
    )
    took, missing = figures["empty"]  # type: ignore[misc]
    print(
        f"    no index yet:    {took:5.2f} s {'complete' if not missing else 'without ' + ', '.join(missing)} "
        "(the build started with the process)"
    )
    return ok


async def run(latency: float, sizes: tuple[int, ...], accounts: int, invoices: int = 20000) -> bool:
    builds = [await index_build(n, latency) for n in sizes]
    report_builds(builds, latency)
    return report_first_card(await first_card(accounts, latency, invoices=invoices), latency)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--invoices", default="2000,20000,100000")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--card-invoices", type=int, default=20000, help="invoices in the first card's company")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    sizes = tuple(int(n) for n in args.invoices.split(","))
    return 0 if asyncio.run(run(args.latency_ms / 1000.0, sizes, args.accounts, args.card_invoices)) else 1


if __name__ == "__main__":
    sys.exit(main())
