"""Invoice updates against the QBO emulator: the sparse update that writes the deal field (both kinds of
custom field), 5010 on a stale SyncToken, the faults for malformed bodies, and what python-quickbooks sends."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.book import DEMO_ACCOUNTS, QBO_REALM_ID
from sandbox.quickbooks import QuickBooksEmulator
from sandbox.quickbooks.fields import ENHANCED_DEAL, INCLUDE_ENHANCED
from tests.conftest import TODAY
from tests.test_quickbooks import raw

PATH = f"/v3/company/{QBO_REALM_ID}/invoice"
NEW_DEAL = "18340012777"
STALE_DETAIL = (
    "Stale Object Error : You and Pat Bookkeeper were working on this at the same time. Pat Bookkeeper "
    "finished before you did, so your work was not saved."
)


@pytest.fixture
async def qbo(serve: Callable) -> QuickBooksEmulator:
    """A legacy-custom-field company."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def enhanced(serve: Callable) -> QuickBooksEmulator:
    """A company whose "Deal ID" is a field of the newer custom-field feature."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, custom_fields="enhanced"))


def sparse(qbo: QuickBooksEmulator, iid: str, definition_id: str = "2", value: str = NEW_DEAL, **extra: Any) -> dict:
    """The sparse update body that writes one string custom field of invoice `iid`."""
    return {
        "Id": iid,
        "SyncToken": qbo.invoices[iid]["SyncToken"],
        "sparse": True,
        "CustomField": [{"DefinitionId": definition_id, "Type": "StringType", "StringValue": value}],
    } | extra


async def post(qbo: QuickBooksEmulator, body: Any, *, include: bool = False, **kwargs: Any) -> tuple[int, Any]:
    """POST .../invoice?minorversion=75 (and include) with a JSON body, as the SDK sends it."""
    params = {"minorversion": "75"} | ({"include": INCLUDE_ENHANCED} if include else {})
    send = {"data": body, "headers": kwargs.pop("headers")} if "headers" in kwargs else {"json": body}
    return await raw(qbo, "POST", PATH, token=qbo.issue_access_token(), params=params, **send, **kwargs)


def error(body: dict) -> tuple[str, str, str]:
    """(code, Message, Detail) of the first Fault error."""
    first = body["Fault"]["Error"][0]
    return first["code"], first["Message"], first["Detail"]


async def test_sparse_update_writes_the_legacy_deal_field(qbo: QuickBooksEmulator) -> None:
    """200 with the invoice; SyncToken +1, LastUpdatedTime moves, CDC reports it, an Update webhook is queued."""
    iid = qbo.find_invoice("1009")
    before = dict(qbo.invoices[iid], MetaData=dict(qbo.invoices[iid]["MetaData"]))
    since = qbo.now().isoformat(timespec="seconds")
    status, body = await post(qbo, sparse(qbo, iid))
    assert status == 200 and qbo.deal_of(iid) == NEW_DEAL
    invoice = body["Invoice"]
    assert invoice["SyncToken"] == str(int(before["SyncToken"]) + 1) == qbo.invoices[iid]["SyncToken"]
    assert invoice["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]
    assert invoice["CustomField"] == [
        {"DefinitionId": "2", "Name": "Deal ID", "Type": "StringType", "StringValue": NEW_DEAL}
    ]
    assert {k: invoice[k] for k in ("DocNumber", "TxnDate", "DueDate", "EmailStatus")} == {
        k: before[k] for k in ("DocNumber", "TxnDate", "DueDate", "EmailStatus")
    }
    status, cdc = await raw(
        qbo,
        "GET",
        f"/v3/company/{QBO_REALM_ID}/cdc",
        token=qbo.issue_access_token(),
        params={"entities": "Invoice", "changedSince": since},
    )
    assert [i["Id"] for i in cdc["CDCResponse"][0]["QueryResponse"][0]["Invoice"]] == [iid]
    assert qbo.webhook_changes == [("Invoice", iid, "Update")]
    legacy, _ = qbo.webhook_delivery(qbo.webhook_changes, format="legacy")
    entity = json.loads(legacy)["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    assert (entity["name"], entity["id"], entity["operation"]) == ("Invoice", iid, "Update")
    delivery = qbo.pending_webhook_delivery()
    assert delivery is not None and [(e["type"], e["intuitentityid"]) for e in json.loads(delivery[0])] == [
        ("qbo.invoice.updated.v1", iid)
    ]


async def test_stale_synctoken_gets_5010(qbo: QuickBooksEmulator) -> None:
    """Someone saved the invoice meanwhile: the old SyncToken gets QBO's Stale Object Error; re-read and retry works."""
    iid = qbo.find_invoice("1009")
    body = sparse(qbo, iid)
    qbo.edit_invoice_elsewhere(iid)
    assert qbo.webhook_changes == [("Invoice", iid, "Update")]
    status, fault = await post(qbo, body)
    assert status == 400 and fault["Fault"]["type"] == "ValidationFault"
    assert error(fault) == ("5010", "Stale Object Error", STALE_DETAIL)
    assert qbo.deal_of(iid) == "18340012005"
    status, _ = await post(qbo, sparse(qbo, iid))
    assert status == 200 and qbo.deal_of(iid) == NEW_DEAL


