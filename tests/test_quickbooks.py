"""The QuickBooks connector (real python-quickbooks SDK) against the QBO emulator, on both stores."""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError

from bot.settings import Settings
from bot.store import Store
from bot.wiring import quickbooks_from
from connectors.errors import AuthError, ConfigError, ConnectorError, RateLimitedError, UnavailableError
from connectors.quickbooks import QuickBooksConnector
from connectors.runtime import Policy
from connectors.types import PaymentInfo
from sandbox.book import BOOK_BY_DEAL, DEMO_ACCOUNTS, QBO_REALM_ID
from sandbox.quickbooks import QuickBooksEmulator
from tests.conftest import TODAY

D = Decimal
FAST = Policy(timeout=10.0, retries=3, backoff=0.01, max_retry_after=0.05)
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
KEY = f"quickbooks:{QBO_REALM_ID}"
DEAL = {a.key: a.deal_id for a in DEMO_ACCOUNTS}


@pytest.fixture
async def qbo(serve: Callable) -> QuickBooksEmulator:
    """The QBO emulator on loopback, seeded with the demo book and filler invoices."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))


def connect(qbo: QuickBooksEmulator, store: Any, **overrides: Any) -> QuickBooksConnector:
    """A connector configured from the emulator's env (overrides win)."""
    env = qbo.env()
    kwargs: dict[str, Any] = dict(
        client_id=env["QBO_CLIENT_ID"],
        client_secret=env["QBO_CLIENT_SECRET"],
        realm_id=env["QBO_REALM_ID"],
        refresh_token=env["QBO_REFRESH_TOKEN"],
        store=store,
        base_url=env["QBO_BASE_URL"],
        token_url=env["QBO_TOKEN_URL"],
        policy=FAST,
    )
    kwargs.update(overrides)
    return QuickBooksConnector(**kwargs)


