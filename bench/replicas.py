"""python -m bench.replicas: three `serve` replicas against one sandbox, with and without Redis (REDIS_URL).

The same burst of signed `/account` commands, spread over the replicas, goes out once with each
replica on its own (budgets and caches in-process, as without REDIS_URL) and once with the three
sharing Redis. Prints the upstream calls per vendor and the 429s the vendors answered. The replicas
share one PostgreSQL database (TEST_DATABASE_URL's server), as a deployment of several must.
Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import redis.asyncio as aioredis

from bench.ack import _until_healthy
from bench.chaos import BASE, Fleet
from sandbox.book import PEOPLE
from sandbox.server import Sandbox, _free_port
from sandbox.slack import SALES, signed_headers

SYSTEMS = ("hubspot", "asana", "quickbooks")
WARM_UP = "Initech"  # each replica's first card: its connectors' metadata, not measured
QUERIES = ("Globex", "Umbrella Health", "Soylent", "Hooli", "Vandelay")
REDIS = os.environ.get("BENCH_REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))


async def _command(http: aiohttp.ClientSession, url: str, sandbox: Sandbox, query: str, user: str) -> str:
    """One signed /account QUERY; its response_url once answered (in the ack or through it)."""
    fields = sandbox.slack.slash_command_fields(query, channel_id=SALES, user_id=user)
    body = urlencode(fields)
    async with http.post(
        f"{url}/slack/events", data=body.encode(), headers=signed_headers(body, sandbox.slack.signing_secret)
    ) as resp:
        answer = await resp.read()
        assert resp.status == 200, resp.status
    if b'"blocks"' not in answer:  # "on its way": the card follows at the response_url
        deadline = time.monotonic() + 30
        while not sandbox.slack.delivered(fields["response_url"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    return fields["response_url"]


async def burst(replicas: int, commands: int, latency: float, shared: bool) -> dict[str, Any]:
    """Upstream calls and 429s per vendor for `commands` cards spread over `replicas` serve processes."""
    sandbox = await Sandbox(latency=latency).start()
    name = f"accountbot_replicas_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(BASE)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    prefix_db = BASE.rsplit("/", 1)[0] + "/" + name
    redis_client = aioredis.Redis.from_url(REDIS)
    env = {
        **os.environ,
        **sandbox.env(),
        "DATABASE_URL": prefix_db,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    if shared:
        env["REDIS_URL"] = REDIS
        portal, realm = env.get("HUBSPOT_PORTAL_ID", "-"), env.get("QBO_REALM_ID", "-")
        stale = [k async for k in redis_client.scan_iter(match=f"accountbot:{portal}:{realm}:*")]
        if stale:  # an earlier run's cache must not answer this one
            await redis_client.delete(*stale)
    fleet = Fleet(env)
    urls = []
    try:
        for n in range(replicas):
            port = _free_port("127.0.0.1")
            fleet.env = {**env, "PORT": str(port)}
            await fleet.start(f"serve{n}", "serve")
            urls.append(f"http://127.0.0.1:{port}")
        people = [p.slack_id for p in PEOPLE[:3]]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for url in urls:
                await _until_healthy(http, url)
            await asyncio.gather(*(_command(http, url, sandbox, WARM_UP, people[0]) for url in urls))
            await asyncio.sleep(1.5)  # HubSpot's search window empties
            marks = {s: len(sandbox.emulators[s].calls) for s in SYSTEMS}
            start = time.perf_counter()
            await asyncio.gather(
                *(
                    _command(http, urls[n % replicas], sandbox, QUERIES[n % len(QUERIES)], people[n % 3])
                    for n in range(commands)
                )
            )
            took = time.perf_counter() - start
            calls = {s: sandbox.emulators[s].calls[marks[s] :] for s in SYSTEMS}
    finally:
        await fleet.stop()
        await sandbox.stop()
        await redis_client.aclose()
        admin = await asyncpg.connect(BASE)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {
        "calls": {s: len(c) for s, c in calls.items()},
        "429": {s: sum(1 for call in c if call.status == 429) for s, c in calls.items()},
        "seconds": took,
    }


async def run(replicas: int = 3, commands: int = 30, latency: float = 0.05) -> dict[str, dict[str, Any]]:
    """The burst without and with Redis."""
    return {
        "in-process": await burst(replicas, commands, latency, shared=False),
        "redis": await burst(replicas, commands, latency, shared=True),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--commands", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.replicas, args.commands, args.latency_ms / 1000.0))
    print(
        f"{args.commands} cold /account cards over {args.replicas} serve replicas, one sandbox "
        f"(upstream {args.latency_ms:.0f} ms), queries {', '.join(QUERIES)}:"
    )
    for mode, f in figures.items():
        print(
            f"  {mode:<10} upstream calls "
            + ", ".join(f"{s} {f['calls'][s]}" for s in SYSTEMS)
            + f" (total {sum(f['calls'].values())}); 429s "
            + ", ".join(f"{s} {f['429'][s]}" for s in SYSTEMS)
            + f"; all answered in {f['seconds']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
