"""`/account unlinked` on a large book: the ack, the list (in the ack or at the response_url), and the calls per system.

python -m bench.unlinked [--deals N] [--invoices-per-deal K] [--loose-share S] [--latency-ms MS]
                         [--accounting quickbooks|netsuite]

The book (default 2,000 won deals, 2,000 projects, 20,000 invoices) comes from the generated book:
every deal has its project and K invoices; a share S of the projects lose their deal ID and a share S
of the invoices carry none, so each kind of item has work to do. The first run is cold (the invoice
index is built by a full scan), the second warm; the list rides in the ack when it is ready within
CARD_WAIT_SECONDS, else the ack says "Looking it up…" and the list replaces it through the response_url
(Slack's limit is 3 s for the ack; the goal for the list is under a minute). With
`--accounting netsuite` the invoices are in the NetSuite emulator (SuiteQL) instead of QuickBooks.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.book import Invoice, generated_book
from sandbox.harness import Bot, start_bot, stop_bot
from sandbox.server import Sandbox

SYSTEMS = ("hubspot", "asana")  # and the accounting system


def book(deals: int, invoices_per_deal: int, loose: float, seed: int = 11) -> tuple[Any, ...]:
    """The generated book with `invoices_per_deal` invoices each, a share `loose` of projects without deal ID."""
    rng = random.Random(seed)
    out = []
    for account in generated_book(deals):
        if account.state != "generated":
            out.append(account)
            continue
        invoices = tuple(
            Invoice(
                f"{account.key.upper()}-{k}", rng.randint(3, 85), 30, (("Milestone", Decimal(rng.randint(500, 9000))),)
            )
            for k in range(invoices_per_deal)
        )
        project = account.project
        if project is not None and rng.random() < loose:
            project = replace(project, deal_field="")
        out.append(replace(account, invoices=invoices, project=project))
    return tuple(out)


async def _one(bot: Bot, accounting: str) -> dict[str, float]:
    """Ack and list seconds, and calls per system, for one /account unlinked."""
    bot.sandbox.reset_calls()
    start = time.perf_counter()
    status, body, url = await bot.command("unlinked")
    ack = time.perf_counter() - start
    assert status == 200, (status, body)
    [reply] = await bot.delivered(url, timeout=600)  # the ack's own message, or the post replacing "on its way"
    listed = time.perf_counter() - start
    assert reply["text"].startswith("Not joined yet"), reply["text"]
    figures = {"ack": ack, "list": listed}
    for name in (*SYSTEMS, accounting):
        figures[name] = float(bot.sandbox.emulators[name].count())
    return figures


async def run(
    deals: int = 2000,
    invoices_per_deal: int = 10,
    loose: float = 0.05,
    latency: float = 0.0,
    accounting: str = "quickbooks",
) -> dict[str, dict[str, float]]:
    """Cold and warm figures for /account unlinked on the generated book (invoices in `accounting`)."""
    accounts = book(deals, invoices_per_deal, loose)
    sandbox = Sandbox(accounts, netsuite=accounting == "netsuite")
    rng = random.Random(5)
    if sandbox.netsuite is not None:
        ns = sandbox.netsuite
        invoice_ids = sorted(str(t.id) for t in ns.ledger.txns.values() if t.type == "CustInvc")
        unlink = ns.set_deal
    else:
        invoice_ids = sorted(sandbox.quickbooks.invoices)
        unlink = sandbox.quickbooks.set_deal
    for invoice_id in invoice_ids:
        if rng.random() < loose:
            unlink(invoice_id, None)
    with tempfile.TemporaryDirectory() as tmp:
        bot = await start_bot(Path(tmp), sandbox=sandbox, accounting=accounting)
        try:
            sandbox.set_latency(latency)
            cold = await _one(bot, accounting)
            warm = await _one(bot, accounting)
        finally:
            await stop_bot(bot)
    sizes = {
        "deals": float(sum(1 for a in accounts if a.stage == "closedwon")),
        "projects": float(len(sandbox.asana.projects)),
        "invoices": float(len(invoice_ids)),
    }
    return {"cold": cold, "warm": warm, "sizes": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.unlinked", description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--invoices-per-deal", type=int, default=10)
    parser.add_argument("--loose-share", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--accounting", choices=("quickbooks", "netsuite"), default="quickbooks")
    args = parser.parse_args(argv)
    figures = asyncio.run(
        run(args.deals, args.invoices_per_deal, args.loose_share, args.latency_ms / 1000.0, args.accounting)
    )
    size = figures["sizes"]
    print(
        f"/account unlinked: {size['deals']:.0f} won deals, {size['projects']:.0f} projects, "
        f"{size['invoices']:.0f} {args.accounting} invoices, {args.latency_ms:.0f} ms per request"
    )
    for label in ("cold", "warm"):
        f = figures[label]
        calls = ", ".join(f"{name} {f[name]:.0f}" for name in (*SYSTEMS, args.accounting))
        ack, listed = f["ack"] * 1000, f["list"]
        print(f"  {label}: ack {ack:.0f} ms (goal < 3 s), list {listed:.2f} s (goal < 60 s); calls: {calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