async def raw(
    qbo: QuickBooksEmulator, method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """One HTTP request to the emulator, bypassing the SDK: (status, JSON or text)."""
    headers = dict(kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {}))
    async with aiohttp.ClientSession() as session:
        async with session.request(method, qbo.base_url + path, headers=headers, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until `condition` holds (bounded)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


def qbo_token_calls(qbo: QuickBooksEmulator) -> list:
    return [c for c in qbo.calls if c.path == TOKEN_PATH]


def token_statuses(qbo: QuickBooksEmulator) -> list[int]:
    """Statuses the token endpoint answered, in order."""
    return [c.status for c in qbo.calls if c.path == TOKEN_PATH]


def ids_of(qbo: QuickBooksEmulator, docs: list[str]) -> list[str]:
    """Emulator invoice Ids for these DocNumbers, in index order."""
    return sorted((qbo.find_invoice(doc) for doc in docs), key=lambda s: (len(s), s))


# -- money for the demo states ----------------------------------------------------------

DEMO = {
    "stark": dict(
        invoiced=D("54312.50"),
        paid=D("29625.00"),
        outstanding=D("24687.50"),
        overdue=D("24687.50"),
        overdue_count=1,
        days_overdue=34,
        invoice_count=2,
        last=(80, D("29625.00")),
        currency="USD",
        customer="Stark Industries (Manufacturing)",
    ),
    "wayne": dict(
        invoiced=D("42400.50"),
        paid=D("30000.00"),
        outstanding=D("12400.50"),
        overdue=D("12400.50"),
        overdue_count=1,
        days_overdue=30,
        invoice_count=1,
        last=(18, D("10000.00")),
        currency="USD",
        customer="The Wayne Foundation",
    ),
    "hooli": dict(
        invoiced=D("56000.00"),
        paid=D("56000.00"),
        outstanding=D("0.00"),
        overdue=D("0.00"),
        overdue_count=0,
        days_overdue=None,
        invoice_count=2,
        last=(8, D("39200.00")),
        currency="USD",
        customer="Hooli",
    ),
    "oscorp": dict(
        invoiced=D("31250.00"),
        paid=D("0.00"),
        outstanding=D("31250.00"),
        overdue=D("0.00"),
        overdue_count=0,
        days_overdue=None,
        invoice_count=1,
        last=None,
        currency="EUR",
        customer="OSCORP Industries",
    ),
    "cyberdyne": dict(
        invoiced=D("156000.00"),
        paid=D("144000.00"),
        outstanding=D("12000.00"),
        overdue=D("12000.00"),
        overdue_count=1,
        days_overdue=5,
        invoice_count=13,
        last=(45, D("12000.00")),
        currency="USD",
        customer="Cyberdyne Sys.",
    ),
}


@pytest.mark.parametrize("key", sorted(DEMO))
async def test_money_for_demo_states(qbo: QuickBooksEmulator, store: Store, key: str) -> None:
    """Totals, overdue, last payment, currency and the QBO customer name for each demo state."""
    want = DEMO[key]
    connector = connect(qbo, store)
    try:
        money = await connector.money(DEAL[key], today=TODAY)
    finally:
        connector.close()
    assert money is not None
    assert (money.invoiced, money.paid, money.outstanding, money.overdue) == (
        want["invoiced"],
        want["paid"],
        want["outstanding"],
        want["overdue"],
    )
    assert money.invoice_count == want["invoice_count"] and money.overdue_count == want["overdue_count"]
    assert money.currency == want["currency"] and not money.mixed_currencies
    assert money.customer_name == want["customer"]
    assert money.invoice_ids == tuple(ids_of(qbo, [i.doc for i in BOOK_BY_DEAL[DEAL[key]].invoices]))
    days = None if money.oldest_overdue_due is None else (TODAY - money.oldest_overdue_due).days
    assert days == want["days_overdue"]
    if want["last"] is None:
        assert money.last_payment is None
    else:
        assert money.last_payment is not None
        assert (money.last_payment.on, money.last_payment.amount) == (
            TODAY - timedelta(days=want["last"][0]),
            want["last"][1],
        )


async def test_deal_without_invoices_is_none(qbo: QuickBooksEmulator, store: Store) -> None:
    """Pied Piper has no invoices yet (and Tyrell is not won): money is None."""
    connector = connect(qbo, store)
    try:
        assert await connector.money(DEAL["piedpiper"], today=TODAY) is None
        assert await connector.money(DEAL["tyrell"], today=TODAY) is None
    finally:
        connector.close()


async def test_mixed_currencies_total_the_dominant_one(qbo: QuickBooksEmulator, store: Store) -> None:
    """A deal invoiced in two currencies totals the dominant one and says it is mixed."""
    qbo.add_invoice("Hooli Europe BV", DEAL["hooli"], "5000.00", currency="EUR")
    connector = connect(qbo, store)
    try:
        money = await connector.money(DEAL["hooli"], today=TODAY)
    finally:
        connector.close()
    assert money is not None and money.mixed_currencies
    assert (money.currency, money.invoiced, money.invoice_count) == ("USD", D("56000.00"), 2)


async def test_last_payment_counts_only_what_was_applied_to_the_deal(qbo: QuickBooksEmulator, store: Store) -> None:
    """One payment split between the Globex deal invoice and a non-deal Globex invoice."""
    deal_invoice = qbo.find_invoice("1015")
    other = next(
        i
        for i, inv in qbo.invoices.items()
        if inv["CustomerRef"]["name"] == "Globex Corp" and inv["Balance"] > 0 and i != deal_invoice
    )
    pid = qbo.add_payment(deal_invoice, "1234.56", TODAY, also=[(other, "100.00")])
    connector = connect(qbo, store)
    try:
        money = await connector.money(DEAL["globex"], today=TODAY)
    finally:
        connector.close()
    assert money is not None and money.last_payment == PaymentInfo(pid, TODAY, D("1234.56"))
    assert money.outstanding == D("22500.00") - D("1234.56")


# -- the deal index ---------------------------------------------------------------------


async def test_full_scan_pages_past_the_first_page(qbo: QuickBooksEmulator, store: Store) -> None:
    """A small page size forces several pages: a COUNT(*), then the pages at once (within QBO's 10 in flight),
    each asking only the index's columns; the index joins on the deal field, not on names."""
    connector = connect(qbo, store, page_size=25)
    qbo.faults.latency = 0.05  # pages in flight overlap
    try:
        seen = await connector.sync_index(full=True)
    finally:
        connector.close()
    total = len(qbo.invoices)
    assert total > 100 and seen == total == await store.invoice_count(QBO_REALM_ID)
    queries = [str(c.body or c.query.get("query")) for c in qbo.calls if c.path.endswith("/query")]
    assert queries.count("SELECT COUNT(*) FROM Invoice") == 1 and len(queries) == 1 + -(-total // 25)
    pages = [q for q in queries if "STARTPOSITION" in q]
    assert all(q.startswith("SELECT Id, CustomField, MetaData.LastUpdatedTime FROM Invoice") for q in pages)
    assert 1 < qbo.max_inflight <= 10 and all(c.status == 200 for c in qbo.calls)
    for account in DEMO_ACCOUNTS:  # HubSpot's "Stark Industries" is QBO's "Stark Industries (Manufacturing)"
        assert await store.invoices_for(QBO_REALM_ID, account.deal_id) == ids_of(qbo, [i.doc for i in account.invoices])


async def test_concurrent_syncs_coalesce(qbo: QuickBooksEmulator, store: Store) -> None:
    """Many callers at once share one full scan."""
    connector = connect(qbo, store, page_size=100)
    try:
        results = await asyncio.gather(
            *(connector.sync_index() for _ in range(5)), *(connector.money(DEAL[k], today=TODAY) for k in DEMO)
        )
    finally:
        connector.close()
    assert results[:5] == [len(qbo.invoices)] * 5
    scans = [
        c
        for c in qbo.calls
        if "/query" in c.path and "ORDERBY Id STARTPOSITION" in str(c.body) and "WHERE" not in str(c.body)
    ]
    assert len(scans) == len(qbo.invoices) // 100 + 1


async def test_two_processes_indexing_at_once(qbo: QuickBooksEmulator, store: Store) -> None:
    """Two connectors (processes) full-scanning the same company at once both finish; the index is whole."""
    a, b = connect(qbo, store, page_size=20), connect(qbo, store, page_size=20)
    try:
        counts = await asyncio.gather(a.sync_index(full=True), b.sync_index(full=True))
    finally:
        a.close()
        b.close()
    assert counts == [len(qbo.invoices)] * 2 == [await store.invoice_count(QBO_REALM_ID)] * 2


async def test_incremental_sync_picks_up_payments_invoices_moves_and_deletions(
    qbo: QuickBooksEmulator, store: Store
) -> None:
    """After the first scan, CDC brings a new payment, a new invoice, a moved one and a deletion."""
    connector = connect(qbo, store, index_max_age=0)
    try:
        await connector.money(DEAL["stark"], today=TODAY)
        qbo.reset_calls()
        pid = qbo.add_payment(qbo.find_invoice("1009"), "4687.50", TODAY)
        new = qbo.add_invoice("Stark Industries (Manufacturing)", DEAL["stark"], "1000.00", doc="1030")
        qbo.set_deal(qbo.find_invoice("1005"), DEAL["stark"])  # re-tagged from Hooli to Stark
        money = await connector.money(DEAL["stark"], today=TODAY)
        assert qbo.count("/cdc") == 1
        assert not [c for c in qbo.calls if "WHERE" not in str(c.body) and "FROM Invoice" in str(c.body)]
        assert money is not None and new in money.invoice_ids and qbo.find_invoice("1005") in money.invoice_ids
        assert money.invoiced == D("54312.50") + D("1000.00") + D("16800.00")
        assert money.last_payment == PaymentInfo(pid, TODAY, D("4687.50"))
        assert qbo.find_invoice("1005") not in await store.invoices_for(QBO_REALM_ID, DEAL["hooli"])
        qbo.delete_invoice(new)
        await connector.sync_index()
        assert new not in await store.invoices_for(QBO_REALM_ID, DEAL["stark"])
    finally:
        connector.close()


async def test_money_checks_a_lagging_index_against_each_invoice(qbo: QuickBooksEmulator, store: Store) -> None:
    """An invoice re-tagged since the last sync is not counted, and the index is corrected."""
    connector = connect(qbo, store, index_max_age=3600)
    try:
        await connector.sync_index()
        qbo.set_deal(qbo.find_invoice("1009"), None)
        money = await connector.money(DEAL["stark"], today=TODAY)
    finally:
        connector.close()
    assert money is not None and money.invoice_count == 1 and money.overdue == D("0.00")
    assert await store.invoices_for(QBO_REALM_ID, DEAL["stark"]) == [qbo.find_invoice("1004")]


async def test_refused_cdc_falls_back_to_a_full_scan(qbo: QuickBooksEmulator, store: Store) -> None:
    """A cursor older than CDC's 30 days is refused by QBO; the connector rescans instead."""
    connector = connect(qbo, store)
    try:
        await connector.sync_index()
        await store.set_sync(
            f"quickbooks:{QBO_REALM_ID}:index", '{"cursor": "2026-09-01T00:00:00-08:00", "at": 9e18, "full_at": null}'
        )
        qbo.reset_calls()
        assert await connector.sync_index() == len(qbo.invoices)
    finally:
        connector.close()
    assert [c.status for c in qbo.calls if "/cdc" in c.path] == [400]
    assert qbo.count("/query") == 2  # the COUNT(*) beside the one page


# -- tokens ---------------------------------------------------------------------------------


async def test_rotation_is_stored_and_survives_a_restart(qbo: QuickBooksEmulator, store: Store) -> None:
    """The rotated refresh token lives in the store; a restart with the env's old one keeps working."""
    original = qbo.env()["QBO_REFRESH_TOKEN"]
    first = connect(qbo, store)
    try:
        assert await first.money(DEAL["stark"], today=TODAY) is not None
    finally:
        first.close()
    record = await store.get_token(KEY)
    assert record is not None and record.refresh_token == qbo.current_refresh_token != original
    assert first.refresh_token_expires_at is not None
    qbo.expire_access_tokens()
    restarted = connect(qbo, store, refresh_token=original)
    try:
        assert await restarted.money(DEAL["wayne"], today=TODAY) is not None
    finally:
        restarted.close()
    env = qbo.env()
    basic = base64.b64encode(f"{env['QBO_CLIENT_ID']}:{env['QBO_CLIENT_SECRET']}".encode()).decode()
    status, body = await raw(
        qbo,
        "POST",
        TOKEN_PATH,
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "refresh_token", "refresh_token": original},
    )
    assert (status, body) == (400, {"error": "invalid_grant"})


async def test_two_connectors_refreshing_at_once(qbo: QuickBooksEmulator, store: Store) -> None:
    """Two processes on one store refresh concurrently: one valid token, no AuthError."""
    a, b = connect(qbo, store), connect(qbo, store)
    try:
        await a.sync_index()
        for _ in range(3):
            qbo.expire_access_tokens()
            results = await asyncio.gather(*(c.money(DEAL[k], today=TODAY) for k in DEMO for c in (a, b)))
            assert all(results)
    finally:
        a.close()
        b.close()
    record = await store.get_token(KEY)
    assert record is not None and record.refresh_token == qbo.current_refresh_token
    assert record.version - 1 == token_statuses(qbo).count(200)


class FlakyStore:
    """The real store, with its token writes failing (`failures` times) or held back (until `gate` is set)."""

    def __init__(self, store: Store, *, failures: int = 0, gate: asyncio.Event | None = None) -> None:
        self._store, self.failures, self.gate, self.puts = store, failures, gate, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def put_token(self, *args: Any, **kwargs: Any) -> Any:
        self.puts += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("UPDATE oauth_tokens ...", {}, Exception("database is locked"))
        return await self._store.put_token(*args, **kwargs)


async def test_refresh_race_loser_waits_for_the_winners_tokens(qbo: QuickBooksEmulator, store: Store) -> None:
    """While one process refreshes (and is slow to store), another waits for its tokens: one token request."""
    gate = asyncio.Event()
    winner, loser = connect(qbo, FlakyStore(store, gate=gate)), connect(qbo, store)
    try:
        first = asyncio.create_task(winner.tokens.access_token())
        await until(lambda: token_statuses(qbo) == [200])
        second = asyncio.create_task(loser.tokens.access_token())
        await asyncio.sleep(0.3)
        assert not second.done() and token_statuses(qbo) == [200]  # never spends the refresh token itself
        gate.set()
        assert await first == await second
    finally:
        winner.close()
        loser.close()


async def test_rotated_tokens_survive_a_failing_store(qbo: QuickBooksEmulator, store: Store) -> None:
    """The store refuses the rotated tokens for a while: they are used from memory and stored once it recovers."""
    flaky = FlakyStore(store, failures=10**6)
    connector = connect(qbo, flaky, token_store_retries=(0.01, 0.01))
    try:
        assert await connector.money(DEAL["stark"], today=TODAY) is not None
        assert connector.tokens.unsaved  # refused every time: kept, and used, in memory
        qbo.expire_access_tokens()  # the next refresh spends the in-memory refresh token, not the dead stored one
        assert await connector.money(DEAL["wayne"], today=TODAY) is not None
        assert connector.tokens.unsaved and token_statuses(qbo) == [200, 200]
        flaky.failures = 0  # the database is back
        assert await connector.money(DEAL["hooli"], today=TODAY) is not None
        assert not connector.tokens.unsaved
    finally:
        connector.close()
    assert token_statuses(qbo) == [200, 200]
    record = await store.get_token(KEY)
    assert record is not None and record.refresh_token == qbo.current_refresh_token


async def test_a_lost_token_answer_is_asked_again_once_and_named(qbo: QuickBooksEmulator, store: Store) -> None:
    """Intuit rotated the token but its answer never arrived: one repeat after re-reading the store, then a
    message that says what happened (not a blind loop of token requests)."""
    qbo.lost_token_answers = 1
    connector = connect(qbo, store)
    try:
        with pytest.raises(AuthError, match="got no answer"):
            await connector.money(DEAL["stark"], today=TODAY)
    finally:
        connector.close()
    assert len(qbo_token_calls(qbo)) == 2


async def test_a_token_answer_lost_before_rotating_is_asked_again(qbo: QuickBooksEmulator, store: Store) -> None:
    """A 5xx from the token endpoint (nothing rotated): asked again after re-reading the store, and it works."""
    qbo.inject(503, path_contains="tokens/bearer")
    connector = connect(qbo, store)
    try:
        assert await connector.money(DEAL["stark"], today=TODAY) is not None
    finally:
        connector.close()
    assert token_statuses(qbo) == [503, 200]


async def test_expired_access_token_refreshes_once(qbo: QuickBooksEmulator, store: Store) -> None:
    """A 401 refreshes the token once and retries once."""
    connector = connect(qbo, store)
    try:
        await connector.money(DEAL["stark"], today=TODAY)
        qbo.expire_access_tokens()
        qbo.reset_calls()
        assert await connector.money(DEAL["wayne"], today=TODAY) is not None
    finally:
        connector.close()
    assert token_statuses(qbo) == [200]
    assert [c.status for c in qbo.calls if c.path.startswith("/v3/")].count(401) == 1


async def test_short_lived_access_tokens_refresh_before_use(qbo: QuickBooksEmulator, store: Store) -> None:
    """An access token about to expire is refreshed first, never sent to fail."""
    qbo.set_access_token_lifetime(30)
    connector = connect(qbo, store, token_margin=60)
    try:
        await connector.money(DEAL["hooli"], today=TODAY)
        await connector.money(DEAL["wayne"], today=TODAY)
    finally:
        connector.close()
    assert not [c for c in qbo.calls if c.status == 401]
    assert len(token_statuses(qbo)) > 1


async def test_invalid_grant_without_newer_token_asks_for_reauthorisation(
    qbo: QuickBooksEmulator, store: Store
) -> None:
    """A revoked refresh token, with no newer one stored, is an AuthError naming re-authorisation."""
    connector = connect(qbo, store, refresh_token="AB11revoked", refresh_race_wait=0.05)
    try:
        with pytest.raises(AuthError, match="re-authorise"):
            await connector.money(DEAL["stark"], today=TODAY)
    finally:
        connector.close()


async def test_new_env_token_after_reauthorisation_is_used(qbo: QuickBooksEmulator, store: Store) -> None:
    """The stored token is dead and the admin put a fresh QBO_REFRESH_TOKEN in the env: it is used and stored."""
    await store.seed_token(KEY, "AB11dead")
    connector = connect(qbo, store, refresh_race_wait=0.05)
    try:
        assert await connector.money(DEAL["stark"], today=TODAY) is not None
    finally:
        connector.close()
    record = await store.get_token(KEY)
    assert record is not None and record.refresh_token == qbo.current_refresh_token


@pytest.mark.parametrize(
    "override,match",
    [({"client_secret": "wrong"}, "invalid_client"), ({"realm_id": "4620816365000000"}, "QBO_REALM_ID")],
)
async def test_refused_credentials(qbo: QuickBooksEmulator, store: Store, override: dict, match: str) -> None:
    """Bad client credentials (401 invalid_client) and another company (403) are AuthErrors."""
    connector = connect(qbo, store, **override)
    try:
        with pytest.raises(AuthError, match=match):
            await connector.money(DEAL["stark"], today=TODAY)
    finally:
        connector.close()


async def test_tokens_never_reach_logs_or_errors(
    qbo: QuickBooksEmulator, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """No access or refresh token (nor the client secret) in any log record, error or repr."""
    caplog.set_level(logging.DEBUG)
    connector = connect(qbo, store)
    errors: list[BaseException] = []
    try:
        await connector.money(DEAL["stark"], today=TODAY)
        qbo.expire_access_tokens()
        qbo.inject(500, path_contains="/query")
        await connector.money(DEAL["wayne"], today=TODAY)
        try:
            await connector.query("SELECT * FROM Invoice WHERE CustomField = 'x'")
        except ConnectorError as exc:
            errors.append(exc)
        await store.reset_token(KEY, "AB11revoked")
        qbo.expire_access_tokens()
        connector.tokens.race_wait = 0.05
        try:
            await connector.money(DEAL["hooli"], today=TODAY)
        except AuthError as exc:
            errors.append(exc)
    finally:
        connector.close()
    assert len(errors) == 2 and "QueryParserError" in str(errors[0])
    texts = [caplog.text, repr(connector), repr(connector.tokens)]
    texts += ["".join(traceback.format_exception(e)) for e in errors] + [repr(e) for e in errors]
    secrets = [t for t in qbo.issued_tokens if len(t) > 10] + [qbo.client_secret]
    assert len(secrets) > 3
    assert not [s for s in secrets for text in texts if s in text]


# -- throttling and outages ---------------------------------------------------------------


@pytest.mark.parametrize("html", [False, True], ids=["json-3001", "html"])
async def test_throttling_is_retried(qbo: QuickBooksEmulator, store: Store, html: bool) -> None:
    """A 429 (JSON Fault 3001, or the HTML page) is waited out and retried."""
    if html:
        qbo.inject_html_throttle(2)
    else:
        qbo.inject(429, 2, retry_after=1, path_contains="/query")
    connector = connect(qbo, store)
    try:
        assert await connector.money(DEAL["wayne"], today=TODAY) is not None
    finally:
        connector.close()
    assert [c.status for c in qbo.calls].count(429) == 2


async def test_throttling_that_persists_is_rate_limited_error(qbo: QuickBooksEmulator, store: Store) -> None:
    """Still throttled after the retries: RateLimitedError carrying QBO's Retry-After."""
    qbo.inject(429, 10, retry_after=7, path_contains="/query")
    connector = connect(qbo, store)
    try:
        with pytest.raises(RateLimitedError) as caught:
            await connector.money(DEAL["wayne"], today=TODAY)
    finally:
        connector.close()
    assert caught.value.retry_after == 7.0


async def test_outage_is_unavailable_error(qbo: QuickBooksEmulator, store: Store) -> None:
    """QBO answering 503 throughout is an UnavailableError after the retries."""
    connector = connect(qbo, store)
    try:
        await connector.tokens.access_token()
        qbo.faults.down = True
        with pytest.raises(UnavailableError):
            await connector.money(DEAL["wayne"], today=TODAY)
    finally:
        connector.close()


async def test_client_keeps_within_ten_requests_in_flight(qbo: QuickBooksEmulator, store: Store) -> None:
    """Many cards at once never put more than 10 requests in flight (QBO would answer 429)."""
    qbo.faults.latency = 0.02
    connector = connect(qbo, store, page_size=20)
    try:
        await asyncio.gather(*(connector.money(a.deal_id, today=TODAY) for a in DEMO_ACCOUNTS * 2))
    finally:
        connector.close()
    assert qbo.max_inflight <= 10 and not [c for c in qbo.calls if c.status == 429]


# -- configuration ------------------------------------------------------------------------


async def test_from_settings_and_url_checks(qbo: QuickBooksEmulator, store: Store) -> None:
    """quickbooks_from works on the sandbox env; missing variables and plain http to a remote host are refused."""
    settings = Settings.from_env(qbo.env(), dotenv=None)
    connector = quickbooks_from(settings, store)
    try:
        assert await connector.money(DEAL["oscorp"], today=TODAY) is not None
    finally:
        connector.close()
    with pytest.raises(ConfigError, match="QBO_CLIENT_ID"):
        quickbooks_from(Settings.from_env({}, dotenv=None), store)
    with pytest.raises(ConfigError, match="https"):
        connect(qbo, store, base_url="http://quickbooks.example.com/v3")


async def test_money_many_equals_money_for_each_deal(serve, store) -> None:
    """The batched form gives the same figures as money() per deal, in a handful of queries."""
    from sandbox.book import DEMO_ACCOUNTS
    from sandbox.quickbooks import QuickBooksEmulator

    emulator = await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))
    env = emulator.env()
    connector = QuickBooksConnector(
        env["QBO_CLIENT_ID"],
        env["QBO_CLIENT_SECRET"],
        env["QBO_REALM_ID"],
        env["QBO_REFRESH_TOKEN"],
        store,
        base_url=env["QBO_BASE_URL"],
        token_url=env["QBO_TOKEN_URL"],
    )
    try:
        ids = [a.deal_id for a in DEMO_ACCOUNTS]
        single = {d: await connector.money(d, today=TODAY) for d in ids}
        emulator.reset_calls()
        many = await connector.money_many(ids, today=TODAY)
        assert many == single
        assert emulator.count("/query") <= 4
    finally:
        connector.close()
