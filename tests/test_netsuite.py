"""The NetSuite connector (authlib-signed aiohttp client) against the NetSuite emulator, over HTTP."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import AuthError, ConfigError, ConnectorError, NotFoundError, RateLimitedError, UnavailableError
from connectors.netsuite import NetSuiteClient, NetSuiteConnector, NetSuiteError, Policy, UnlinkedInvoice
from connectors.netsuite.auth import default_base_url, host_label, realm
from connectors.types import PaymentInfo
from sandbox.book import BOOK_BY_DEAL, DEMO_ACCOUNTS
from sandbox.netsuite import NetSuiteEmulator
from tests.conftest import TODAY
from tests.test_netsuite_emulator import no_netsuite_env  # noqa: F401  (autouse fixture)

D = Decimal
FAST = Policy(timeout=5.0, deadline=20.0, rate_retries=6, server_retries=2, backoff=0.01, max_backoff=0.05)
DEAL = {a.key: a.deal_id for a in DEMO_ACCOUNTS}


@pytest.fixture
async def ns(serve: Callable) -> NetSuiteEmulator:
    """The NetSuite emulator with the demo book and 1100 filler invoices, on loopback."""
    return await serve(NetSuiteEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def connect(ns: NetSuiteEmulator) -> AsyncIterator[Callable[..., NetSuiteConnector]]:
    """Build connectors from the emulator's env (overrides win); closed after the test."""
    made: list[NetSuiteConnector] = []

    def make(*, connector: dict[str, Any] | None = None, **overrides: Any) -> NetSuiteConnector:
        env = ns.env()
        kwargs: dict[str, Any] = dict(
            account_id=env["NETSUITE_ACCOUNT_ID"],
            consumer_key=env["NETSUITE_CONSUMER_KEY"],
            consumer_secret=env["NETSUITE_CONSUMER_SECRET"],
            token_id=env["NETSUITE_TOKEN_ID"],
            token_secret=env["NETSUITE_TOKEN_SECRET"],
            base_url=env["NETSUITE_BASE_URL"],
            concurrency=int(env["NETSUITE_CONCURRENCY"]),
            policy=FAST,
        )
        kwargs.update(overrides)
        made.append(NetSuiteConnector(NetSuiteClient(**kwargs), **(connector or {})))
        return made[-1]

    yield make
    for connector in made:
        await connector.close()


def book_money(key: str) -> tuple[Decimal, Decimal]:
    """(invoiced, paid) for a demo account, from the book itself."""
    invoices = BOOK_BY_DEAL[DEAL[key]].invoices
    return (
        sum((inv.total for inv in invoices), D("0")),
        sum((amount for inv in invoices for _, amount in inv.payments), D("0")),
    )


def suiteql_pages(ns: NetSuiteEmulator) -> int:
    """SuiteQL requests the emulator answered with 200."""
    return sum(1 for c in ns.calls if c.path.endswith("/suiteql") and c.status == 200)


# -- money ----------------------------------------------------------------------------------


async def test_money_for_the_demo_states(connect: Callable) -> None:
    """Overdue, partly paid, paid in full, euros, no invoices: exact to the cent, like the book."""
    c = connect()
    stark = await c.money(DEAL["stark"], today=TODAY)
    assert stark is not None and (stark.invoiced, stark.paid) == book_money("stark")
    assert (stark.outstanding, stark.overdue, stark.overdue_count) == (D("24687.50"), D("24687.50"), 1)
    assert stark.oldest_overdue_due == TODAY - timedelta(days=64 - 30)
    assert stark.customer_name == "Stark Industries (Manufacturing)" and stark.invoice_count == 2
    assert stark.url and "/app/common/entity/custjob.nl?id=" in stark.url
    wayne = await c.money(DEAL["wayne"], today=TODAY)
    assert wayne is not None and (wayne.invoiced, wayne.paid, wayne.outstanding) == (
        D("42400.50"),
        D("30000.00"),
        D("12400.50"),
    )
    assert wayne.last_payment is not None and (wayne.last_payment.on, wayne.last_payment.amount) == (
        TODAY - timedelta(days=18),
        D("10000.00"),
    )
    assert wayne.url and wayne.url.endswith(f"/app/accounting/transactions/custinvc.nl?id={wayne.invoice_ids[0]}")
    hooli = await c.money(DEAL["hooli"], today=TODAY)
    assert hooli is not None and (hooli.outstanding, hooli.overdue, hooli.paid) == (D("0.00"), D("0.00"), D("56000.00"))
    oscorp = await c.money(DEAL["oscorp"], today=TODAY)
    assert oscorp is not None and (oscorp.currency, oscorp.invoiced) == ("EUR", D("31250.00"))
    assert await c.money(DEAL["piedpiper"], today=TODAY) is None
    cyberdyne = await c.money(DEAL["cyberdyne"], today=TODAY)
    assert cyberdyne is not None and (cyberdyne.invoiced, cyberdyne.paid) == book_money("cyberdyne")
    assert cyberdyne.invoice_count == 13


