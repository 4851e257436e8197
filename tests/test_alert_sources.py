"""Alert sources: HubSpot tickets and QuickBooks payments, real connectors against the emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.store import Store
from connectors.errors import NotFoundError
from connectors.hubspot import HubSpotConnector
from connectors.quickbooks import QuickBooksConnector
from connectors.runtime import Policy
from connectors.types import PaymentApplication
from sandbox.book import DEMO_ACCOUNTS, PORTAL_ID
from sandbox.hubspot import HubSpotEmulator
from sandbox.quickbooks import QuickBooksEmulator
from tests.conftest import TODAY

ACME, UMBRELLA = "18340012001", "18340012004"
BOOK_NOW = datetime.combine(TODAY, time(15), UTC)  # the HubSpot emulator's "now"
FAST = Policy(timeout=5.0, retries=2, backoff=0.01, max_retry_after=0.05)
D = Decimal
DEAL = {a.key: a.deal_id for a in DEMO_ACCOUNTS}


# -- HubSpot --------------------------------------------------------------------------------


@pytest.fixture
def connect_hs(
    hub: HubSpotEmulator, hubspot_connectors: Callable[..., HubSpotConnector]
) -> Callable[..., HubSpotConnector]:
    """Build HubSpot connectors pointed at the emulator (closed at teardown)."""

    def _connect(**kwargs: Any) -> HubSpotConnector:
        kwargs.setdefault("policy", FAST)
        return hubspot_connectors(hub, **kwargs)

    return _connect


async def test_ticket_open(hub: HubSpotEmulator, connect_hs: Callable[..., HubSpotConnector]) -> None:
    """An open ticket: subject, priority, stage label, creation time, URL and its deal."""
    tid = hub.add_ticket(ACME, "Site down", priority="urgent", stage="2", days_ago=1.5)
    info = await connect_hs().ticket(tid)
    assert info.is_open and info.deal_ids == (ACME,)
    e = info.escalation
    assert (e.id, e.subject, e.priority, e.stage_label) == (tid, "Site down", "URGENT", "Waiting on us")
    assert e.created_at == BOOK_NOW - timedelta(days=1.5)
    assert e.url == f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-5/{tid}"


async def test_ticket_state_comes_from_metadata_not_label(
    hub: HubSpotEmulator, connect_hs: Callable[..., HubSpotConnector]
) -> None:
    """'Closed – awaiting client sign-off' is OPEN in metadata; 'Resolved' and 'Closed' are CLOSED."""
    hs = connect_hs()
    signoff = hub.add_ticket(ACME, "Sign-off pending", stage="3")
    resolved = hub.add_ticket(ACME, "Fixed", stage="5")
    closed = hub.add_ticket(ACME, "Done", stage="4")
    info = await hs.ticket(signoff)
    assert info.escalation.stage_label.startswith("Closed") and info.is_open
    assert [(await hs.ticket(t)).is_open for t in (resolved, closed)] == [False, False]
    hub.set_ticket_stage(resolved, "1")  # reopened
    assert (await hs.ticket(resolved)).is_open


async def test_ticket_deals_and_unknown(hub: HubSpotEmulator, connect_hs: Callable[..., HubSpotConnector]) -> None:
    """Every associated deal is listed; a ticket without deals has none; unknown ids are NotFoundError."""
    hs = connect_hs()
    tid = hub.add_ticket(ACME, "Shared issue")
    hub.crm.link("tickets", tid, "deals", UMBRELLA)
    orphan = hub.crm.add("tickets", {"subject": "No deal", "hs_pipeline": "0", "hs_pipeline_stage": "1"}).id
    assert set((await hs.ticket(tid)).deal_ids) == {ACME, UMBRELLA}
    assert (await hs.ticket(orphan)).deal_ids == ()
    with pytest.raises(NotFoundError):
        await hs.ticket("999999999")
    with pytest.raises(NotFoundError):
        await hs.ticket("not-an-id")


async def test_tickets_since_newer_only_ascending_across_pages(
    hub: HubSpotEmulator, connect_hs: Callable[..., HubSpotConnector]
) -> None:
    """Strictly newer than `since`, oldest first, through several search pages, one association read."""
    since = BOOK_NOW - timedelta(hours=12)
    hub.add_ticket(ACME, "Before", days_ago=0.75)
    hub.add_ticket(ACME, "Exactly at since", days_ago=0.5)  # GT: left out
    third = hub.add_ticket(UMBRELLA, "Third", days_ago=0.1)
    first = hub.add_ticket(ACME, "First", days_ago=0.4)
    second = hub.add_ticket(UMBRELLA, "Second", stage="4", days_ago=0.25)
    hub.crm.link("tickets", third, "deals", ACME)
    hs = connect_hs(search_page_size=1)
    hub.reset_calls()
    found = await hs.tickets_since(since)
    assert [t.escalation.id for t in found] == [first, second, third]
    assert [t.is_open for t in found] == [True, False, True]
    assert [set(t.deal_ids) for t in found] == [{ACME}, {UMBRELLA}, {ACME, UMBRELLA}]
    assert hub.count("/crm/v3/objects/tickets/search") == 3  # one per page
    assert hub.count("/crm/v4/associations/tickets/deals/batch/read") == 1
    assert max(t.escalation.created_at for t in found) == BOOK_NOW - timedelta(days=0.1)
    assert await hs.tickets_since(found[-1].escalation.created_at) == []


async def test_tickets_since_limit_keeps_a_createdate_whole(
    hub: HubSpotEmulator, connect_hs: Callable[..., HubSpotConnector]
) -> None:
    """A limit falling inside tickets of one createdate stops before them, so a watermark skips none."""
    since = BOOK_NOW - timedelta(hours=12)
    first = hub.add_ticket(ACME, "First", days_ago=0.4)
    twin_a = hub.add_ticket(ACME, "Twin A", days_ago=0.3)
    twin_b = hub.add_ticket(ACME, "Twin B", days_ago=0.3)
    hs = connect_hs(search_page_size=2)
    assert [t.escalation.id for t in await hs.tickets_since(since, limit=2)] == [first]
    assert [t.escalation.id for t in await hs.tickets_since(since, limit=3)] == [first, twin_a, twin_b]
    assert [t.escalation.id for t in await hs.tickets_since(since, limit=1)] == [first]
    assert await hs.tickets_since(since, limit=0) == []


# -- QuickBooks -----------------------------------------------------------------------------


@pytest.fixture
async def qbo(serve: Callable) -> QuickBooksEmulator:
    """The QBO emulator with the demo book and filler invoices, on loopback."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def qb(qbo: QuickBooksEmulator, store: Store) -> AsyncIterator[QuickBooksConnector]:
    """A QuickBooks connector configured from the emulator's env."""
    env = qbo.env()
    connector = QuickBooksConnector(
        env["QBO_CLIENT_ID"],
        env["QBO_CLIENT_SECRET"],
        env["QBO_REALM_ID"],
        env["QBO_REFRESH_TOKEN"],
        store,
        base_url=env["QBO_BASE_URL"],
        token_url=env["QBO_TOKEN_URL"],
        policy=FAST,
    )
    yield connector
    connector.close()


