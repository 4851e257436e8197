"""What python-quickbooks 0.9.12 sends for invoice updates, against the QBO emulator: a raw sparse body through
qb.update_object, the SDK's own Invoice objects (read-modify-save, and the bare sparse object), and 5010."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.base import CustomField
from quickbooks.objects.invoice import Invoice

from connectors.quickbooks.sdk import Client, build_client
from sandbox.book import DEMO_ACCOUNTS, QBO_REALM_ID
from sandbox.quickbooks import QuickBooksEmulator
from sandbox.quickbooks.fields import ENHANCED_DEAL, INCLUDE_ENHANCED
from tests.conftest import TODAY

NEW_DEAL = "18340012777"
OLD_DEAL = "18340012005"
INCLUDE = {"include": INCLUDE_ENHANCED}


@pytest.fixture(params=["legacy", "enhanced"])
async def qbo(serve: Callable, request: pytest.FixtureRequest) -> QuickBooksEmulator:
    """A company of either kind of custom field."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, custom_fields=request.param))


def deal_definition(qbo: QuickBooksEmulator) -> str:
    """The DefinitionId the company's deal field has."""
    return ENHANCED_DEAL.definition_id if qbo.custom_fields == "enhanced" else "2"


async def run(qbo: QuickBooksEmulator, work: Callable[[Client], Any]) -> Any:
    """Run SDK calls in a thread with a client pointed at the emulator; the result or the SDK's exception."""
    qb = build_client(qbo.base_url + "/v3", QBO_REALM_ID, qbo.issue_access_token(), 5.0, include_enhanced=False)

    def guarded() -> Any:
        try:
            return work(qb)
        except QuickbooksException as exc:
            return exc

    try:
        return await asyncio.to_thread(guarded)
    finally:
        qb.session.close()


async def test_raw_sparse_body_through_update_object(qbo: QuickBooksEmulator) -> None:
    """qb.update_object("Invoice", json, params=include): POST .../invoice?minorversion=75&include=…, JSON body."""
    iid = qbo.find_invoice("1009")
    body = {
        "Id": iid,
        "SyncToken": qbo.invoices[iid]["SyncToken"],
        "sparse": True,
        "CustomField": [{"DefinitionId": deal_definition(qbo), "Type": "StringType", "StringValue": NEW_DEAL}],
    }
    qbo.reset_calls()
    result = await run(qbo, lambda qb: qb.update_object("Invoice", json.dumps(body), params=dict(INCLUDE)))
    assert not isinstance(result, Exception) and qbo.deal_of(iid) == NEW_DEAL
    assert [f["StringValue"] for f in result["Invoice"]["CustomField"]] == [NEW_DEAL]
    (call,) = qbo.calls
    assert (call.method, call.path, call.query) == (
        "POST",
        f"/v3/company/{QBO_REALM_ID}/invoice",
        {"minorversion": "75", **INCLUDE},
    )
    assert call.headers["Content-Type"] == "application/json" and call.headers["Accept"] == "application/json"
    assert call.body == body


async def test_read_modify_save_is_a_full_update_that_keeps_the_rest(qbo: QuickBooksEmulator) -> None:
    """Invoice.get(params=include), change the deal field, save(params=include): the other properties stay."""
    iid = next(
        i for i, inv in qbo.invoices.items() if [f["Name"] for f in inv["CustomField"]] == ["PO Number", "Deal ID"]
    )
    before = json.loads(json.dumps(qbo.invoices[iid], default=str))

    def work(qb: Client) -> Invoice:
        invoice = Invoice.get(iid, qb=qb, params=dict(INCLUDE))
        next(f for f in invoice.CustomField if f.Name == "Deal ID").StringValue = NEW_DEAL
        return invoice.save(qb=qb, params=dict(INCLUDE))

    saved = await run(qbo, work)
    assert isinstance(saved, Invoice) and qbo.deal_of(iid) == NEW_DEAL
    after = qbo.invoices[iid]
    assert after["CustomField"][0] == before["CustomField"][0]  # PO Number untouched
    for key in ("DocNumber", "TxnDate", "DueDate", "EmailStatus", "CustomerRef"):
        assert after[key] == before[key]
    assert after["SyncToken"] == str(int(before["SyncToken"]) + 1) == saved.SyncToken
    assert [call.body.get("sparse") for call in qbo.calls if call.method == "POST"] == [False]


async def test_read_without_include_then_full_update_keeps_the_enhanced_field(qbo: QuickBooksEmulator) -> None:
    """A full update that could not see the enhanced field (no include) leaves it as it was."""
    iid = qbo.find_invoice("1009")

    def work(qb: Client) -> Invoice:
        invoice = Invoice.get(iid, qb=qb)
        invoice.PrivateNote = "checked"
        return invoice.save(qb=qb)

    assert isinstance(await run(qbo, work), Invoice)
    assert qbo.invoices[iid]["PrivateNote"] == "checked" and qbo.deal_of(iid) == OLD_DEAL


async def test_bare_sdk_invoice_as_sparse_update_is_refused(qbo: QuickBooksEmulator) -> None:
    """Invoice() carries defaults (Line: [], TxnDate: "", EmailStatus: "NotSet", ...): a Line is wanted, no change."""
    iid = qbo.find_invoice("1009")
    before = json.dumps(qbo.invoices[iid], default=str)

    def work(qb: Client) -> Invoice:
        invoice = Invoice()
        invoice.Id, invoice.SyncToken, invoice.sparse = iid, qbo.invoices[iid]["SyncToken"], True
        field = CustomField()
        field.DefinitionId, field.Type, field.StringValue = deal_definition(qbo), "StringType", NEW_DEAL
        invoice.CustomField = [field]
        return invoice.save(qb=qb, params=dict(INCLUDE))

    refused = await run(qbo, work)
    assert isinstance(refused, ValidationException) and refused.error_code == 2020
    assert "Line" in refused.detail and json.dumps(qbo.invoices[iid], default=str) == before


async def test_stale_save_raises_5010_as_a_plain_quickbooks_exception(qbo: QuickBooksEmulator) -> None:
    """The SDK maps 5010 to neither ValidationException (2000-4999) nor SevereException: a bare QuickbooksException."""
    iid = qbo.find_invoice("1009")

    def work(qb: Client) -> Invoice:
        invoice = Invoice.get(iid, qb=qb, params=dict(INCLUDE))
        qbo.edit_invoice_elsewhere(iid)
        return invoice.save(qb=qb, params=dict(INCLUDE))

    stale = await run(qbo, work)
    assert type(stale) is QuickbooksException and stale.error_code == 5010
    assert stale.message == "Stale Object Error" and qbo.deal_of(iid) == OLD_DEAL