@pytest.mark.parametrize(
    ("drop", "code", "detail"),
    [
        ("SyncToken", "2020", "Required parameter SyncToken is missing in the request"),
        ("Id", "2020", "Required parameter Line is missing in the request"),  # without an Id the POST is a create
    ],
)
async def test_missing_id_or_synctoken_is_refused(qbo: QuickBooksEmulator, drop: str, code: str, detail: str) -> None:
    """Without SyncToken QBO wants it; without Id the body is a create that lacks Line."""
    iid = qbo.find_invoice("1009")
    body = sparse(qbo, iid)
    del body[drop]
    status, fault = await post(qbo, body)
    assert status == 400 and error(fault)[0::2] == (code, detail)
    assert qbo.deal_of(iid) == "18340012005" and not qbo.webhook_changes


async def test_unknown_invoice_is_610(qbo: QuickBooksEmulator) -> None:
    """An Id the company does not have (or deleted) is Object Not Found."""
    iid = qbo.find_invoice("1025")
    body = sparse(qbo, iid)
    qbo.delete_invoice(iid)
    status, fault = await post(qbo, body)
    assert status == 400 and error(fault)[0] == "610"


async def test_enhanced_field_is_written_in_its_own_shape_with_include(enhanced: QuickBooksEmulator) -> None:
    """DefinitionId = legacyIDV2, Type StringType, StringValue; the response shows it because include was sent."""
    iid = enhanced.find_invoice("1009")
    status, body = await post(enhanced, sparse(enhanced, iid, ENHANCED_DEAL.definition_id), include=True)
    assert status == 200 and enhanced.deal_of(iid) == NEW_DEAL
    assert body["Invoice"]["CustomField"] == [
        {"DefinitionId": ENHANCED_DEAL.definition_id, "Name": "Deal ID", "Type": "StringType", "StringValue": NEW_DEAL}
    ]


@pytest.mark.parametrize(
    ("definition_id", "include"),
    [
        ("2", True),  # the legacy shape: this company has no legacy "Deal ID" field
        (ENHANCED_DEAL.definition_id, False),  # the enhanced field, but the request did not include it
        ("7", True),  # no such definition at all
    ],
)
async def test_fields_the_company_cannot_take_are_dropped_silently(
    enhanced: QuickBooksEmulator, definition_id: str, include: bool
) -> None:
    """QBO answers 200 and leaves the entry out: the writer has to compare the response with what it sent."""
    iid = enhanced.find_invoice("1009")
    status, body = await post(enhanced, sparse(enhanced, iid, definition_id), include=include)
    assert status == 200 and enhanced.deal_of(iid) == "18340012005"
    assert NEW_DEAL not in json.dumps(body["Invoice"]["CustomField"])


