"""python -m bench.ack: the slash command's ack under load, measured from outside a running `serve`.

`serve` runs in a process of its own (SQLite store in a temp folder) against the sandbox in this
one; bursts of N signed commands from a few people go out at once over loopback, and the time to
each HTTP 200 is measured. Two kinds: `/account help` (the ack path alone: signature, Bolt, access
gate, the answer in the body) and `/account QUERY` with warm cards (the card rides in the 200; a
first, unmeasured burst warms the caches). Prints p50/p99/max per kind and burst size, how many
answers rode in the ack, and the Slack calls the bursts cost (users.info once per person and cache
lifetime, not per command). Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

import aiohttp

from bench.chaos import Fleet
from sandbox.book import PEOPLE
from sandbox.server import Sandbox, _free_port
from sandbox.slack import SALES, signed_headers

QUERIES = ("Globex", "Acme", "Umbrella Health", "Initech", "Soylent")
KINDS = {"help": ("help",), "cards": QUERIES}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _burst(
    http: aiohttp.ClientSession, url: str, sandbox: Sandbox, size: int, users: int, queries: tuple[str, ...]
) -> tuple[list[float], int]:
    """Seconds to each ack of `size` commands sent together by `users` people; how many carried a message."""
    people = [p.slack_id for p in PEOPLE[:users]]
    requests = []
    for n in range(size):
        fields = sandbox.slack.slash_command_fields(
            queries[n % len(queries)], channel_id=SALES, user_id=people[n % users]
        )
        body = urlencode(fields)
        requests.append((body, signed_headers(body, sandbox.slack.signing_secret)))

    async def one(body: str, headers: dict[str, str]) -> tuple[float, bool]:
        start = time.perf_counter()
        async with http.post(f"{url}/slack/events", data=body.encode(), headers=headers) as resp:
            answer = await resp.read()
            assert resp.status == 200, resp.status
        return time.perf_counter() - start, b'"blocks"' in answer  # the answer itself, not "on its way"

    results = await asyncio.gather(*(one(b, h) for b, h in requests))
    return [t for t, _ in results], sum(a for _, a in results)


async def run(
    sizes: tuple[int, ...] = (50, 200),
    users: int = 3,
    rounds: int = 3,
    latency: float = 0.05,
    kinds: tuple[str, ...] = ("help", "cards"),
) -> dict[tuple[str, int], dict[str, float]]:
    """Ack latencies per kind and burst size (`rounds` bursts each, one burst's work settling before the next)."""
    sandbox = await Sandbox(latency=latency).start()
    port = _free_port("127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            **sandbox.env(),
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "ERROR",
        }
        fleet = Fleet(env)
        figures: dict[tuple[str, int], dict[str, float]] = {}
        try:
            await fleet.start("serve", "serve")
            connector = aiohttp.TCPConnector(limit=0)  # the load client itself must not queue the burst
            async with aiohttp.ClientSession(connector=connector) as http:
                await _until_healthy(http, url)
                for kind in kinds:
                    queries = KINDS[kind]
                    before = sandbox.slack.count("users.info")
                    await _burst(http, url, sandbox, max(sizes), users, queries)  # warm-up, not measured
                    await asyncio.sleep(1.0 if latency else 0.1)
                    for size in sizes:
                        acks: list[float] = []
                        answered = 0
                        for _ in range(rounds):
                            times, carried = await _burst(http, url, sandbox, size, users, queries)
                            acks += times
                            answered += carried
                            await asyncio.sleep(1.0 if latency else 0.1)  # whatever is left settles first
                        figures[(kind, size)] = {
                            "p50": statistics.median(acks),
                            "p99": _p(acks, 0.99),
                            "max": max(acks),
                            "in_ack": answered,
                            "commands": size * rounds,
                            "users_info": sandbox.slack.count("users.info") - before,
                        }
        finally:
            await fleet.stop()
            await sandbox.stop()
    return figures


async def _until_healthy(http: aiohttp.ClientSession, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{url}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError("serve did not answer /healthz")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200", help="commands per burst, comma-separated")
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--kinds", default="help,cards", help="help (the ack path alone), cards (warm cards in the ack)"
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    kinds = tuple(args.kinds.split(","))
    figures = asyncio.run(run(sizes, args.users, args.rounds, args.latency_ms / 1000.0, kinds))
    goals = {50: 0.030, 200: 0.100}
    print(
        f"/account ack under load ({args.users} people, {args.rounds} bursts each, upstream {args.latency_ms:.0f} ms):"
    )
    missed = False
    for (kind, size), f in figures.items():
        goal = goals.get(size)
        verdict = "" if goal is None else ("OK" if f["p99"] <= goal else "MISSED")
        missed |= verdict == "MISSED"
        label = "/account help" if kind == "help" else "warm cards   "
        print(
            f"  {label} {size:>4} at once: p50 {f['p50'] * 1000:6.1f} ms, p99 {f['p99'] * 1000:6.1f} ms, "
            f"max {f['max'] * 1000:6.1f} ms"
            + (f" (goal p99 <= {goal * 1000:.0f} ms) {verdict}" if goal else "")
            + f"; {f['in_ack']:.0f} of {f['commands']:.0f} answered in the ack"
            + f"; users.info calls: {f['users_info']:.0f}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
