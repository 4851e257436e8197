"""The bot's own CPU per card, with the emulators in another process (`accountbot sandbox`).

`python -m bench.cpu [--cards N] [--profile]`: CPU seconds of this process (every thread: the SDKs
run in worker threads) per cold card (status caches empty, join indexes warm) and per warm card
(served from the status cache), the card rendered to Block Kit as Slack gets it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from blocks.card import status_card
from bot.settings import Settings
from bot.wiring import Services, open_services, settings_on_sandbox

COLD_GOAL_MS = 25.0
WARM_GOAL_MS = 2.0


@contextlib.asynccontextmanager
async def sandbox_process(accounts: int | None = None) -> AsyncIterator[dict[str, str]]:
    """`accountbot sandbox` in a child process; yields the variables it prints."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["sandbox"] + (["--accounts", str(accounts)] if accounts else [])
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
            *args,
            cwd=tmp,
            stdout=asyncio.subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        )
        env: dict[str, str] = {}
        try:
            assert proc.stdout is not None
            while True:
                line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
                if not line:
                    raise RuntimeError("accountbot sandbox exited before printing its variables")
                if line.startswith("export "):
                    key, _, value = line[len("export ") :].strip().partition("=")
                    env[key] = value
                if line.startswith("# Ctrl-C"):
                    break
            yield env
        finally:
            if proc.returncode is None:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 10)
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


async def _card(services: Services, query: str) -> None:
    result = await services.cards.for_query(query)
    assert result.status is not None, result.message
    status_card(result.status, services.clock())


def _count_statements(services: Services) -> list[int]:
    """A counter of the SQL statements the store runs (one cell, bumped by an engine event)."""
    from sqlalchemy import event

    counter = [0]

    def bump(*_: object) -> None:
        counter[0] += 1

    event.listen(services.store.engine.sync_engine, "before_cursor_execute", bump)
    return counter


async def _cpu(
    services: Services, query: str, cards: int, *, cold: bool, profile: cProfile.Profile | None
) -> tuple[float, float]:
    """CPU seconds per card over `cards` cards: the whole process, and the event loop's thread alone."""
    used = loop = 0.0
    for _ in range(cards):
        if cold:
            services.status.forget()
        start, start_loop = time.process_time(), time.thread_time()
        if profile is not None:
            profile.enable()
        await _card(services, query)
        if profile is not None:
            profile.disable()
        used += time.process_time() - start
        loop += time.thread_time() - start_loop
    return used / cards, loop / cards


async def run(
    cards: int = 40, query: str = "Globex", *, accounts: int | None = None, profile: bool = False
) -> dict[str, float]:
    """CPU ms per cold and warm card (the sandbox in its own process, no injected latency)."""
    async with sandbox_process(accounts) as env:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_on_sandbox(Settings.from_env(dotenv=None), env, database_dir=Path(tmp))
            services = await open_services(settings)
            try:
                await services.asana.refresh_index()
                await services.accounting.sync_index()
                for _ in range(3):  # connector metadata, connection pools, imports
                    services.status.forget()
                    await _card(services, query)
                prof = cProfile.Profile() if profile else None
                statements = _count_statements(services)
                cold, cold_loop = await _cpu(services, query, cards, cold=True, profile=prof)
                cold_sql = statements[0] / cards
                statements[0] = 0
                warm_cards = max(cards, 10) * 5
                warm, warm_loop = await _cpu(services, query, warm_cards, cold=False, profile=None)
                warm_sql = statements[0] / warm_cards
            finally:
                await services.close()
    if prof is not None:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue())
    return {
        "cold_ms": cold * 1000,
        "warm_ms": warm * 1000,
        "cold_loop_ms": cold_loop * 1000,
        "warm_loop_ms": warm_loop * 1000,
        "cold_sql": cold_sql,
        "warm_sql": warm_sql,
    }


def report(figures: dict[str, float]) -> bool:
    """Print the figures against their goals; True when both are met."""
    ok_cold, ok_warm = figures["cold_ms"] <= COLD_GOAL_MS, figures["warm_ms"] <= WARM_GOAL_MS
    print(
        f"  CPU per card (emulators in another process): cold {figures['cold_ms']:.1f} ms "
        f"(target <= {COLD_GOAL_MS:g}) {'OK' if ok_cold else 'MISSED'}, warm {figures['warm_ms']:.2f} ms "
        f"(target <= {WARM_GOAL_MS:g}) {'OK' if ok_warm else 'MISSED'}"
    )
    print(
        f"    of which the event loop's thread: cold {figures['cold_loop_ms']:.1f} ms, "
        f"warm {figures['warm_loop_ms']:.2f} ms (the rest: the SDKs' worker threads); store statements per card: "
        f"cold {figures['cold_sql']:.1f}, warm {figures['warm_sql']:.1f}"
    )
    return ok_cold and ok_warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=40)
    parser.add_argument("--query", default="Globex")
    parser.add_argument("--accounts", type=int, default=None, help="a generated book of N accounts")
    parser.add_argument("--profile", action="store_true", help="cProfile the cold cards (event-loop thread)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    return 0 if report(asyncio.run(run(args.cards, args.query, accounts=args.accounts, profile=args.profile))) else 1


if __name__ == "__main__":
    sys.exit(main())
