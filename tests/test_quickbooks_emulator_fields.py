"""The QBO emulator's two kinds of custom field: legacy string fields on every read, enhanced fields only
with include=enhancedAllCustomFields (query, read by id, CDC), Preferences, and the `custom_fields` switch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.preferences import Preferences

from connectors.quickbooks.sdk import build_client
from sandbox.book import DEMO_ACCOUNTS, QBO_REALM_ID
from sandbox.quickbooks import QuickBooksEmulator
from sandbox.quickbooks.fields import ENHANCED_DEAL, INCLUDE_ENHANCED, LEGACY_DEAL
from sandbox.server import Sandbox
from tests.conftest import TODAY
from tests.test_quickbooks import raw

STARK = "18340012005"
COMPANY = f"/v3/company/{QBO_REALM_ID}"
ENHANCED_ENTRY = {
    "DefinitionId": ENHANCED_DEAL.definition_id,
    "Name": "Deal ID",
    "Type": "StringType",
    "StringValue": STARK,
}


@pytest.fixture
async def enhanced(serve: Callable) -> QuickBooksEmulator:
    """A company whose "Deal ID" is a field of the newer custom-field feature."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, custom_fields="enhanced"))


@pytest.fixture
async def legacy(serve: Callable) -> QuickBooksEmulator:
    """A company whose "Deal ID" is a legacy string custom field (the default)."""
    return await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY))


async def get(qbo: QuickBooksEmulator, path: str, **params: str) -> Any:
    """GET a company path with a fresh token; the JSON body (asserting 200)."""
    status, body = await raw(
        qbo, "GET", COMPANY + path, token=qbo.issue_access_token(), params={"minorversion": "75", **params}
    )
    assert status == 200, body
    return body


def names(invoice: dict) -> list[str]:
    """Names of an invoice's custom fields, in order."""
    return [f["Name"] for f in invoice.get("CustomField", [])]


async def test_enhanced_field_is_missing_from_plain_reads(enhanced: QuickBooksEmulator) -> None:
    """Query, read by id and CDC leave the enhanced deal field out; the legacy PO Number still shows."""
    iid = enhanced.find_invoice("1009")
    read = (await get(enhanced, f"/invoice/{iid}"))["Invoice"]
    queried = (await get(enhanced, "/query", query=f"SELECT * FROM Invoice WHERE Id = '{iid}'"))["QueryResponse"]
    since = (enhanced.now() - timedelta(days=29)).isoformat(timespec="seconds")
    cdc = (await get(enhanced, "/cdc", entities="Invoice", changedSince=since))["CDCResponse"][0]["QueryResponse"][0]
    assert names(read) == names(queried["Invoice"][0]) == []
    assert all("Deal ID" not in names(inv) for inv in cdc["Invoice"])
    assert any(names(inv) == ["PO Number"] for inv in cdc["Invoice"])
    assert enhanced.deal_of(iid) == STARK


async def test_include_returns_the_enhanced_field_in_customfield(enhanced: QuickBooksEmulator) -> None:
    """With include=enhancedAllCustomFields every read carries it in CustomField[], DefinitionId = legacyIDV2."""
    iid = enhanced.find_invoice("1009")
    read = (await get(enhanced, f"/invoice/{iid}", include=INCLUDE_ENHANCED))["Invoice"]
    queried = (
        await get(enhanced, "/query", query=f"SELECT * FROM Invoice WHERE Id = '{iid}'", include=INCLUDE_ENHANCED)
    )["QueryResponse"]["Invoice"][0]
    since = (enhanced.now() - timedelta(days=29)).isoformat(timespec="seconds")
    cdc = await get(enhanced, "/cdc", entities="Invoice", changedSince=since, include=INCLUDE_ENHANCED)
    changed = [i for i in cdc["CDCResponse"][0]["QueryResponse"][0]["Invoice"] if enhanced.deal_of(i["Id"])]
    assert read["CustomField"] == queried["CustomField"] == [ENHANCED_ENTRY] and changed
    assert all(
        [f for f in i["CustomField"] if f["Name"] == "Deal ID"]
        == [ENHANCED_ENTRY | {"StringValue": enhanced.deal_of(i["Id"])}]
        for i in changed
    )
    assert ENHANCED_DEAL.definition_id.isdigit() and ENHANCED_DEAL.definition_id != LEGACY_DEAL.definition_id


