"""The QBO emulator on its own: the query grammar and its refusals, CDC, throttling, and the SDK's
own object helpers (Invoice.get/where/count, cdc.change_data_capture) running against it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ObjectNotFoundException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from connectors.quickbooks.sdk import build_client
from sandbox.book import QBO_REALM_ID
from sandbox.quickbooks import QuickBooksEmulator
from tests.conftest import TODAY
from tests.test_quickbooks import ids_of, qbo, raw  # noqa: F401  (qbo is a fixture)


async def query(qbo: QuickBooksEmulator, statement: str, method: str = "GET") -> tuple[int, Any]:
    """A raw query, by GET ?query= or by POST application/text as the SDK sends it."""
    path = f"/v3/company/{QBO_REALM_ID}/query"
    token = qbo.issue_access_token()
    if method == "GET":
        return await raw(qbo, "GET", path, token=token, params={"query": statement, "minorversion": "75"})
    return await raw(qbo, "POST", path, token=token, data=statement, headers={"Content-Type": "application/text"})


async def test_filtering_on_custom_field_is_refused(qbo: QuickBooksEmulator) -> None:
    """CustomField is not queryable: 400 ValidationFault 4000, as QBO answers."""
    status, body = await query(qbo, "SELECT * FROM Invoice WHERE CustomField = '18340012005'")
    assert status == 400 and body["Fault"]["type"] == "ValidationFault"
    error = body["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("4000", "Error parsing query")
    assert error["Detail"].startswith("QueryParserError:")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM Invoice MAXRESULTS 1001",
        "SELECT * FROM Invoice WHERE Balance > '0' OR TotalAmt > '0'",
        "SELECT * FROM Invoice WHERE CustomerName = 'Hooli'",
        "SELECT * FROM Invoice STARTPOSITION 0",
        "SELECT * FROM Invoice i JOIN Payment p",
    ],
)
async def test_queries_qbo_refuses(qbo: QuickBooksEmulator, statement: str) -> None:
    """MAXRESULTS over 1000, OR, unknown fields, STARTPOSITION 0 and joins are refused."""
    status, body = await query(qbo, statement, method="POST")
    assert status == 400 and body["Fault"]["Error"][0]["code"] in ("4000", "4001")


async def test_query_grammar(qbo: QuickBooksEmulator) -> None:
    """COUNT, IN, LIKE, ranges, ORDERBY DESC, paging, projections; empty results omit the entity."""
    _, body = await query(qbo, "SELECT COUNT(*) FROM Invoice")
    assert body["QueryResponse"] == {"totalCount": len(qbo.invoices)} and "time" in body
    _, body = await query(qbo, "SELECT * FROM Invoice")
    assert len(body["QueryResponse"]["Invoice"]) == 100 and body["QueryResponse"]["startPosition"] == 1
    stark = ids_of(qbo, ["1004", "1009"])
    _, body = await query(
        qbo,
        f"select * from invoice where Id in ('{stark[0]}', '{stark[1]}') and Balance > '0' orderby TxnDate desc",
        method="POST",
    )
    assert [i["DocNumber"] for i in body["QueryResponse"]["Invoice"]] == ["1009"]
    _, body = await query(
        qbo,
        "SELECT Id, DocNumber FROM Invoice WHERE DocNumber LIKE 'R01%' "
        "ORDERBY DocNumber DESC STARTPOSITION 2 MAXRESULTS 2",
    )
    page = body["QueryResponse"]
    assert [i["DocNumber"] for i in page["Invoice"]] == ["R011", "R010"] and "TotalAmt" not in page["Invoice"][0]
    assert (page["startPosition"], page["maxResults"]) == (2, 2)
    _, body = await query(qbo, "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2030-01-01T00:00:00-08:00'")
    assert body["QueryResponse"] == {}
    _, body = await query(qbo, f"SELECT * FROM Payment WHERE TxnDate >= '{TODAY - timedelta(days=8)}'")
    assert {p["TotalAmt"] for p in body["QueryResponse"]["Payment"]} == {39200.0}


async def test_emulator_cdc_window_and_deletions(qbo: QuickBooksEmulator) -> None:
    """CDC refuses more than 30 days back and reports deleted invoices as status Deleted."""
    token = qbo.issue_access_token()
    path = f"/v3/company/{QBO_REALM_ID}/cdc"
    old = (qbo.now() - timedelta(days=31)).isoformat(timespec="seconds")
    status, body = await raw(qbo, "GET", path, token=token, params={"entities": "Invoice", "changedSince": old})
    assert status == 400 and "Fault" in body
    since = qbo.now().isoformat(timespec="seconds")
    gone = qbo.find_invoice("1025")
    qbo.delete_invoice(gone)
    status, body = await raw(
        qbo, "GET", path, token=token, params={"entities": "Invoice,Payment", "changedSince": since}
    )
    responses = body["CDCResponse"][0]["QueryResponse"]
    assert status == 200 and responses[0]["Invoice"][0] | {"MetaData": None} == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": gone,
        "MetaData": None,
    }
    assert responses[1] == {}


async def test_emulator_throttles_per_realm(qbo: QuickBooksEmulator) -> None:
    """Past the per-minute budget QBO answers 429 with Fault 3001 and Retry-After."""
    qbo.rate_limit = 3
    statuses = [(await query(qbo, "SELECT COUNT(*) FROM Customer"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, body = await query(qbo, "SELECT COUNT(*) FROM Customer")
    assert body["Fault"]["Error"][0]["code"] == "3001"
    assert [c for c in qbo.calls if c.status == 429]


async def test_sdk_object_helpers_work_against_the_emulator(qbo: QuickBooksEmulator) -> None:
    """python-quickbooks' own helpers parse what the emulator sends (GET by id, where, count, CDC, 610)."""
    qb = build_client(qbo.base_url + "/v3", QBO_REALM_ID, qbo.issue_access_token(), 5.0)
    gone = qbo.find_invoice("1025")
    qbo.delete_invoice(gone)

    def work() -> dict[str, Any]:
        out: dict[str, Any] = {"get": Invoice.get(qbo.find_invoice("1009"), qb=qb)}
        out["where"] = Invoice.where("Balance > '0' AND DueDate < '2026-11-01'", order_by="DueDate", qb=qb)
        out["count"] = Invoice.count(qb=qb)
        out["all"] = Payment.all(order_by="TxnDate DESC", max_results=5, qb=qb)
        out["filter"] = Customer.filter(DisplayName="Hooli", qb=qb)
        out["cdc"] = change_data_capture([Invoice, Payment], qbo.now().replace(tzinfo=None) - timedelta(days=20), qb=qb)
        for key, call in (
            ("missing", lambda: Invoice.get("999999", qb=qb)),
            (
                "old_cdc",
                lambda: change_data_capture([Invoice], qbo.now().replace(tzinfo=None) - timedelta(days=31), qb=qb),
            ),
        ):
            try:
                call()
            except (ObjectNotFoundException, ValidationException) as exc:
                out[key] = exc
        return out

    try:
        out = await asyncio.to_thread(work)
    finally:
        qb.session.close()
    invoice = out["get"]
    assert (invoice.DocNumber, invoice.Balance, invoice.CustomerRef.name) == (
        "1009",
        24687.5,
        "Stark Industries (Manufacturing)",
    )
    assert [(f.Name, f.StringValue) for f in invoice.CustomField] == [("Deal ID", "18340012005")]
    assert [i.DocNumber for i in out["where"]][:2] == ["1009", "1006"]
    assert out["count"] == len(qbo.invoices) and len(out["all"]) == 5
    assert [c.DisplayName for c in out["filter"]] == ["Hooli"]
    assert gone in [i.Id for i in out["cdc"].Invoice if getattr(i, "status", None) == "Deleted"]
    assert isinstance(out["missing"], ObjectNotFoundException) and isinstance(out["old_cdc"], ValidationException)
