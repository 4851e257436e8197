"""Cold card on NetSuite beside QuickBooks: the same demo book, the same injected latency, the same critical path.

`python -m bench.netsuite` prints, per accounting system, the median cold card (indexes and
connector metadata warm, caches empty) against the critical path of 3 round trips, and the
upstream calls of one cold card.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.lookup import lookup
from bot.settings import Settings
from bot.wiring import Services, open_services, settings_on_sandbox
from sandbox.server import Sandbox

SEARCH_WINDOW = 1.2  # HubSpot search allows ~4 requests/s: each run starts with an empty window
CRITICAL_PATH_ROUND_TRIPS = 3  # name search -> associations / first pages -> the associated records
ACCOUNTING = ("quickbooks", "netsuite")


async def _card(services: Services, query: str) -> None:
    result = await lookup(services.status, query)
    assert result.deal_id is not None, result.message
    status = await services.status.get_status(result.deal_id)
    assert status.money.available and status.money.value is not None, status.money.error


async def cold_cards(latency: float, query: str = "Globex", repeats: int = 5) -> dict[str, dict[str, float]]:
    """Per accounting system: median cold card seconds, and upstream calls per cold card by system."""
    figures: dict[str, dict[str, float]] = {}
    async with Sandbox(netsuite=True) as sandbox:
        for accounting in ACCOUNTING:
            with tempfile.TemporaryDirectory() as tmp:
                base = replace(Settings.from_env({}, dotenv=None), accounting=accounting)
                settings = replace(
                    settings_on_sandbox(base, sandbox.env(), database_dir=Path(tmp)), accounting=accounting
                )
                services = await open_services(settings)
                try:
                    sandbox.set_latency(0.0)
                    await services.asana.refresh_index()
                    await services.accounting.sync_index()
                    await _card(services, query)  # connector metadata (currencies, fields) warm
                    sandbox.set_latency(latency)
                    cold, calls = [], []
                    for _ in range(repeats):
                        await asyncio.sleep(SEARCH_WINDOW)
                        services.status.forget()
                        sandbox.reset_calls()
                        start = time.perf_counter()
                        await _card(services, query)
                        cold.append(time.perf_counter() - start)
                        calls.append({n: len(e.calls) for n, e in sandbox.emulators.items() if e.calls})
                    names = sorted({n for c in calls for n in c})
                    figures[accounting] = {
                        "cold": statistics.median(cold),
                        **{f"calls_{n}": statistics.median(c.get(n, 0) for c in calls) for n in names},
                    }
                finally:
                    await services.close()
    return figures


def report(figures: dict[str, dict[str, float]], latency: float) -> bool:
    """Print the figures; True when every cold card is within 1.3x the critical path."""
    critical = CRITICAL_PATH_ROUND_TRIPS * latency
    ok = True
    print(f"cold card at {latency * 1000:.0f} ms per upstream request, critical path {critical * 1000:.0f} ms:")
    for accounting, f in figures.items():
        ratio = f["cold"] / critical if critical else 0.0
        ok &= not critical or ratio <= 1.3
        calls = ", ".join(f"{k[6:]} {v:g}" for k, v in f.items() if k.startswith("calls_"))
        print(
            f"  {accounting:<10} {f['cold'] * 1000:7.1f} ms  ratio {ratio:.2f} (target <= 1.30) "
            f"{'OK' if not critical or ratio <= 1.3 else 'MISSED'}   calls: {calls}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.netsuite", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--query", default="Globex")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    latency = args.latency_ms / 1000.0
    return 0 if report(asyncio.run(cold_cards(latency, args.query, args.repeats)), latency) else 1


if __name__ == "__main__":
    sys.exit(main())