async def test_sparse_update_leaves_other_custom_fields(qbo: QuickBooksEmulator) -> None:
    """Writing the deal field keeps the PO Number; a full update clears what it leaves out."""
    iid = next(
        i for i, inv in qbo.invoices.items() if [f["Name"] for f in inv["CustomField"]] == ["PO Number", "Deal ID"]
    )
    po = qbo.invoices[iid]["CustomField"][0]
    status, body = await post(qbo, sparse(qbo, iid))
    assert status == 200 and body["Invoice"]["CustomField"][0] == po and qbo.deal_of(iid) == NEW_DEAL
    inv = qbo.invoices[iid]
    full = {k: inv[k] for k in ("Id", "SyncToken", "Line", "CustomerRef")} | {
        "CustomField": [{"DefinitionId": "2", "StringValue": "18340012888"}]
    }
    status, body = await post(qbo, json.loads(json.dumps(full, default=str)))
    assert status == 200 and body["Invoice"]["CustomField"][0] == {k: po[k] for k in ("DefinitionId", "Name", "Type")}
    assert qbo.deal_of(iid) == "18340012888" and "EmailStatus" not in qbo.invoices[iid]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"CustomField": [{"DefinitionId": "udcf_1000000001", "Type": "StringType", "StringValue": NEW_DEAL}]}, "2010"),
        ({"CustomField": [{"DefinitionId": "2", "Type": "NumberType", "StringValue": NEW_DEAL}]}, "2010"),
        ({"CustomField": [{"DefinitionId": "2", "Type": "StringType", "NumberValue": 5}]}, "2010"),
        ({"CustomField": [{"DefinitionId": "2", "Type": "Text", "StringValue": NEW_DEAL}]}, "2010"),
        ({"CustomField": [{"DefinitionId": "2", "Type": "StringType", "StringValue": "x" * 32}]}, "2050"),
        ({"CustomField": {"DefinitionId": "2", "StringValue": NEW_DEAL}}, "2010"),
        ({"DealId": NEW_DEAL}, "2010"),
        ({"sparse": "yes"}, "2010"),
        ({"TxnDate": "25/11/2026"}, "2010"),
        ({"EmailStatus": "Sent"}, "2170"),
        ({"DocNumber": "D" * 22}, "2050"),
        ({"Line": []}, "2020"),
        ({"Line": [{"Id": "1", "Amount": 1, "DetailType": "SalesItemLineDetail"}]}, "6000"),
        ({"CustomerRef": {"value": "1"}}, "6000"),
    ],
)
async def test_malformed_updates_are_refused_and_change_nothing(
    qbo: QuickBooksEmulator, change: dict, code: str
) -> None:
    """GraphQL ids, Type/value mismatches, over-long values, unknown properties, bad dates and enums, line edits."""
    iid = qbo.find_invoice("1009")
    before = json.dumps(qbo.invoices[iid], default=str)
    status, fault = await post(qbo, sparse(qbo, iid) | change)
    assert status == 400 and error(fault)[0] == code and fault["Fault"]["type"] == "ValidationFault"
    assert json.dumps(qbo.invoices[iid], default=str) == before and not qbo.webhook_changes


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('["Id", "1"]', "application/json"),
        (None, "application/text"),
    ],
)
async def test_bodies_qbo_cannot_read(qbo: QuickBooksEmulator, data: str | None, content_type: str) -> None:
    """Not JSON, not an object, or not sent as application/json: 2010."""
    payload = data if data is not None else json.dumps(sparse(qbo, qbo.find_invoice("1009")))
    status, fault = await post(qbo, payload, headers={"Content-Type": content_type})
    assert status == 400 and error(fault)[0] == "2010"


async def test_full_update_needs_line_and_customer(qbo: QuickBooksEmulator) -> None:
    """Without sparse the update is full: Line and CustomerRef are required."""
    iid = qbo.find_invoice("1009")
    body = sparse(qbo, iid)
    del body["sparse"]
    status, fault = await post(qbo, body)
    assert status == 400 and error(fault)[0::2] == ("2020", "Required parameter Line is missing in the request")


async def test_writes_need_a_token_and_obey_throttling(qbo: QuickBooksEmulator) -> None:
    """The write path is guarded like the reads: 401 without a token, 3001 past the budget."""
    body = sparse(qbo, qbo.find_invoice("1009"))
    status, fault = await raw(qbo, "POST", PATH, json=body)
    assert status == 401 and error(fault)[0] == "3200"
    qbo.rate_limit = 1
    assert (await post(qbo, body))[0] == 200
    status, fault = await post(qbo, body)
    assert status == 429 and error(fault)[0] == "3001"


async def test_other_operations_are_not_modelled(qbo: QuickBooksEmulator) -> None:
    """Only updates are modelled: ?operation=delete is refused rather than silently taken for an update."""
    iid = qbo.find_invoice("1009")
    status, fault = await raw(
        qbo,
        "POST",
        PATH,
        token=qbo.issue_access_token(),
        json=sparse(qbo, iid),
        params={"minorversion": "75", "operation": "delete"},
    )
    assert status == 400 and error(fault)[0] == "6000" and iid in qbo.invoices
