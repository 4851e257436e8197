"""The NetSuite emulator on its own, over HTTP: what it refuses (login, queries, paging, record
fields, concurrency) and the traps of its answers (date format, left-out nulls, float noise)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import pytest

from connectors.netsuite import DEAL_FIELD, queries
from sandbox.book import DEMO_ACCOUNTS
from sandbox.netsuite import NetSuiteEmulator
from sandbox.quickbooks import QuickBooksEmulator
from sandbox.server import Sandbox
from tests.conftest import TODAY

SUITEQL = "/services/rest/query/v1/suiteql"
INVOICE = "/services/rest/record/v1/invoice/"
LOGIN_BODY = {
    "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    "title": "Unauthorized",
    "status": 401,
    "o:errorDetails": [
        {
            "detail": "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
            "Setup > Users/Roles > User Management > View Login Audit Trail.",
            "o:errorCode": "INVALID_LOGIN",
        }
    ],
}
STARK = "18340012005"


@pytest.fixture(autouse=True)
def no_netsuite_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest's clean_env does not know NETSUITE_*: never pick up a developer's real account."""
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
async def ns(serve: Callable) -> NetSuiteEmulator:
    """The NetSuite emulator with the demo book and 1100 filler invoices, on loopback."""
    return await serve(NetSuiteEmulator(DEMO_ACCOUNTS, today=TODAY))


def _enc(text: str) -> str:
    return quote(text, safe="~")


def oauth_header(
    ns: NetSuiteEmulator,
    method: str,
    url: str,
    *,
    host: str | None = None,
    consumer_secret: str | None = None,
    **overrides: str | None,
) -> str:
    """A TBA header signed by hand (so tests can break any part of it); None drops a parameter."""
    v = ns.verifier
    params: dict[str, str | None] = {
        "oauth_consumer_key": v.consumer_key,
        "oauth_token": v.token_id,
        "oauth_nonce": secrets.token_hex(8),
        "oauth_timestamp": str(int(time.time())),
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_version": "1.0",
    }
    realm = overrides.pop("realm", ns.account_id)
    params.update({k: v for k, v in overrides.items() if k != "oauth_signature"})
    kept = {k: v for k, v in params.items() if v is not None}
    parts = urlsplit(url)
    query = [tuple(p.split("=", 1)) for p in parts.query.split("&") if p]
    pairs = sorted((_enc(k), _enc(x)) for k, x in [*kept.items(), *query])
    base_uri = f"{parts.scheme}://{(host or parts.netloc).lower()}{parts.path}"
    base = "&".join((method, _enc(base_uri), _enc("&".join(f"{k}={x}" for k, x in pairs))))
    key = f"{_enc(consumer_secret or v.consumer_secret)}&{_enc(v.token_secret)}".encode()
    kept["oauth_signature"] = (
        overrides.get("oauth_signature")
        or base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
    )
    fields = ([f'realm="{realm}"'] if realm is not None else []) + [f'{k}="{_enc(x)}"' for k, x in kept.items()]
    return "OAuth " + ", ".join(fields)


async def call(
    ns: NetSuiteEmulator,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    auth: str | None = None,
    **sign: Any,
) -> tuple[int, Any, dict[str, str]]:
    """One request (signed unless `auth` is given): (status, JSON or text, headers)."""
    url = ns.base_url + path + (f"?{urlencode(params)}" if params else "")
    sent = {"Authorization": auth if auth is not None else oauth_header(ns, method, url, **sign), **(headers or {})}
    data = json.dumps(body) if body is not None and not isinstance(body, str) else body
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, data=data, headers=sent) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None, dict(resp.headers)
            except ValueError:
                return resp.status, text, dict(resp.headers)


