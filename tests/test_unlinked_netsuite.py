"""/account unlinked with ACCOUNTING=netsuite end to end: signed requests to the bot, the real NetSuite
connector against the NetSuite emulator (TBA verified, the SuiteQL subset, the record API's PATCH)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from blocks.messages import REFUSAL
from blocks.unlinked import parse_link_value
from bot.models.unlinked import LinkAction
from sandbox.book import BOOK_BY_DEAL
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.netsuite import NetSuiteEmulator
from sandbox.slack import GUEST_ID
from tests.test_unlinked import GLOBEX, MAYA, VANDELAY, button_for, buttons, card, click, items, unlinked


@pytest.fixture
async def nsbot(tmp_path) -> AsyncIterator[Bot]:
    """accountbot with ACCOUNTING=netsuite on a fresh sandbox (the demo book's money in NetSuite)."""
    running = await start_bot(tmp_path, accounting="netsuite")
    yield running
    await stop_bot(running)


def emulator(bot: Bot) -> NetSuiteEmulator:
    assert bot.sandbox.netsuite is not None
    return bot.sandbox.netsuite


def patches(ns: NetSuiteEmulator) -> list[str]:
    """Paths of the PATCH requests NetSuite accepted (204)."""
    return [c.path for c in ns.calls if c.method == "PATCH" and c.status == 204]


async def test_netsuite_invoices_without_the_deal_field_are_listed_by_customer_with_the_candidate_deal(
    nsbot: Bot,
) -> None:
    """Globex Corp's NetSuite invoices without the deal field get Globex's deal (its other invoices carry it)."""
    reply = await unlinked(nsbot)
    text = items(reply)
    globex = next(t for t in text if "invoices of Globex Corp carry no deal ID" in t)
    assert f"other invoices of Globex Corp carry deal {GLOBEX}" in globex
    assert "/app/accounting/transactions/custinvc.nl?id=" in globex  # the title opens the invoice in NetSuite
    assert any(f"No Asana project carries deal {VANDELAY}" in t for t in text)
    link = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    _, _, targets, _ = parse_link_value(link["value"])
    ns = emulator(nsbot)
    loose = {str(t.id) for t in ns.ledger.txns.values() if t.type == "CustInvc" and not t.custom.get(ns.deal_field)}
    assert targets and set(targets) <= loose
    assert all(ns.ledger.customers[ns.ledger.txns[int(t)].entity] == "Globex Corp" for t in targets)
    looked = block_texts(reply)
    assert "invoices since" in looked and "QuickBooks" not in looked
    assert ":warning:" not in looked  # no source failed: every query was one the emulator accepts


async def test_link_patches_netsuite_once_and_the_cards_money_grows(nsbot: Bot) -> None:
    """Link PATCHes the deal field once per invoice; the index and the card follow; a second click writes nothing."""
    ns = emulator(nsbot)
    before = await card(nsbot, GLOBEX)
    assert "$106,250.00" in before
    reply = await unlinked(nsbot)
    link = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    _, _, targets, _ = parse_link_value(link["value"])
    done = len(patches(ns))
    answer = await click(nsbot, link, reply)
    assert f"Linked {len(targets)} NetSuite invoices" in block_texts(answer)
    assert sorted(patches(ns)[done:]) == sorted(f"/services/rest/record/v1/invoice/{t}" for t in targets)
    assert all(ns.ledger.txns[int(t)].custom[ns.deal_field] == GLOBEX for t in targets)
    company = nsbot.services.accounting.company
    assert set(targets) <= set(await nsbot.services.store.invoices_for(company, GLOBEX))  # the index is updated
    assert "$106,250.00" not in await card(nsbot, GLOBEX)  # the card counts the linked invoices now
    after = await unlinked(nsbot)
    assert not any("invoices of Globex Corp carry no deal ID" in t for t in items(after))
    assert f"<@{MAYA}> linked {len(targets)} NetSuite invoices of Globex Corp to deal {GLOBEX}" in block_texts(after)
    again = await click(nsbot, link, reply)
    assert "already linked" in block_texts(again)
    assert len(patches(ns)) == done + len(targets)


async def test_a_typo_on_a_netsuite_invoice_is_corrected_to_the_deal_one_digit_away(nsbot: Bot) -> None:
    """A NetSuite invoice carrying 18340012092 (not a deal): Link PATCHes Globex's 18340012002 instead."""
    ns = emulator(nsbot)
    typo = "18340012092"
    invoice_id = ns.find_invoice(BOOK_BY_DEAL[GLOBEX].invoices[0].doc)
    ns.set_deal(invoice_id, typo)
    reply = await unlinked(nsbot)
    first = items(reply)[0]
    assert f"Deal ID {typo} is not a HubSpot deal" in first and "1 NetSuite invoice" in first
    fix = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    assert parse_link_value(fix["value"])[2] == (invoice_id,)
    await click(nsbot, fix, reply)
    assert ns.ledger.txns[int(invoice_id)].custom[ns.deal_field] == GLOBEX
    assert patches(ns) == [f"/services/rest/record/v1/invoice/{invoice_id}"]
    assert f"Deal ID {typo}" not in block_texts(await unlinked(nsbot))
    assert "$106,250.00" in await card(nsbot, GLOBEX)


async def test_a_guest_cannot_link_netsuite_invoices(nsbot: Bot) -> None:
    """A guest's click on a Link button gets the refusal and NetSuite sees no PATCH."""
    member = await unlinked(nsbot)
    link = button_for(member, LinkAction.LINK_INVOICES, GLOBEX)
    answer = await click(nsbot, link, member, user_id=GUEST_ID)
    assert answer["text"] == REFUSAL
    assert patches(emulator(nsbot)) == []
    assert buttons(member)


async def test_doctor_says_when_no_netsuite_invoice_carries_the_deal_field(nsbot: Bot) -> None:
    """No invoice carries custbody_hubspot_deal_id: doctor says so, naming NETSUITE_DEAL_FIELD."""
    ns = emulator(nsbot)
    for txn in list(ns.ledger.txns.values()):
        if txn.type == "CustInvc" and txn.custom.get(ns.deal_field):
            ns.set_deal(str(txn.id), None)
    _, _, url = await nsbot.command("doctor")
    [report] = await nsbot.delivered(url)
    text = block_texts(report).replace("&#39;", "'")
    assert "NetSuite: no invoice carries the field 'custbody_hubspot_deal_id'" in text
    assert "NETSUITE_DEAL_FIELD" in text


async def test_help_and_the_home_loading_line_name_netsuite(nsbot: Bot) -> None:
    """With ACCOUNTING=netsuite, `/account help` and App Home's loading line say NetSuite, not QuickBooks."""
    _, _, url = await nsbot.command("help")
    [reply] = await nsbot.delivered(url)
    assert "check the connections to HubSpot, Asana and NetSuite" in block_texts(reply)
    assert "QuickBooks" not in block_texts(reply)
    shown: list[dict] = []

    async def publish(view: dict) -> None:
        shown.append(view)

    await nsbot.services.home.show(MAYA, publish, first=True)  # a first load shows the loading line
    assert "accounts from HubSpot, Asana and NetSuite…" in json.dumps(shown[0], ensure_ascii=False)
    assert "QuickBooks" not in json.dumps(shown, ensure_ascii=False)


async def test_healthz_says_it_from_the_index_once_a_scan_found_no_linked_invoice(nsbot: Bot) -> None:
    """/healthz asks NetSuite nothing: after a scan that found no linked invoice, the index says it."""
    ns = emulator(nsbot)

    async def field_problems() -> list[str]:
        async with nsbot.http.get(f"{nsbot.url}/healthz") as resp:
            return [p for p in (await resp.json())["problems"] if "no invoice carries" in p]

    assert await field_problems() == []  # no scan yet: nothing known
    for txn in list(ns.ledger.txns.values()):
        if txn.type == "CustInvc" and txn.custom.get(ns.deal_field):
            ns.set_deal(str(txn.id), None)
    await nsbot.services.accounting.sync_index()
    queries = sum(1 for c in ns.calls if c.path.endswith("/suiteql"))
    [problem] = await field_problems()
    assert "NetSuite: no invoice carries the field 'custbody_hubspot_deal_id'" in problem
    assert "the last scan found no invoice" in problem
    assert sum(1 for c in ns.calls if c.path.endswith("/suiteql")) == queries