async def test_money_pages_past_1000_invoices_of_one_deal(ns: NetSuiteEmulator, connect: Callable) -> None:
    """A deal with 1200 invoices (1230 lines in the account's 2330): every page counted, links in IN chunks."""
    for n in range(1200):
        ns.add_invoice("Stark Industries (Manufacturing)", DEAL["stark"], "10.01", days_ago=5, doc=f"S{n:04d}")
    paid = ns.add_payment(ns.find_invoice("S1199"), "10.01")
    ns.reset_calls()
    money = await connect().money(DEAL["stark"], today=TODAY)
    assert money is not None and money.invoice_count == 1202
    assert money.invoiced == D("54312.50") + 1200 * D("10.01")
    assert money.paid == D("29625.00") + D("10.01")
    assert money.last_payment == PaymentInfo(id=paid, on=TODAY, amount=D("10.01"))
    assert suiteql_pages(ns) >= 2 + 3 + 1  # 2 pages of invoices, 3 IN chunks of links, currencies


async def test_amounts_are_exact_despite_float_noise(ns: NetSuiteEmulator, connect: Callable) -> None:
    """SuiteQL writes 10136.97 as 10136.970000000001 (or ...69999): the totals are still to the cent."""
    deal = "18399990001"
    for amount in ("10136.97", "0.10", "0.20", "1234567.89"):
        ns.add_invoice("Noise Ltd", deal, amount)
    money = await connect().money(deal, today=TODAY)
    assert money is not None and money.invoiced == D("1244705.16") == money.outstanding
    assert money.invoiced.as_tuple().exponent == -2


async def test_money_many_in_a_few_queries(ns: NetSuiteEmulator, connect: Callable) -> None:
    """Every demo deal (and an unknown one) in one call, equal to money() one by one."""
    c = connect()
    deals = [a.deal_id for a in DEMO_ACCOUNTS] + ["99999999999"]
    ns.reset_calls()
    many = await c.money_many(deals, today=TODAY)
    assert suiteql_pages(ns) <= 3 and set(many) == set(deals) and many["99999999999"] is None
    for deal in deals[:6]:
        assert many[deal] == await c.money(deal, today=TODAY)


async def test_mixed_currencies_total_the_dominant_one(ns: NetSuiteEmulator, connect: Callable) -> None:
    """A euro invoice on a dollar deal is left out of the totals and flagged."""
    ns.add_invoice("Stark Industries (Manufacturing)", DEAL["stark"], "999.00", currency="EUR")
    money = await connect().money(DEAL["stark"], today=TODAY)
    assert money is not None and (money.currency, money.invoiced, money.mixed_currencies) == (
        "USD",
        D("54312.50"),
        True,
    )


async def test_linked_invoice_count(connect: Callable) -> None:
    """How many invoices carry a deal ID (COUNT(*) on the custom field)."""
    assert await connect().linked_invoice_count() == sum(len(a.invoices) for a in DEMO_ACCOUNTS)


# -- errors, retries, concurrency ------------------------------------------------------------


async def test_bad_consumer_secret_says_what_to_fix(ns: NetSuiteEmulator, connect: Callable) -> None:
    """401 INVALID_LOGIN: an AuthError naming the variables, the role and the account id rule."""
    c = connect(consumer_secret="wrong")
    with pytest.raises(AuthError) as caught:
        await c.money(DEAL["stark"], today=TODAY)
    for words in ("NETSUITE_TOKEN_ID", "NETSUITE_CONSUMER_SECRET", "role's permissions", "NETSUITE_ACCOUNT_ID", "_SB1"):
        assert words in caught.value.message
    assert ns.login_audit == ["signature mismatch"]  # refused once: a 401 is not retried
    assert c.health()["available"] is False and "INVALID_LOGIN" in str(c.health()["last_error"])