async def test_include_works_whatever_minorversion_is_sent(enhanced: QuickBooksEmulator) -> None:
    """Minor versions below 75 are served as 75 (Intuit, August 2025), so include works with them, and without one."""
    iid = enhanced.find_invoice("1009")
    for params in ({"minorversion": "65", "include": INCLUDE_ENHANCED}, {"include": INCLUDE_ENHANCED}):
        status, body = await raw(
            enhanced, "GET", f"{COMPANY}/invoice/{iid}", token=enhanced.issue_access_token(), params=params
        )
        assert status == 200 and body["Invoice"]["CustomField"] == [ENHANCED_ENTRY]


@pytest.mark.parametrize("value", ["enhancedallcustomfields", "allCustomFields", "void"])
async def test_other_include_values_do_not_reveal_it(enhanced: QuickBooksEmulator, value: str) -> None:
    """Only the exact parameter value asks for the enhanced fields."""
    read = (await get(enhanced, f"/invoice/{enhanced.find_invoice('1009')}", include=value))["Invoice"]
    assert "Deal ID" not in names(read)


async def test_legacy_field_shows_with_and_without_include(legacy: QuickBooksEmulator) -> None:
    """A legacy string field comes back on every read; include changes nothing."""
    iid = legacy.find_invoice("1009")
    plain = (await get(legacy, f"/invoice/{iid}"))["Invoice"]["CustomField"]
    included = (await get(legacy, f"/invoice/{iid}", include=INCLUDE_ENHANCED))["Invoice"]["CustomField"]
    assert plain == included == [{"DefinitionId": "2", "Name": "Deal ID", "Type": "StringType", "StringValue": STARK}]


async def test_sdk_reads_with_include(enhanced: QuickBooksEmulator) -> None:
    """python-quickbooks passes include through Invoice.get(params=) and qb.query(params=)."""
    qb = build_client(
        enhanced.base_url + "/v3", QBO_REALM_ID, enhanced.issue_access_token(), 5.0, include_enhanced=False
    )
    iid = enhanced.find_invoice("1009")

    def work() -> tuple[Invoice, Invoice, dict]:
        plain = Invoice.get(iid, qb=qb)
        included = Invoice.get(iid, qb=qb, params={"include": INCLUDE_ENHANCED})
        queried = qb.query(f"SELECT * FROM Invoice WHERE Id = '{iid}'", params={"include": INCLUDE_ENHANCED})
        return plain, included, queried

    try:
        plain, included, queried = await asyncio.to_thread(work)
    finally:
        qb.session.close()
    assert plain.CustomField == []
    assert [(f.DefinitionId, f.Name, f.StringValue) for f in included.CustomField] == [
        (ENHANCED_DEAL.definition_id, "Deal ID", STARK)
    ]
    assert queried["QueryResponse"]["Invoice"][0]["CustomField"] == [ENHANCED_ENTRY]
    sent = [c for c in enhanced.calls if c.path.endswith(f"/invoice/{iid}")]
    assert [c.query for c in sent] == [{"minorversion": "75"}, {"include": INCLUDE_ENHANCED, "minorversion": "75"}]


def _prefs(body: dict) -> list[list[tuple[str, Any]]]:
    return [
        [(f["Name"], f.get("BooleanValue", f.get("StringValue"))) for f in group["CustomField"]]
        for group in body["SalesFormsPrefs"]["CustomField"]
    ]