async def sql(ns: NetSuiteEmulator, q: str, *, limit: int = 1000, offset: int = 0, **kwargs: Any) -> tuple[int, Any]:
    """A SuiteQL query with `Prefer: transient`: (status, body)."""
    headers = {"Prefer": "transient", **kwargs.pop("headers", {})}
    status, body, _ = await call(
        ns, "POST", SUITEQL, params={"limit": limit, "offset": offset}, body={"q": q}, headers=headers, **kwargs
    )
    return status, body


def detail(body: dict) -> dict:
    """The first o:errorDetails entry."""
    return body["o:errorDetails"][0]


# -- Token-Based Authentication -----------------------------------------------------------


async def test_signed_query_answers_a_collection(ns: NetSuiteEmulator) -> None:
    """A correctly signed SuiteQL query: {links, count, hasMore, items[{links: []...}], offset, totalResults}."""
    status, body, headers = await call(
        ns,
        "POST",
        SUITEQL,
        params={"limit": 5, "offset": 0},
        body={"q": "SELECT t.id FROM transaction t WHERE t.type = 'CustInvc'"},
        headers={"Prefer": "transient"},
    )
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.oracle.resource+json")
    assert set(body) == {"links", "count", "hasMore", "items", "offset", "totalResults"}
    assert (body["count"], body["hasMore"], body["offset"], body["totalResults"]) == (5, True, 0, 1130)
    assert all(item["links"] == [] and set(item) == {"links", "id"} for item in body["items"])
    assert {link["rel"] for link in body["links"]} >= {"self", "next"}


async def test_bad_consumer_secret_is_invalid_login(ns: NetSuiteEmulator) -> None:
    """A signature made with the wrong secret: 401 with NetSuite's body, exactly."""
    status, body = await sql(ns, "SELECT t.id FROM transaction t", consumer_secret="not-the-secret")
    assert (status, body) == (401, LOGIN_BODY)
    assert ns.login_audit[-1] == "signature mismatch"


@pytest.mark.parametrize("realm", ["1234567_sb1", "1234567-SB1", "1234567-sb1", "7654321_SB1", None])
async def test_realm_must_be_the_account_uppercase_with_underscore(ns: NetSuiteEmulator, realm: str | None) -> None:
    """A lowercase or dashed realm, another account's, or none: INVALID_LOGIN."""
    status, body = await sql(ns, "SELECT t.id FROM transaction t", realm=realm)
    assert (status, body) == (401, LOGIN_BODY)


async def test_host_of_another_account_is_invalid_login(ns: NetSuiteEmulator) -> None:
    """The Host names the account: another account's host fails even when signed over it."""
    for host, expected in (
        ("7654321-sb1.suitetalk.api.netsuite.com", 401),
        ("1234567-sb1.suitetalk.api.netsuite.com", 200),
    ):
        status, _ = await sql(ns, "SELECT t.id FROM transaction t", headers={"Host": host}, host=host, limit=1)
        assert status == expected, host