async def test_payment_applications_split_payment(qbo: QuickBooksEmulator, qb: QuickBooksConnector) -> None:
    """A payment over two invoices of a deal and one without a deal field: two applications."""
    late = qbo.add_invoice(
        "Stark Industries (Manufacturing)", DEAL["stark"], "4000.00", days_ago=40, terms_days=30, doc="A-LATE"
    )
    early = qbo.add_invoice(
        "Stark Industries (Manufacturing)", DEAL["stark"], "2500.00", days_ago=5, terms_days=30, doc="A-EARLY"
    )
    other = qbo.add_invoice("Someone Else Ltd", None, "300.00", days_ago=3)
    pid = qbo.add_payment(late, "1000.00", TODAY, also=[(early, "2500.00"), (other, "50.00")])
    apps = await qb.payment_applications(pid)
    assert all(a.recorded_at is not None and a.recorded_at.date() == TODAY for a in apps)  # MetaData.CreateTime
    apps = [replace(a, recorded_at=None) for a in apps]
    assert apps == [
        PaymentApplication(
            payment_id=pid,
            deal_id=DEAL["stark"],
            invoice_id=late,
            doc_number="A-LATE",
            amount=D("1000.00"),
            invoice_total=D("4000.00"),
            balance=D("3000.00"),
            due_on=TODAY - timedelta(days=10),
            paid_on=TODAY,
            currency="USD",
            customer_name="Stark Industries (Manufacturing)",
        ),
        PaymentApplication(
            payment_id=pid,
            deal_id=DEAL["stark"],
            invoice_id=early,
            doc_number="A-EARLY",
            amount=D("2500.00"),
            invoice_total=D("2500.00"),
            balance=D("0.00"),
            due_on=TODAY + timedelta(days=25),
            paid_on=TODAY,
            currency="USD",
            customer_name="Stark Industries (Manufacturing)",
        ),
    ]
    assert [a.paid_on > a.due_on for a in apps if a.due_on] == [True, False]  # late, early
    assert (
        qbo.count("/query") >= 2
        and sum("FROM Invoice" in str(c.query) + str(c.body) for c in qbo.calls if "/query" in c.path) == 1
    )