@pytest.mark.parametrize("account_id", ["1234567_sb1", "1234567-sb1", "1234567-SB1"])
async def test_account_id_in_any_case_signs_the_uppercase_realm(connect: Callable, account_id: str) -> None:
    """The client derives the realm (uppercase, `_`): however the account id is written, login works."""
    assert realm(account_id) == "1234567_SB1" and host_label(account_id) == "1234567-sb1"
    money = await connect(account_id=account_id).money(DEAL["wayne"], today=TODAY)
    assert money is not None


async def test_another_account_id_is_refused(connect: Callable) -> None:
    """A wrong NETSUITE_ACCOUNT_ID shows up as INVALID_LOGIN (the realm names another account)."""
    with pytest.raises(AuthError, match="NETSUITE_ACCOUNT_ID"):
        await connect(account_id="1234567").money(DEAL["wayne"], today=TODAY)


def test_configuration_is_checked_without_network() -> None:
    """Missing credentials, a bad account id, a bad deal field: ConfigError; the default host from the id."""
    with pytest.raises(ConfigError, match="NETSUITE_CONSUMER_KEY, NETSUITE_TOKEN_SECRET"):
        NetSuiteConnector.from_env(
            {"NETSUITE_ACCOUNT_ID": "1234567_SB1", "NETSUITE_CONSUMER_SECRET": "s", "NETSUITE_TOKEN_ID": "t"}
        )
    with pytest.raises(ConfigError, match="NETSUITE_ACCOUNT_ID"):
        NetSuiteClient("1234567.sb1", "k", "s", "t", "ts")
    client = NetSuiteClient("1234567_SB1", "k", "s", "t", "ts")
    assert client.base_url == default_base_url("1234567_SB1") == "https://1234567-sb1.suitetalk.api.netsuite.com"
    with pytest.raises(ConfigError, match="NETSUITE_DEAL_FIELD"):
        NetSuiteConnector(client, deal_field="deal id; DROP")
    env = {
        "NETSUITE_ACCOUNT_ID": "1234567_SB1",
        "NETSUITE_CONSUMER_KEY": "k",
        "NETSUITE_CONSUMER_SECRET": "s",
        "NETSUITE_TOKEN_ID": "t",
        "NETSUITE_TOKEN_SECRET": "ts",
        "NETSUITE_CONCURRENCY": "3",
    }
    built = NetSuiteConnector.from_env(env)
    assert (built.client.concurrency, built.deal_field, built.client.base_url) == (
        3,
        "custbody_hubspot_deal_id",
        "https://1234567-sb1.suitetalk.api.netsuite.com",
    )


async def test_unknown_deal_field_names_the_variable(connect: Callable) -> None:
    """A NETSUITE_DEAL_FIELD the account lacks: ConfigError naming it (NetSuite: Field ... was not found)."""
    with pytest.raises(ConfigError, match="custbody_deal_typo"):
        await connect(connector={"deal_field": "custbody_deal_typo"}).money(DEAL["stark"], today=TODAY)


async def test_missing_permissions_say_which(ns: NetSuiteEmulator, connect: Callable) -> None:
    """No Find Transaction: SuiteQL's "Record 'transaction' was not found" becomes an AuthError naming it;
    no Invoice permission on the record API: 403 as an AuthError."""
    c = connect()
    ns.permissions.discard("Find Transaction")
    with pytest.raises(AuthError, match="Find Transaction"):
        await c.money(DEAL["stark"], today=TODAY)
    ns.permissions.discard("Invoice")
    with pytest.raises(AuthError, match="Invoice"):
        await c.client.get_invoice(ns.find_invoice("1004"))