@pytest.mark.parametrize(
    "override",
    [
        {"oauth_nonce": "abc12"},  # shorter than 6
        {"oauth_timestamp": str(int(time.time()) - 3600)},  # stale
        {"oauth_timestamp": "soon"},
        {"oauth_signature_method": "HMAC-SHA1"},  # gone since 2023.1
        {"oauth_version": "1.1"},
        {"oauth_token": None},
        {"oauth_consumer_key": "someone-else"},
        {"oauth_body_hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},  # not a parameter NetSuite documents
    ],
)
async def test_malformed_logins_are_refused(ns: NetSuiteEmulator, override: dict[str, str | None]) -> None:
    """Every broken part of the header: the same 401."""
    status, body = await sql(ns, "SELECT t.id FROM transaction t", limit=1, **override)
    assert (status, body) == (401, LOGIN_BODY)


async def test_nonce_cannot_be_replayed(ns: NetSuiteEmulator) -> None:
    """The same signed header twice: the second is refused."""
    url = f"{ns.base_url}{SUITEQL}?limit=1&offset=0"
    header = oauth_header(ns, "POST", url)
    first = await sql(ns, "SELECT t.id FROM transaction t", limit=1, auth=header)
    second = await sql(ns, "SELECT t.id FROM transaction t", limit=1, auth=header)
    assert (first[0], second) == (200, (401, LOGIN_BODY))
    assert ns.login_audit[-1] == "nonce already used"


async def test_query_parameters_are_signed_and_the_body_is_not(ns: NetSuiteEmulator) -> None:
    """limit/offset are in the base string (changing them breaks the signature); the JSON body is not."""
    signed_for_5 = oauth_header(ns, "POST", f"{ns.base_url}{SUITEQL}?limit=5&offset=0")
    assert await sql(ns, "SELECT t.id FROM transaction t", limit=10, auth=signed_for_5) == (401, LOGIN_BODY)
    signed = oauth_header(ns, "POST", f"{ns.base_url}{SUITEQL}?limit=5&offset=0")
    status, body = await sql(ns, "SELECT t.id FROM transaction t WHERE t.type = 'CustPymt'", limit=5, auth=signed)
    assert status == 200 and body["count"] == 5


async def test_role_without_login_permissions_is_invalid_login(ns: NetSuiteEmulator) -> None:
    """A role without 'REST Web Services' cannot log in through REST: 401, not 403."""
    ns.permissions.discard("REST Web Services")
    assert await sql(ns, "SELECT t.id FROM transaction t") == (401, LOGIN_BODY)


# -- SuiteQL --------------------------------------------------------------------------------


async def test_prefer_transient_is_required(ns: NetSuiteEmulator) -> None:
    """Without `Prefer: transient` the query is refused (the emulator's choice: NetSuite's answer is unconfirmed)."""
    status, body, _ = await call(ns, "POST", SUITEQL, params={"limit": 1}, body={"q": "SELECT t.id FROM transaction t"})
    assert status == 400 and detail(body)["o:errorHeader"] == "Prefer"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"limit": 1001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": 1000, "offset": 500}, "offset"),
        ({"limit": 1000, "offset": 100_000}, "offset"),
    ],
)
async def test_paging_parameters_are_bounded(ns: NetSuiteEmulator, params: dict, name: str) -> None:
    """limit is 1..1000; offset a multiple of it and below 100,000: else 400 INVALID_PARAMETER naming it."""
    status, body, _ = await call(
        ns,
        "POST",
        SUITEQL,
        params=params,
        body={"q": "SELECT t.id FROM transaction t"},
        headers={"Prefer": "transient"},
    )
    assert status == 400 and detail(body)["o:errorCode"] == "INVALID_PARAMETER"
    assert detail(body)["o:errorQueryParam"] == name


async def test_offset_paging_over_more_than_1000_invoices(ns: NetSuiteEmulator) -> None:
    """Two pages cover the account's 1130 invoices exactly once."""
    q = "SELECT t.id FROM transaction t WHERE t.type = 'CustInvc' ORDER BY t.id"
    _, first = await sql(ns, q)
    _, second = await sql(ns, q, offset=1000)
    assert (first["count"], first["hasMore"], second["count"], second["hasMore"]) == (1000, True, 130, False)
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 1130 == first["totalResults"] and ids == sorted(ids, key=int)


