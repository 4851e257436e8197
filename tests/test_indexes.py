"""The join indexes: built when a process starts (not on the first card), QuickBooks read by columns, paged
concurrently after a COUNT(*); a company that refuses the column list or drops a column still indexes whole."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.chaos import _until
from bot.store import Store
from connectors.asana import AsanaConnector
from connectors.errors import ConnectorError, IndexBuilding
from connectors.runtime import background
from sandbox.asana import AsanaEmulator
from sandbox.book import DEMO_ACCOUNTS, QBO_REALM_ID
from sandbox.harness import Bot, block_texts
from sandbox.quickbooks import QuickBooksEmulator
from sandbox.server import Sandbox, _free_port
from tests.conftest import TODAY
from tests.test_quickbooks import connect, ids_of

GLOBEX = next(a for a in DEMO_ACCOUNTS if a.key == "globex")


@pytest.fixture
async def qbo(serve: Callable) -> QuickBooksEmulator:
    """The QBO emulator on loopback, seeded with the demo book and filler invoices."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))


def queries(qbo: QuickBooksEmulator) -> list[tuple[str, int]]:
    """Each query statement QuickBooks received, with its answer's status."""
    return [(str(c.body or c.query.get("query")), c.status) for c in qbo.calls if c.path.endswith("/query")]


@pytest.mark.parametrize("mode", ["refused", "no_custom_fields"])
async def test_a_company_that_spoils_the_column_list_is_read_whole(
    qbo: QuickBooksEmulator, store: Store, mode: str
) -> None:
    """Refused with a 400, or answered without CustomField: the scan reads whole invoices and the index is whole."""
    qbo.column_lists = mode
    connector = connect(qbo, store, page_size=50)
    try:
        assert await connector.sync_index(full=True) == len(qbo.invoices)
        money = await connector.money(GLOBEX.deal_id, today=TODAY)
    finally:
        connector.close()
    assert await store.invoices_for(QBO_REALM_ID, GLOBEX.deal_id) == ids_of(qbo, [i.doc for i in GLOBEX.invoices])
    assert money is not None and money.invoiced > 0
    pages = [(q, status) for q, status in queries(qbo) if "STARTPOSITION" in q and "WHERE" not in q]
    assert pages[0][0].startswith("SELECT Id, CustomField") and pages[0][1] == (400 if mode == "refused" else 200)
    whole = [q for q, _ in pages if q.startswith("SELECT * FROM Invoice")]
    assert len(whole) == -(-len(qbo.invoices) // 50)  # every page once, whole


async def test_the_emulator_answers_a_column_list_as_quickbooks_does(qbo: QuickBooksEmulator, store: Store) -> None:
    """Only the columns asked (and Id), marked sparse; a property the entity doesn't have is refused."""
    connector = connect(qbo, store)
    try:
        page = await connector.query("SELECT Id, CustomField, MetaData.LastUpdatedTime FROM Invoice MAXRESULTS 5")
        with pytest.raises(ConnectorError, match="not queryable"):
            await connector.query("SELECT Id, DealId FROM Invoice")
        count = await connector.query("SELECT COUNT(*) FROM Invoice")
    finally:
        connector.close()
    assert {frozenset(inv) for inv in page["Invoice"]} == {frozenset({"Id", "CustomField", "MetaData", "sparse"})}
    assert count["totalCount"] == len(qbo.invoices)


async def test_two_processes_scanning_stay_within_ten_in_flight_beside_cards(
    qbo: QuickBooksEmulator, store: Store
) -> None:
    """`serve` and `worker` full-scanning at once, and a card's calls meanwhile: QuickBooks' 10 in flight hold,
    nothing is refused."""
    a, b = connect(qbo, store, page_size=5), connect(qbo, store, page_size=5)
    qbo.faults.latency = 0.03
    try:
        scans = asyncio.gather(a.sync_index(full=True), b.sync_index(full=True))
        await asyncio.sleep(0.05)
        await asyncio.gather(*(a.query("SELECT COUNT(*) FROM Payment") for _ in range(2)))
        assert await scans == [len(qbo.invoices)] * 2
    finally:
        a.close()
        b.close()
    assert 8 <= qbo.max_inflight <= 10 and all(c.status == 200 for c in qbo.calls)


async def test_a_process_builds_the_indexes_as_it_starts_and_cards_meanwhile_answer(bot: Bot) -> None:
    """`serve`/`worker` start the builds in the background; a card asked at once still comes back whole (it
    joins the build in flight), no second scan is made, and doctor reports the builds."""
    sandbox, services = bot.sandbox, bot.services
    sandbox.set_latency(0.05)
    services.indexes.start()
    _, _, url = await bot.command("Globex")
    [card] = await bot.delivered(url)
    await services.indexes.wait()
    text = block_texts(card)
    assert "Globex" in text and "Invoiced" in text and "didn't answer" not in text
    qbo_counts = [q for q, _ in queries(sandbox.quickbooks) if q == "SELECT COUNT(*) FROM Invoice"]
    asana_scans = [c for c in sandbox.asana.calls if c.path.endswith("/projects") and "offset" not in c.query]
    assert len(qbo_counts) == 1 and len(asana_scans) == 1
    report: dict[str, Any] = (await services.doctor.report(probe=False))["indexes"]
    assert {name: build["state"] for name, build in report.items()} == {"asana": "built", "quickbooks": "built"}
    assert report["quickbooks"]["entries"] == len(sandbox.quickbooks.invoices)
    services.indexes.start()  # a second start finds both fresh: nothing scanned again
    await services.indexes.wait()
    assert {build["state"] for build in services.indexes.report().values()} == {"fresh"}
    assert len([q for q, _ in queries(sandbox.quickbooks) if q == "SELECT COUNT(*) FROM Invoice"]) == 1


async def test_a_failed_build_reaches_healthz_and_doctor_in_words(bot: Bot) -> None:
    """QuickBooks refusing the app at start-up: /healthz and `/account doctor` say the index could not be built,
    and what to do."""
    bot.sandbox.quickbooks.inject(403, count=50, path_contains="/query")
    bot.services.indexes.start()
    await bot.services.indexes.wait()
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        report = await resp.json()
    assert report["indexes"]["quickbooks"]["state"] == "failed" and report["indexes"]["asana"]["state"] == "built"
    assert "403" in report["indexes"]["quickbooks"]["error"]
    assert any("QuickBooks invoice index could not be built" in p and "restart" in p for p in report["problems"])
    _, _, url = await bot.command("doctor")
    [message] = await bot.delivered(url)
    assert "QuickBooks invoice index could not be built" in block_texts(message)


async def test_serve_and_worker_build_the_indexes_as_they_start(tmp_path: Path) -> None:
    """`accountbot serve` and `accountbot worker`, started together on an empty store, build both indexes with
    no card asked; /healthz reports them built; QuickBooks refused nothing."""
    sandbox = await Sandbox().start()
    port = _free_port("127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **sandbox.env(),
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    procs = []
    try:
        for command in ("serve", "worker"):
            with open(tmp_path / f"{command}.log", "wb") as log:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot.cli", command, env=env, stdout=log, stderr=log
                    )
                )
        async with aiohttp.ClientSession() as http:

            async def built() -> bool:
                if any(p.returncode is not None for p in procs):
                    raise AssertionError((tmp_path / "serve.log").read_text()[-2000:])
                try:
                    async with http.get(f"{url}/healthz") as resp:
                        states = {b["state"] for b in (await resp.json())["indexes"].values()}
                except aiohttp.ClientError:
                    return False  # not listening yet
                return states <= {"built", "fresh"} and bool(states)

            await _until(built, 120.0, "indexes built by serve")
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)
        await sandbox.stop()
    assert not [c for c in sandbox.quickbooks.calls if c.status == 429]
    assert 1 <= sum(1 for c in sandbox.quickbooks.calls if "COUNT(*) FROM Invoice" in str(c.body)) <= 2
    assert not sandbox.slack.count("chat.postMessage")  # nobody asked for anything