async def test_query_outside_the_subset_is_a_connector_error(connect: Callable) -> None:
    """400 INVALID_PARAMETER: a NetSuiteError (a ConnectorError) with NetSuite's detail, not retried."""
    c = connect()
    with pytest.raises(NetSuiteError) as caught:
        await c.client.suiteql("SELECT t.id FROM transaction t WHERE t.id = 1 OR t.id = 2")
    assert isinstance(caught.value, ConnectorError) and caught.value.code == "INVALID_PARAMETER"
    assert "Search error occurred" in caught.value.detail and c.client.retries == 0
    assert c.health()["available"] is True  # NetSuite answered: the query was wrong, not the service


async def test_429s_are_retried_and_the_result_is_complete(ns: NetSuiteEmulator, connect: Callable) -> None:
    """Injected 429s on SuiteQL: backed off, retried with fresh signatures, nothing lost."""
    c = connect()
    expected = await c.money(DEAL["cyberdyne"], today=TODAY)
    ns.inject(429, count=4, path_contains="/suiteql")
    assert await c.money(DEAL["cyberdyne"], today=TODAY) == expected
    assert c.client.retries == 4 and not ns.login_audit  # every retry signed anew: no replayed nonce
    ns.inject(429, count=FAST.rate_retries + 1, path_contains="/suiteql")
    with pytest.raises(RateLimitedError):
        await c.money(DEAL["stark"], today=TODAY)


async def test_server_errors_are_retried_a_couple_of_times(ns: NetSuiteEmulator, connect: Callable) -> None:
    """5xx: retried twice, then UnavailableError; a hung NetSuite hits the deadline."""
    c = connect()
    ns.inject(503, count=2)
    assert await c.money(DEAL["hooli"], today=TODAY) is not None
    ns.inject(503, count=3)
    with pytest.raises(UnavailableError):
        await c.money(DEAL["hooli"], today=TODAY)
    hung = connect(policy=Policy(timeout=0.2, deadline=1.0, server_retries=1, backoff=0.01))
    ns.faults.hang = True
    with pytest.raises(UnavailableError, match="no answer"):
        await hung.money(DEAL["hooli"], today=TODAY)
    ns.faults.hang = False
    assert hung.health()["available"] is False


async def test_concurrency_never_exceeds_the_limit(ns: NetSuiteEmulator, connect: Callable) -> None:
    """Many concurrent calls and pages: never more than `concurrency` requests in flight, no 429."""
    c = connect()
    ns.faults.latency = 0.02
    since = TODAY - timedelta(days=400)
    results = await asyncio.gather(
        c.money_many([a.deal_id for a in DEMO_ACCOUNTS], today=TODAY),
        c.invoices_without_deal(since),
        c.invoices_without_deal(since),
        *(c.money(a.deal_id, today=TODAY) for a in DEMO_ACCOUNTS),
    )
    assert len(results[1]) == 1100 and ns.max_inflight <= 5 < c.client.calls
    assert not any(call.status == 429 for call in ns.calls) and c.health()["concurrency"] == 5


async def test_a_client_allowing_more_than_the_account_gets_429s_and_recovers(
    ns: NetSuiteEmulator, connect: Callable
) -> None:
    """Another integration's share of the limit: 429s come back, are retried, and the results complete."""
    c = connect(concurrency=10)
    ns.faults.latency = 0.2
    results = await asyncio.gather(*(c.money(a.deal_id, today=TODAY) for a in DEMO_ACCOUNTS))
    assert any(call.status == 429 for call in ns.calls) and c.client.retries > 0
    plain = connect()
    assert results == [await plain.money(a.deal_id, today=TODAY) for a in DEMO_ACCOUNTS]


# -- alert sources ----------------------------------------------------------------------------


async def test_payment_applications(ns: NetSuiteEmulator, connect: Callable) -> None:
    """One application per deal invoice a payment paid into; a filler invoice (no deal) is skipped."""
    stark = ns.find_invoice("1009")
    filler = next(
        str(t.id)
        for t in ns.ledger.txns.values()
        if t.type == "CustInvc" and not t.custom.get(ns.deal_field) and t.unpaid
    )
    pid = ns.add_payment(stark, "687.50", also=[(filler, "1.00")])
    apps = await connect().payment_applications(pid)
    assert [(a.deal_id, a.invoice_id, a.doc_number, a.amount, a.balance, a.paid_on, a.currency) for a in apps] == [
        (DEAL["stark"], stark, "1009", D("687.50"), D("24000.00"), TODAY, "USD")
    ]
    assert apps[0].invoice_total == D("24687.50") and apps[0].customer_name == "Stark Industries (Manufacturing)"
    assert await connect().payment_applications("99999999") == []
    assert await connect().payment_applications("1 OR 1=1") == []