@pytest.mark.parametrize(
    "q",
    [
        "SELECT t.id FROM transaction t WHERE t.id = 1 OR t.id = 2",
        "SELECT t.id FROM transaction t WHERE (t.id = 1)",
        "SELECT t.id FROM transaction t WHERE t.tranid LIKE '10%'",
        "SELECT t.id FROM transaction t WHERE t.foreigntotal > 5",
        "SELECT SUM(t.foreigntotal) AS s FROM transaction t",
        "SELECT t.entity, COUNT(*) FROM transaction t GROUP BY t.entity",
        "SELECT UPPER(t.tranid) FROM transaction t",
        "SELECT t.id FROM transaction t WHERE t.id IN (SELECT l.previousdoc FROM NextTransactionLineLink l)",
        "SELECT t.id FROM transaction t; DROP TABLE transaction",
        "SELECT t.nosuchcolumn FROM transaction t",
        "SELECT t.custbody_nope FROM transaction t",
        "SELECT c.id FROM customer c",
        "SELECT x.id FROM transaction t",
        "SELECT t.id FROM transaction t WHERE t.trandate >= '2026-11-01'",
        "SELECT t.id FROM transaction t WHERE t.trandate >= TO_DATE('11/01/2026', 'MM/DD/YYYY')",
        "SELECT TO_CHAR(t.trandate, 'DD.MM.YYYY') AS d FROM transaction t",
        "SELECT TO_CHAR(t.foreigntotal, 'YYYY-MM-DD') AS d FROM transaction t",
        "SELECT BUILTIN.DF(t.tranid) AS d FROM transaction t",
        "SELECT t.id FROM transaction t WHERE t.id IN (" + ", ".join(str(n) for n in range(1001)) + ")",
        "SELECT t.id FROM transaction t WHERE t.custbody_hubspot_deal_id = 18340012005",
        "",
    ],
)
async def test_queries_outside_the_subset_are_invalid_parameter(ns: NetSuiteEmulator, q: str) -> None:
    """Anything the subset does not cover: 400 INVALID_PARAMETER on `q`, NetSuite's search-error detail."""
    status, body = await sql(ns, q)
    assert status == 400, q
    assert (detail(body)["o:errorCode"], detail(body)["o:errorQueryParam"]) == ("INVALID_PARAMETER", "q")
    assert detail(body)["detail"].startswith("Invalid search query. Detailed unprocessed description follows.")
    assert body["title"] == "Bad Request" and body["status"] == 400


@pytest.mark.parametrize(
    "q",
    [
        queries.invoices_since(DEAL_FIELD, TODAY - timedelta(days=90)),
        queries.invoices_of_customers(DEAL_FIELD, ["101", "102"]),
        queries.invoices_of_deals(DEAL_FIELD, ["18340012001", "18340012092"]),
        queries.invoices_by_id(DEAL_FIELD, ["1001"]),
        queries.linked_invoices(DEAL_FIELD),
        queries.linked_invoice_count(DEAL_FIELD),
        queries.INVOICE_COUNT,
    ],
)
async def test_the_link_repair_queries_are_inside_the_subset(ns: NetSuiteEmulator, q: str) -> None:
    """Every query link repair sends is one the emulator runs (and so one NetSuite's grammar has)."""
    status, body = await sql(ns, q)
    assert status == 200, (q, body)
    assert body["items"] and "totalResults" in body


async def test_answers_carry_netsuites_traps(ns: NetSuiteEmulator) -> None:
    """Bare dates in the account's format, a bare datetime without its time, null columns left
    out, amounts as floats off the cents, BUILTIN.DF(currency) a name (not the ISO code), expr1."""
    status, body = await sql(
        ns,
        "SELECT t.id, t.trandate, t.lastmodifieddate, TO_CHAR(t.trandate, 'YYYY-MM-DD') "
        "AS day, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS modified, "
        "t.foreigntotal, t.foreignamountunpaid, t.custbody_hubspot_deal_id AS deal, "
        "BUILTIN.DF(t.currency), BUILTIN.DF(t.entity) AS customer FROM transaction t "
        "WHERE t.type = 'CustInvc' AND t.tranid IN ('1006', 'F0001')",
    )
    assert status == 200
    wayne, filler = sorted(body["items"], key=lambda i: i.get("deal") is None)
    day = datetime.strptime(wayne["day"], "%Y-%m-%d")
    assert wayne["trandate"] == day.strftime("%m/%d/%Y") == f"{day:%m}/{day:%d}/{day:%Y}"
    assert wayne["lastmodifieddate"].count("/") == 2 and ":" not in wayne["lastmodifieddate"]
    assert datetime.fromisoformat(wayne["modified"]).second == 0
    assert isinstance(wayne["foreigntotal"], float) and wayne["foreigntotal"] != 42400.5
    assert Decimal(str(wayne["foreigntotal"])).quantize(Decimal("0.01")) == Decimal("42400.50")
    assert (wayne["deal"], wayne["expr1"], wayne["customer"]) == ("18340012006", "US Dollar", "The Wayne Foundation")
    assert "deal" not in filler  # null: left out, not null


