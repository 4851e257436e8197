"""python -m bench.chaos: `serve` + two `worker`s on PostgreSQL under faults; exactly-once measured from outside.

Bursts of signed QuickBooks payment and HubSpot ticket webhooks (some delivered twice) go to
`serve`; Slack answers 500 before and after storing, 429s and slow answers at random; the
lease holder is killed with SIGKILL mid-flood. Afterwards every expected delivery is looked
for in the Slack emulator by the outbox ids each alert carries. Prints events sent, alerts
delivered, lost, doubled, the longest webhook-to-Slack time and how many processes posted.
Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg

from sandbox.book import DEMO_ACCOUNTS
from sandbox.server import Sandbox, _free_port
from sandbox.slack import LEADERSHIP, SALES, signed_headers

BASE = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Fleet:
    """The bot's processes, started from the console script's module with one environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, name: str, *args: str) -> None:
        self.procs[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    def name_of(self, pid: int) -> str | None:
        return next((n for n, p in self.procs.items() if p.pid == pid), None)

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()


async def _until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


async def run(events: int = 300, bursts: int = 6, seed: int = 7, limit: float = 240.0) -> dict[str, Any]:
    """One chaos run; the figures."""
    rng = random.Random(seed)
    name = f"accountbot_chaos_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(BASE)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = BASE.rsplit("/", 1)[0] + "/" + name
    sandbox = await Sandbox(latency=0.02).start()
    port = _free_port("127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **sandbox.env(),
        "DATABASE_URL": db_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_URL": url,
        "POLL_INTERVAL_SECONDS": "5",
        "LOG_LEVEL": "ERROR",
    }
    fleet = Fleet(env)
    db = None
    sent_at: dict[str, float] = {}  # "payment:<id>" / "ticket:<id>" -> when its first webhook went out
    try:
        await fleet.start("worker-1", "worker")
        await fleet.start("worker-2", "worker")
        await asyncio.sleep(3.0)  # a worker takes the lease before serve starts
        await fleet.start("serve", "serve")
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"{url}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await _until(healthy, 60, "serve to answer /healthz")
            db = await asyncpg.connect(db_url)
            for channel, text in ((SALES, "subscribe all"), (LEADERSHIP, "subscribe all payments")):
                body = urlencode(sandbox.slack.slash_command_fields(text, channel_id=channel))
                async with http.post(
                    f"{url}/slack/events",
                    data=body.encode(),
                    headers=signed_headers(body, sandbox.slack.signing_secret),
                ) as resp:
                    assert resp.status == 200
            await _until(lambda: _count(db, "SELECT count(*) FROM subscriptions", 2), 30, "subscriptions")
            await asyncio.sleep(1.5)  # events stamped after the subscriptions, to the second
            killed = await _flood(http, sandbox, fleet, db, url, events, bursts, rng, sent_at)
            sandbox.slack.faults.latency = 0.0
            sandbox.slack.faults.queue.clear()

            async def settled() -> bool:
                return await _count(
                    db, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')", 0, exact=True
                ) and await _recorded(db, sent_at)

            try:
                await _until(settled, limit, "every delivery to settle")
                timed_out = False
            except TimeoutError:
                timed_out = True
        return await _figures(db, sandbox, sent_at, killed, timed_out)
    finally:
        if db is not None:
            await db.close()
        await fleet.stop()
        await sandbox.stop()
        admin = await asyncpg.connect(BASE)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _count(db: asyncpg.Connection, sql: str, wanted: int, *, exact: bool = False) -> bool:
    value = await db.fetchval(sql)
    return value == wanted if exact else value >= wanted


def _entity(event_key: str) -> str:
    """ "payment:<realm>:<id>:<deal>" → "payment:<id>"; "escalation:<portal>:<id>:<deal>" → "ticket:<id>"."""
    kind, _, entity = event_key.split(":")[:3]
    return f"{'ticket' if kind == 'escalation' else kind}:{entity}"


async def _recorded(db: asyncpg.Connection, sent_at: dict[str, float]) -> bool:
    return set(sent_at) <= {_entity(r["key"]) for r in await db.fetch("SELECT key FROM alert_events")}


async def _flood(
    http: aiohttp.ClientSession,
    sandbox: Sandbox,
    fleet: Fleet,
    db: asyncpg.Connection,
    url: str,
    events: int,
    bursts: int,
    rng: random.Random,
    sent_at: dict[str, float],
) -> str | None:
    """Bursts of webhooks under Slack faults; the lease holder killed after the second burst."""
    qbo, hub, slack = sandbox.quickbooks, sandbox.hubspot, sandbox.slack
    invoices = [
        qbo.find_invoice(i.doc)
        for a in DEMO_ACCOUNTS
        for i in a.invoices
        if i.total > sum((p for _, p in i.payments), Decimal("0"))
    ]
    deals = [a.deal_id for a in DEMO_ACCOUNTS if a.stage == "closedwon"]
    killed = None
    for burst in range(bursts):
        slack.inject(500, count=rng.randint(1, 3), path_contains="chat.postMessage")  # refused before storing
        slack.fail_after_post(count=rng.randint(1, 2), status=rng.choice([500, 502, None]))  # stored, answer lost
        slack.inject(429, count=rng.randint(1, 3), retry_after=1, path_contains="chat.postMessage")
        slack.faults.latency = rng.choice([0.0, 0.05, 0.3])
        per_burst = events // bursts
        for _ in range(per_burst * 2 // 3):
            payment = qbo.add_payment(rng.choice(invoices), Decimal("1.00"))
            sent_at.setdefault(f"payment:{payment}", 0.0)
        for _ in range(per_burst - per_burst * 2 // 3):
            ticket = hub.add_ticket(rng.choice(deals), f"Chaos {rng.randint(1, 10**6)}", priority="HIGH")
            sent_at.setdefault(f"ticket:{ticket}", 0.0)
        body, headers = qbo.pending_webhook_delivery()
        tickets = [k.split(":")[1] for k, v in sent_at.items() if k.startswith("ticket:") and not v]
        hbody, hheaders = hub.webhook_delivery(
            [hub.webhook_event("ticket.creation", t) for t in tickets], f"{url}/webhooks/hubspot"
        )
        stamp = time.time()
        for key in sent_at:
            sent_at[key] = sent_at[key] or stamp
        for path, b, h in (("quickbooks", body, headers), ("hubspot", hbody, hheaders)):
            for _ in range(2 if rng.random() < 0.3 else 1):  # deliveries repeat
                async with http.post(f"{url}/webhooks/{path}", data=b, headers=h) as resp:
                    assert resp.status == 200, await resp.text()
        if burst == 1:
            holder = await db.fetchval("SELECT holder FROM leases WHERE name = 'alerts'")
            if holder:
                pid = int(holder.split(":")[1])
                killed = fleet.name_of(pid)
                os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(rng.uniform(1.0, 3.0))
    return killed


async def _figures(
    db: asyncpg.Connection, sandbox: Sandbox, sent_at: dict[str, float], killed: str | None, timed_out: bool
) -> dict[str, Any]:
    rows = await db.fetch("SELECT id, event_key, destination, status, unverified FROM outbox")
    carried: Counter[int] = Counter()
    first_seen: dict[int, float] = {}
    senders: set[str] = set()
    for message in sandbox.slack.messages():
        meta = message.get("metadata") or {}
        if meta.get("event_type") != "accountbot_alert":
            continue
        payload = meta.get("event_payload") or {}
        senders.add(str(payload.get("by")))
        for outbox_id in payload.get("outbox_ids", []):
            carried[outbox_id] += 1
            first_seen.setdefault(outbox_id, float(message["ts"]))
    expected = [r for r in rows if r["event_key"].split(":")[0] in ("payment", "escalation")]
    lost = [r for r in expected if carried[r["id"]] == 0]
    doubled = [r for r in expected if carried[r["id"]] > 1]
    latencies = [
        first_seen[r["id"]] - sent_at[_entity(r["event_key"])]
        for r in expected
        if r["id"] in first_seen and _entity(r["event_key"]) in sent_at
    ]
    recorded = {_entity(r["key"]) for r in await db.fetch("SELECT key FROM alert_events")}
    events_recorded = len(set(sent_at) & recorded)
    return {
        "events_sent": len(sent_at),
        "events_recorded": events_recorded,
        "deliveries_expected": len(expected),
        "delivered": len(expected) - len(lost),
        "lost": len(lost),
        "doubled": len(doubled),
        "doubled_marked_unverified": sum(1 for r in doubled if r["unverified"]),
        "longest_webhook_to_slack_s": round(max(latencies), 1) if latencies else None,
        "median_webhook_to_slack_s": round(sorted(latencies)[len(latencies) // 2], 1) if latencies else None,
        "unsettled": {
            f"{r['status']} {r['kind']}": r["n"]
            for r in await db.fetch(
                "SELECT status, kind, count(*) AS n FROM outbox WHERE status IN ('pending', 'sending') "
                "GROUP BY status, kind"
            )
        },
        "processes_that_posted": len(senders),
        "killed": killed,
        "timed_out": timed_out,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=float, default=240.0, help="seconds to wait for deliveries to settle")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.events, args.bursts, args.seed, args.limit))
    print(
        "accountbot chaos run — serve + 2 workers on PostgreSQL; Slack 500s before/after storing, 429s, "
        "slow answers; the lease holder killed with SIGKILL mid-flood"
    )
    print(json.dumps(figures, indent=2))
    return 0 if figures["lost"] == 0 and figures["doubled"] == figures["doubled_marked_unverified"] else 1


if __name__ == "__main__":
    sys.exit(main())