async def test_poller_finds_a_late_visible_payment_exactly_once(ns: NetSuiteEmulator, connect: Callable) -> None:
    """A payment stamped 5 minutes before it becomes visible: the look-back finds it, the cursor's
    seen-set keeps the next poll from reporting it again; a first poll reports no history."""
    c = connect()
    ids, cursor = await c.changed_payments(None)
    assert ids == []
    on_time = ns.add_payment(ns.find_invoice("1009"), "100.00")
    late = ns.add_payment(ns.find_invoice("1006"), "400.00", late=timedelta(minutes=5))
    first, cursor = await c.changed_payments(cursor)
    assert first == [on_time]  # the late one is not visible yet
    ns.advance(60)
    assert ns.publish_late_payments() == [late]
    second, cursor = await c.changed_payments(cursor)
    third, cursor = await c.changed_payments(cursor)
    assert (second, third) == ([late], [])
    reported = first + second + third
    assert reported.count(late) == 1 and reported.count(on_time) == 1


async def test_without_look_back_the_late_payment_is_missed(ns: NetSuiteEmulator, connect: Callable) -> None:
    """The emulator really stamps it in the past: a poller without look-back never sees it."""
    c = connect(connector={"lookback": timedelta(0)})
    _, cursor = await c.changed_payments(None)
    ns.add_payment(ns.find_invoice("1009"), "100.00")
    late = ns.add_payment(ns.find_invoice("1006"), "400.00", late=timedelta(minutes=5))
    _, cursor = await c.changed_payments(cursor)
    ns.publish_late_payments()
    ids, _ = await c.changed_payments(cursor)
    assert late not in ids


@pytest.mark.parametrize("hours", [-8.0, 0.0, 5.5])
async def test_poller_does_not_depend_on_netsuites_time_zone(
    ns: NetSuiteEmulator, connect: Callable, hours: float
) -> None:
    """Cursors hold NetSuite's own stamps: whatever zone it writes them in, a new payment is reported."""
    ns.set_time_zone(hours)
    c = connect()
    _, cursor = await c.changed_payments(None)
    ns.advance(30)
    pid = ns.add_payment(ns.find_invoice("1009"), "1.00")
    assert (await c.changed_payments(cursor))[0] == [pid]


async def test_unreadable_cursor_starts_from_now(connect: Callable) -> None:
    """A cursor that is not ours (e.g. a QuickBooks timestamp) starts over and reports nothing."""
    ids, cursor = await connect().changed_payments("2026-11-25T10:00:00-08:00")
    assert ids == [] and cursor.startswith("{")


# -- link repair --------------------------------------------------------------------------------


async def test_invoices_without_deal_pages_and_types(connect: Callable) -> None:
    """Every filler invoice since a date (> 1000: two pages), typed."""
    unlinked = await connect().invoices_without_deal(TODAY - timedelta(days=400))
    assert len(unlinked) == 1100 and all(isinstance(u, UnlinkedInvoice) for u in unlinked)
    first = unlinked[0]
    assert first.currency == "USD" and first.txn_date is not None and first.total > 0 and first.customer_name
    recent = await connect().invoices_without_deal(TODAY - timedelta(days=30))
    assert 0 < len(recent) < 1100 and all(u.txn_date and u.txn_date >= TODAY - timedelta(days=30) for u in recent)


async def test_set_invoice_deal_id_patches_the_invoice(ns: NetSuiteEmulator, connect: Callable) -> None:
    """PATCH with only the deal field (204 + Location); the invoice joins the deal's money; None clears it."""
    c = connect()
    filler = ns.find_invoice("F0002")
    location = await c.client.patch_invoice(filler, {"custbody_hubspot_deal_id": DEAL["piedpiper"]})
    assert location.endswith(f"/services/rest/record/v1/invoice/{filler}")
    patch = next(call for call in ns.calls if call.method == "PATCH")
    assert (patch.status, patch.body) == (204, {"custbody_hubspot_deal_id": DEAL["piedpiper"]})
    money = await c.money(DEAL["piedpiper"], today=TODAY)
    assert money is not None and money.invoice_ids == (filler,)
    await c.set_invoice_deal_id(filler, None)
    assert await c.money(DEAL["piedpiper"], today=TODAY) is None
    record = await c.client.get_invoice(filler, expand=True)
    assert "custbody_hubspot_deal_id" not in record and record["item"]["items"]
    with pytest.raises(NotFoundError):
        await c.set_invoice_deal_id("99999999", DEAL["stark"])
    payment = next(str(t.id) for t in ns.ledger.txns.values() if t.type == "CustPymt")
    with pytest.raises(NotFoundError):
        await c.set_invoice_deal_id(payment, DEAL["stark"])