async def test_custom_body_field_filters_and_links_join(ns: NetSuiteEmulator) -> None:
    """WHERE on the deal field works (unlike QuickBooks); the link table says what each payment paid."""
    _, body = await sql(
        ns,
        "SELECT t.id, t.tranid FROM transaction t WHERE t.type = 'CustInvc' "
        f"AND t.custbody_hubspot_deal_id = '{STARK}' ORDER BY t.id",
    )
    assert [i["tranid"] for i in body["items"]] == ["1004", "1009"]
    wayne = ns.find_invoice("1006")
    _, body = await sql(
        ns,
        "SELECT p.id, TO_CHAR(p.trandate, 'YYYY-MM-DD') AS paid, l.foreignamount "
        "FROM transaction p JOIN NextTransactionLineLink l ON l.nextdoc = p.id "
        f"WHERE p.type = 'CustPymt' AND l.linktype = 'Payment' AND l.previousdoc IN ({wayne}) "
        "ORDER BY p.id",
    )
    assert [round(i["foreignamount"], 2) for i in body["items"]] == [20000.0, 10000.0]
    assert [i["paid"] for i in body["items"]] == [str(TODAY - timedelta(days=d)) for d in (50, 18)]
    _, body = await sql(
        ns,
        "SELECT COUNT(*) AS n FROM transaction t WHERE t.type = 'CustInvc' AND t.custbody_hubspot_deal_id IS NOT NULL",
    )
    assert body["items"] == [{"links": [], "n": 30}]


async def test_role_without_find_transaction_sees_no_transaction_table(ns: NetSuiteEmulator) -> None:
    """SuiteQL answers "Record 'transaction' was not found" for a table the role may not read."""
    ns.permissions.discard("Find Transaction")
    status, body = await sql(ns, "SELECT t.id FROM transaction t")
    assert status == 400 and "Record 'transaction' was not found." in detail(body)["detail"]


async def test_lastmodifieddate_zone_and_late_payments(ns: NetSuiteEmulator) -> None:
    """Stamps are written in the account's zone (knob); a late payment is invisible, then visible with its old stamp."""
    q = (
        "SELECT t.id, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS m FROM transaction t "
        "WHERE t.type = 'CustPymt' AND t.lastmodifieddate >= TO_DATE('{}', 'YYYY-MM-DD HH24:MI:SS')"
    )
    local = ns.now().astimezone(ns.output.tz).replace(tzinfo=None)
    late = ns.add_payment(ns.find_invoice("1009"), "500.00", late=timedelta(minutes=10))
    since = (local - timedelta(minutes=30)).isoformat(sep=" ", timespec="seconds")
    assert (await sql(ns, q.format(since)))[1]["items"] == []
    assert ns.publish_late_payments() == [late]
    items = (await sql(ns, q.format(since)))[1]["items"]
    assert [i["id"] for i in items] == [late]
    stamped = datetime.fromisoformat(items[0]["m"])
    assert timedelta(minutes=9) <= local - stamped <= timedelta(minutes=11)
    ns.set_time_zone(0)
    utc = datetime.fromisoformat((await sql(ns, q.format("2000-01-01 00:00:00")))[1]["items"][-1]["m"])
    assert utc - stamped == timedelta(hours=8)


