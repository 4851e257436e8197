"""python -m bench.ack: the slash command's ack under load, measured from outside a running `serve`.

`serve` runs in a process of its own (SQLite store in a temp folder) against the sandbox in this
one; bursts of N signed commands from a few people go out at once over loopback, and the time to
each HTTP 200 is measured (by a lean keep-alive client, so that the burst measures `serve`, not the
load client). Two kinds: `/account help` (the ack path alone: signature, the command lane, access
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


class _Connections:
    """Keep-alive HTTP/1.1 connections that send pre-built requests and read the answers: a load client
    whose own cost per request is small beside the server's, so the burst measures `serve`, not it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[float, int, bytes]:
        """Seconds from the write to the last byte of the answer, its status and its body."""
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n{head}\r\n"
        ).encode() + body
        start = time.perf_counter()
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        answer = await reader.readexactly(length)
        elapsed = time.perf_counter() - start
        self.idle.append((reader, writer))
        return elapsed, int(status_line.split()[1]), answer

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _burst(
    conns: _Connections, sandbox: Sandbox, size: int, users: int, queries: tuple[str, ...]
) -> tuple[list[float], int]:
    people = [p.slack_id for p in PEOPLE[:users]]
    requests = []
    for n in range(size):
        fields = sandbox.slack.slash_command_fields(
            queries[n % len(queries)], channel_id=SALES, user_id=people[n % users]
        )
        body = urlencode(fields)
        requests.append((body.encode(), signed_headers(body, sandbox.slack.signing_secret)))
    results = await asyncio.gather(*(conns.post("/slack/events", b, h) for b, h in requests))
    assert all(status == 200 for _, status, _ in results), [s for _, s, _ in results]
    return [t for t, _, _ in results], sum(b'"blocks"' in a for _, _, a in results)


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
            async with aiohttp.ClientSession() as http:
                await _until_healthy(http, url)
            conns = _Connections("127.0.0.1", port)
            try:
                for kind in kinds:
                    queries = KINDS[kind]
                    before = sandbox.slack.count("users.info")
                    await _burst(conns, sandbox, max(sizes), users, queries)  # warm-up, not measured
                    await asyncio.sleep(1.0 if latency else 0.1)
                    for size in sizes:
                        acks: list[float] = []
                        answered = 0
                        for _ in range(rounds):
                            times, carried = await _burst(conns, sandbox, size, users, queries)
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
                await conns.close()
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