async def test_payment_applications_deleted_or_unknown(qbo: QuickBooksEmulator, qb: QuickBooksConnector) -> None:
    """A deleted or unknown payment has no applications; the invoice owes the amount again."""
    invoice = qbo.add_invoice("Hooli", DEAL["hooli"], "800.00", days_ago=2)
    pid = qbo.add_payment(invoice, "800.00", TODAY)
    assert [a.balance for a in await qb.payment_applications(pid)] == [D("0.00")]
    qbo.delete_payment(pid)
    assert await qb.payment_applications(pid) == []
    assert await qb.payment_applications("987654") == []
    assert qbo.invoices[invoice]["Balance"] == D("800.00")


async def test_changed_payments_first_call_then_new_then_deleted(
    qbo: QuickBooksEmulator, qb: QuickBooksConnector
) -> None:
    """First call: a cursor and no ids (history is not news); then only newer payments; deletions never."""
    invoice = qbo.add_invoice("Hooli", DEAL["hooli"], "900.00", days_ago=2)
    before = qbo.add_payment(invoice, "100.00", TODAY)
    qbo.clock_offset += timedelta(minutes=10)  # beyond the overlap: `before` is history now
    ids, cursor = await qb.changed_payments(None)
    assert ids == [] and datetime.fromisoformat(cursor)
    qbo.clock_offset += timedelta(minutes=10)
    new = qbo.add_payment(invoice, "200.00", TODAY)
    qbo.clock_offset += timedelta(minutes=10)  # and `new` will be history for the third call
    ids, cursor2 = await qb.changed_payments(cursor)
    assert ids == [new] and before not in ids
    assert datetime.fromisoformat(cursor2) > datetime.fromisoformat(cursor)
    gone = qbo.add_payment(invoice, "300.00", TODAY)
    qbo.delete_payment(gone)
    ids, cursor3 = await qb.changed_payments(cursor2)
    assert ids == []
    assert datetime.fromisoformat(cursor3) > datetime.fromisoformat(cursor2)


async def test_changed_payments_overlap_and_stale_cursor(qbo: QuickBooksEmulator, qb: QuickBooksConnector) -> None:
    """A payment just before the cursor comes again (overlap); a cursor past CDC's 30 days is clamped."""
    invoice = qbo.add_invoice("Hooli", DEAL["hooli"], "900.00", days_ago=2)
    pid = qbo.add_payment(invoice, "100.00", TODAY)
    qbo.clock_offset += timedelta(seconds=30)  # within the 120 s overlap before the cursor
    _, cursor = await qb.changed_payments(None)
    assert (await qb.changed_payments(cursor))[0] == [pid]
    assert (await qb.changed_payments(cursor))[0] == [pid]  # same window again: reported again
    qbo.reset_calls()
    ids, fresh = await qb.changed_payments("2026-09-01T00:00:00-08:00")
    assert [c.status for c in qbo.calls if "/cdc" in c.path] == [400, 200]
    recent = {pid for pid, p in qbo.payments.items() if date.fromisoformat(p["TxnDate"]) > TODAY - timedelta(days=28)}
    assert recent and recent <= set(ids) and fresh > "2026-11"