async def test_applying_a_payment_moves_the_invoices_lastmodifieddate(ns: NetSuiteEmulator) -> None:
    """The payment, its link and the invoice it pays are stamped when it is applied (what a poller reads)."""
    iid = ns.find_invoice("1009")
    q = (
        "SELECT t.id, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS m, t.foreignamountunpaid "
        f"FROM transaction t WHERE t.id IN ({iid})"
    )
    [before] = (await sql(ns, q))[1]["items"]
    ns.advance(600)
    pid = ns.add_payment(iid, "100.00")
    [after] = (await sql(ns, q))[1]["items"]
    moved = datetime.fromisoformat(after["m"]) - datetime.fromisoformat(before["m"])
    assert moved >= timedelta(minutes=10) and after["foreignamountunpaid"] == before["foreignamountunpaid"] - 100
    links = (
        await sql(
            ns,
            "SELECT l.previousdoc, TO_CHAR(l.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS m "
            f"FROM NextTransactionLineLink l WHERE l.nextdoc = {pid}",
        )
    )[1]["items"]
    assert [(str(link["previousdoc"]), link["m"]) for link in links] == [(iid, after["m"])]


# -- the invoice record ---------------------------------------------------------------------


async def test_get_invoice_record(ns: NetSuiteEmulator) -> None:
    """GET answers the record; expandSubResources inlines its lines; errors in NetSuite's body."""
    iid = ns.find_invoice("1006")
    status, body, _ = await call(ns, "GET", INVOICE + iid)
    assert status == 200 and (body["id"], body["tranId"], body["total"], body["amountRemaining"]) == (
        iid,
        "1006",
        42400.5,
        12400.5,
    )
    assert body["custbody_hubspot_deal_id"] == "18340012006" and "items" not in body["item"]
    _, expanded, _ = await call(ns, "GET", INVOICE + iid, params={"expandSubResources": "true"})
    assert [line["amount"] for line in expanded["item"]["items"]] == [37440.0, 4960.5]
    status, body, _ = await call(ns, "GET", INVOICE + "99999999")
    assert status == 404 and detail(body)["o:errorCode"] == "NONEXISTENT_ID" and body["title"] == "Not Found"
    payment = next(str(t.id) for t in ns.ledger.txns.values() if t.type == "CustPymt")
    status, body, _ = await call(ns, "GET", INVOICE + payment)
    assert status == 400 and "Transaction type specified is incorrect" in detail(body)["detail"]
    ns.permissions.discard("Invoice")
    status, body, _ = await call(ns, "GET", INVOICE + iid)
    assert status == 403 and detail(body)["o:errorCode"] == "INSUFFICIENT_PERMISSION"


async def test_patch_invoice_sets_only_known_fields(ns: NetSuiteEmulator) -> None:
    """PATCH: 204 with Location, moves lastmodifieddate; an unknown, read-only or non-text field: 400."""
    iid = ns.find_invoice("F0003")
    before = ns.ledger.txns[int(iid)].modified
    ns.advance(120)
    status, body, headers = await call(ns, "PATCH", INVOICE + iid, body={"custbody_hubspot_deal_id": STARK})
    assert (status, body) == (204, None) and headers["Location"] == f"{ns.base_url}{INVOICE}{iid}"
    assert ns.ledger.txns[int(iid)].custom["custbody_hubspot_deal_id"] == STARK
    assert ns.ledger.txns[int(iid)].modified >= before + timedelta(seconds=120)
    for bad in (
        {"custbody_nope": "x"},
        {"total": 1},
        {"custbody_hubspot_deal_id": 18340012005},
        {"custbody_hubspot_deal_id": "x" * 301},
        ["custbody_hubspot_deal_id"],
    ):
        status, body, _ = await call(ns, "PATCH", INVOICE + iid, body=bad)
        assert status == 400 and detail(body)["o:errorCode"] == "INVALID_CONTENT", bad
    status, _, _ = await call(ns, "PATCH", INVOICE + iid, body={"custbody_hubspot_deal_id": ""})
    assert status == 204 and "custbody_hubspot_deal_id" not in ns.ledger.txns[int(iid)].custom


