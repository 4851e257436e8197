"""The emulators stamp what happens now with the real time, whatever the hour: the demo book is dated
relative to its day (HubSpot's at 15:00 UTC, NetSuite's and QuickBooks' at noon), but a ticket opened or
a payment made during a run is stamped when it happens, as the real services do. Before, a ticket opened
after 15:00 UTC was dated before a subscription made a minute earlier, and its alert went nowhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sandbox.book import DEMO_ACCOUNTS
from sandbox.hubspot import HubSpotEmulator
from sandbox.netsuite import NetSuiteEmulator
from sandbox.quickbooks import QuickBooksEmulator

ACME = "18340012001"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_ticket_opened_now_is_stamped_now_not_at_the_books_hour() -> None:
    hub = HubSpotEmulator(DEMO_ACCOUNTS, today=date.today())
    hub.crm.now = datetime.now(UTC) - timedelta(hours=3)  # the book's hour already past, as after 15:00 UTC
    before = datetime.now(UTC) - timedelta(seconds=1)
    ticket = hub.crm.get("tickets", hub.add_ticket(ACME, "Drivers can't log in"))
    assert ticket is not None and _parse(ticket.properties["createdate"]) >= before
    older = hub.crm.get("tickets", hub.add_ticket(ACME, "Last week", days_ago=7))
    assert older is not None  # history stays dated from the book's day
    assert abs(_parse(older.properties["createdate"]) - (hub.crm.now - timedelta(days=7))) < timedelta(milliseconds=1)


def test_netsuite_and_quickbooks_keep_the_real_time_on_the_real_day() -> None:
    for emulator in (NetSuiteEmulator(DEMO_ACCOUNTS, today=date.today()), QuickBooksEmulator(DEMO_ACCOUNTS)):
        assert abs(emulator.now() - datetime.now(UTC)) < timedelta(seconds=5)
    other_day = NetSuiteEmulator(DEMO_ACCOUNTS, today=date(2026, 11, 25))
    assert other_day.now().astimezone(UTC).replace(microsecond=0, second=0) == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