async def test_preferences_list_legacy_fields_only(legacy: QuickBooksEmulator, enhanced: QuickBooksEmulator) -> None:
    """SalesFormsPrefs.CustomField: a group of UseSalesCustomN flags and one of names; enhanced fields are absent."""
    flags = [
        ("SalesFormsPrefs.UseSalesCustom1", True),
        ("SalesFormsPrefs.UseSalesCustom2", True),
        ("SalesFormsPrefs.UseSalesCustom3", False),
    ]
    assert _prefs((await get(legacy, "/preferences"))["Preferences"]) == [
        flags,
        [("SalesFormsPrefs.SalesCustomName1", "PO Number"), ("SalesFormsPrefs.SalesCustomName2", "Deal ID")],
    ]
    queried = (await get(enhanced, "/query", query="SELECT * FROM Preferences"))["QueryResponse"]
    assert _prefs(queried["Preferences"][0]) == [
        [flags[0], (flags[1][0], False), flags[2]],
        [("SalesFormsPrefs.SalesCustomName1", "PO Number")],
    ]


async def test_sdk_reads_preferences(legacy: QuickBooksEmulator) -> None:
    """python-quickbooks' Preferences.get parses the emulator's Preferences."""
    qb = build_client(legacy.base_url + "/v3", QBO_REALM_ID, legacy.issue_access_token(), 5.0, include_enhanced=False)
    try:
        prefs = await asyncio.to_thread(Preferences.get, qb)
    finally:
        qb.session.close()
    groups = prefs.SalesFormsPrefs.CustomField  # the SDK leaves these groups as plain dicts
    assert [f["StringValue"] for f in groups[1]["CustomField"]] == ["PO Number", "Deal ID"]


async def test_preferences_take_no_filters_on_custom_fields(legacy: QuickBooksEmulator) -> None:
    """The query grammar's refusals hold for Preferences too."""
    status, body = await raw(
        legacy,
        "GET",
        f"{COMPANY}/query",
        token=legacy.issue_access_token(),
        params={"query": "SELECT * FROM Preferences WHERE SalesFormsPrefs = 'x'"},
    )
    assert status == 400 and body["Fault"]["Error"][0]["code"] == "4000"


def test_switch_is_checked_and_can_be_flipped() -> None:
    """`custom_fields` accepts legacy or enhanced; flipping it moves the stored deal values to the other kind."""
    with pytest.raises(ValueError):
        QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=0, custom_fields="custom")  # type: ignore[arg-type]
    qbo = QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=0)
    iid = qbo.find_invoice("1009")
    qbo.custom_fields = "enhanced"
    assert qbo.invoices[iid]["CustomField"][-1] == ENHANCED_ENTRY and qbo.deal_of(iid) == STARK
    qbo.custom_fields = "legacy"
    assert qbo.invoices[iid]["CustomField"][-1]["DefinitionId"] == "2" and qbo.deal_of(iid) == STARK


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
def test_set_deal_and_deal_of_in_both_modes(mode: str) -> None:
    """set_deal writes the company's kind of field (leaving PO Number), deal_of reads it back, None clears it."""
    qbo = QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=0, custom_fields=mode)  # type: ignore[arg-type]
    iid = next(
        i for i, inv in qbo.invoices.items() if [f["Name"] for f in inv["CustomField"]] == ["PO Number", "Deal ID"]
    )
    token = qbo.invoices[iid]["SyncToken"]
    qbo.set_deal(iid, "18340099999")
    want = (ENHANCED_DEAL if mode == "enhanced" else LEGACY_DEAL).definition_id
    assert [f["DefinitionId"] for f in qbo.invoices[iid]["CustomField"]] == ["1", want]
    assert qbo.deal_of(iid) == "18340099999" and qbo.invoices[iid]["SyncToken"] == str(int(token) + 1)
    qbo.set_deal(iid, None)
    assert qbo.deal_of(iid) is None and names(qbo.invoices[iid]) == ["PO Number"]


def test_sandbox_passes_the_switch_through() -> None:
    """Sandbox(qbo_custom_fields=...) builds the demo book's QuickBooks company that way; legacy by default."""
    assert Sandbox(today=TODAY).quickbooks.custom_fields == "legacy"
    built = Sandbox(today=TODAY, qbo_custom_fields="enhanced").quickbooks
    assert built.custom_fields == "enhanced" and built.deal_of(built.find_invoice("1009")) == STARK