# -- concurrency, faults, seeding, the Sandbox ----------------------------------------------


async def test_concurrency_over_the_account_limit_is_429(ns: NetSuiteEmulator) -> None:
    """More requests in flight than the account allows: the extra ones get 429 Too Many Requests."""
    ns.faults.hang = True  # hold every request until all eight are in flight
    pending = asyncio.gather(*(sql(ns, "SELECT t.id FROM transaction t", limit=1) for _ in range(8)))
    for _ in range(400):
        if ns.inflight == 8:
            break
        await asyncio.sleep(0.01)
    ns.faults.hang = False
    results = await pending
    statuses = sorted(status for status, _ in results)
    assert set(statuses) == {200, 429} and statuses.count(200) <= ns.concurrency_limit
    refused = next(body for status, body in results if status == 429)
    assert (refused["title"], detail(refused)["o:errorCode"]) == ("Too Many Requests", "CONCURRENCY_LIMIT_EXCEEDED")


async def test_injected_faults_use_netsuites_envelope(ns: NetSuiteEmulator) -> None:
    """Injected 503 and 429 answers look like NetSuite's."""
    ns.inject(503)
    ns.inject(429)
    status, body = await sql(ns, "SELECT t.id FROM transaction t")
    assert status == 503 and body["status"] == 503 and "o:errorDetails" in body
    status, body = await sql(ns, "SELECT t.id FROM transaction t")
    assert status == 429 and detail(body)["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"


def test_seeded_money_equals_the_quickbooks_emulators() -> None:
    """Each deal's invoices carry the same totals and open balances as in the QuickBooks emulator."""
    ns = NetSuiteEmulator(DEMO_ACCOUNTS, today=TODAY)
    qbo = QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY)
    for account in DEMO_ACCOUNTS:
        mine = sorted(
            (t.tranid, t.total, t.unpaid, t.duedate)
            for t in ns.ledger.txns.values()
            if t.custom.get("custbody_hubspot_deal_id") == account.deal_id
        )
        theirs = sorted(
            (inv["DocNumber"], inv["TotalAmt"], inv["Balance"], datetime.fromisoformat(inv["DueDate"]).date())
            for inv in qbo.invoices.values()
            if any(f.get("StringValue") == account.deal_id for f in inv["CustomField"])
        )
        assert mine == theirs, account.key
    assert sum(t.type == "CustInvc" for t in ns.ledger.txns.values()) > 1000


async def test_sandbox_runs_netsuite_only_when_asked() -> None:
    """Sandbox(netsuite=True) adds the fifth emulator and its NETSUITE_* variables (never ACCOUNTING)."""
    plain = Sandbox(today=TODAY)
    assert plain.netsuite is None and not any(k.startswith("NETSUITE_") for k in plain.env())
    async with Sandbox(today=TODAY, netsuite=True) as sandbox:
        env = sandbox.env()
        assert sandbox.netsuite is not None and env["NETSUITE_BASE_URL"] == sandbox.netsuite.base_url
        assert env["NETSUITE_BASE_URL"].startswith("http://127.0.0.1:") and "ACCOUNTING" not in env
        assert {k for k in env if k.startswith("NETSUITE_")} == {
            "NETSUITE_ACCOUNT_ID",
            "NETSUITE_CONSUMER_KEY",
            "NETSUITE_CONSUMER_SECRET",
            "NETSUITE_TOKEN_ID",
            "NETSUITE_TOKEN_SECRET",
            "NETSUITE_BASE_URL",
            "NETSUITE_DEAL_FIELD",
            "NETSUITE_CONCURRENCY",
        }
        assert (env["NETSUITE_ACCOUNT_ID"], env["NETSUITE_DEAL_FIELD"], env["NETSUITE_CONCURRENCY"]) == (
            "1234567_SB1",
            "custbody_hubspot_deal_id",
            "5",
        )