async def test_a_card_waits_for_a_first_build_only_so_long_and_says_why(bot: Bot) -> None:
    """A card asked while the invoice index is first built waits a few seconds at most, then its Money section
    says in words that the index is being built; the build goes on, and the next card has Money."""
    sandbox, services = bot.sandbox, bot.services
    await services.asana.refresh_index()
    services.accounting.first_build_wait = 0.05  # the build below takes longer than that
    sandbox.quickbooks.faults.latency = 0.3
    _, _, url = await bot.command("Globex")
    [card] = await bot.delivered(url)
    assert "QuickBooks is still building its invoice index" in block_texts(card)
    await services.accounting.sync_index()  # the build the card started, still running: joined, not repeated
    counts = [q for q, _ in queries(sandbox.quickbooks) if q == "SELECT COUNT(*) FROM Invoice"]
    assert len(counts) == 1
    services.status.forget()
    _, _, url = await bot.command("Globex")
    [card] = await bot.delivered(url)
    assert "Invoiced" in block_texts(card) and "still building" not in block_texts(card)


async def test_background_work_waits_a_first_build_out(qbo: QuickBooksEmulator, store: Store) -> None:
    """The daily round, unlike a card, waits for the first build however long it takes."""
    connector = connect(qbo, store, first_build_wait=0.01)
    qbo.faults.latency = 0.1
    try:
        with background():
            money = await connector.money_many([GLOBEX.deal_id], today=TODAY)
    finally:
        connector.close()
    assert money[GLOBEX.deal_id] is not None


async def test_asana_a_card_waits_only_so_long_a_project_maker_waits_it_out(serve: Callable, store: Store) -> None:
    """Asana's project index the same way: a card's delivery says the index is being built, while making a
    project on close (patient) waits for the scan, so it never makes a second project for want of an index."""
    emu = await serve(AsanaEmulator(DEMO_ACCOUNTS, today=TODAY))
    env = emu.env()
    emu.faults.latency = 0.2
    connector = AsanaConnector(
        env["ASANA_ACCESS_TOKEN"], env["ASANA_WORKSPACE_GID"], store, env["ASANA_BASE_URL"], first_build_wait=0.05
    )
    try:
        with pytest.raises(IndexBuilding, match="is still building its project index"):
            await connector.delivery(GLOBEX.deal_id, today=TODAY)
        found = await connector.find_project(GLOBEX.deal_id, patient=True)
    finally:
        connector.close()
    assert found is not None and found.project_name == "Globex CDP implementation"
    assert sum(1 for c in emu.calls if c.path.endswith("/projects") and "offset" not in c.query) == 1