async def test_link_repair_reads_through_the_port(ns: NetSuiteEmulator, connect: Callable) -> None:
    """recent_invoices (every page, with or without a deal ID), a customer's invoices, the deal IDs carried."""
    c = connect()
    since = TODAY - timedelta(days=400)
    recent = await c.recent_invoices(since)
    invoices = [t for t in ns.ledger.txns.values() if t.type == "CustInvc" and t.trandate >= since]
    assert len(recent) == len(invoices) > 1000  # two pages
    assert [r.id for r in recent] == sorted((r.id for r in recent), key=int)
    loose = next(r for r in recent if r.deal_id is None)
    assert loose.currency == "USD" and loose.customer_name and loose.url and loose.url.endswith(f"?id={loose.id}")
    assert {r.deal_id for r in recent if r.deal_id} <= {a.deal_id for a in DEMO_ACCOUNTS}
    mine = await c.invoices_of_customers([loose.customer_id, loose.customer_id, "not-an-id"])
    expected = {
        str(t.id) for t in ns.ledger.txns.values() if t.type == "CustInvc" and str(t.entity) == loose.customer_id
    }
    assert {r.id for r in mine} == expected and all(r.customer_id == loose.customer_id for r in mine)
    carried = await c.deal_ids_carried()
    field = ns.deal_field
    assert carried == dict(Counter(t.custom[field] for t in ns.ledger.txns.values() if t.custom.get(field)))
    acme = await c.invoice_ids_carrying([DEAL["acme"], "18340099999"])
    assert list(acme) == [DEAL["acme"]] and len(acme[DEAL["acme"]]) == carried[DEAL["acme"]]


async def test_put_deal_id_on_invoice_writes_only_what_differs(ns: NetSuiteEmulator, connect: Callable) -> None:
    """One PATCH when the field differs; none when it carries the deal ID already; 404 → NotFoundError."""
    c = connect()
    filler = ns.find_invoice("F0003")
    assert (await c.put_deal_id_on_invoice(filler, DEAL["stark"])).written
    assert ns.ledger.txns[int(filler)].custom[ns.deal_field] == DEAL["stark"]
    again = await c.put_deal_id_on_invoice(filler, f" {DEAL['stark']} ")
    assert not again.written
    assert [call.path for call in ns.calls if call.method == "PATCH"] == [f"/services/rest/record/v1/invoice/{filler}"]
    with pytest.raises(NotFoundError):
        await c.put_deal_id_on_invoice("99999999", DEAL["stark"])


async def test_deal_field_problem_when_no_invoice_carries_the_field(ns: NetSuiteEmulator, connect: Callable) -> None:
    """None while some invoice carries the field; the words (and the invoice count) when none does."""
    c = connect()
    assert await c.deal_field_problem() is None
    for txn in ns.ledger.txns.values():
        if txn.type == "CustInvc" and txn.custom.get(ns.deal_field):
            ns.set_deal(str(txn.id), None)
    problem = await c.deal_field_problem()
    total = sum(1 for t in ns.ledger.txns.values() if t.type == "CustInvc")
    assert problem is not None and f"none of the {total} invoices" in problem
    assert "'custbody_hubspot_deal_id'" in problem and "NETSUITE_DEAL_FIELD" in problem
    assert await c.deal_field_problem(sync=False) is None  # no store, no scan: nothing known without asking


def test_the_library_stands_alone() -> None:
    """connectors.netsuite imports nothing of the bot, handlers, blocks or Slack."""
    code = (
        "import sys, connectors.netsuite; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'bot', 'handlers', 'blocks', 'slack_sdk', 'slack_bolt', 'sandbox'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
