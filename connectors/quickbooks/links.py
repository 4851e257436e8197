"""Link repair in QuickBooks: invoices with or without the deal field, and writing the deal ID onto one.

A mixin of `QuickBooksConnector` (connector.py), which provides `_call`, `query_all`, `by_ids`, the
store and the settings. Its methods are the `LinkRepair` port (connectors/ports.py), which the NetSuite
connector implements too (connectors/netsuite/links.py); `/account unlinked` sees only the port.

The deal field is found by name in whichever kind of custom field the company made it with: a legacy
string field (DefinitionId "1".."3", also named in Preferences) or one of the newer custom fields
(returned because every request asks for them). It is written in the shape it has: a sparse update
{Id, SyncToken, sparse, CustomField: [{DefinitionId, Type: "StringType", StringValue}]}; a stale
SyncToken (5010) re-reads the invoice and tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from connectors.errors import ConnectorError, NotFoundError
from connectors.quickbooks.money import amount, currency_of, deal_of, id_key
from connectors.quickbooks.sdk import SYSTEM, StaleObject
from connectors.types import InvoiceRef, LinkWrite

if TYPE_CHECKING:
    from connectors.ports import QuickBooksStore

log = logging.getLogger(__name__)
STALE_RETRIES: Final = 3  # re-reads after a 5010 before giving up
CUSTOMER_CHUNK: Final = 50  # customers per `CustomerRef IN (...)` query


class InvoiceLinks:
    """`recent_invoices()`, `invoices_of_customers()`, `deal_ids_carried()`, `put_deal_id_on_invoice()`."""

    if TYPE_CHECKING:  # provided by QuickBooksConnector
        realm_id: str
        store: QuickBooksStore
        deal_field: str
        app_url: str | None

        async def _call(self, method: str, *args: Any) -> Any: ...

        async def query_all(self, entity: str, where: str = "") -> list[dict]: ...

        async def by_ids(self, entity: str, ids: Sequence[str]) -> list[dict]: ...

        async def _ensure_index(self) -> None: ...

        async def sync_index(self, full: bool = False) -> int: ...

        def _entry(self, invoice: dict) -> tuple[str, str | None, str]: ...

    def invoice_ref(self, invoice: dict) -> InvoiceRef:
        """An invoice as link repair sees it."""
        customer = invoice.get("CustomerRef") or {}
        txn = invoice.get("TxnDate")
        return InvoiceRef(
            id=str(invoice["Id"]),
            doc_number=str(invoice["DocNumber"]) if invoice.get("DocNumber") else None,
            txn_date=date.fromisoformat(str(txn)[:10]) if txn else None,
            total=amount(invoice.get("TotalAmt")),
            currency=currency_of(invoice),
            customer_id=str(customer.get("value") or ""),
            customer_name=str(customer.get("name") or ""),
            deal_id=deal_of(invoice, self.deal_field),
            url=f"{self.app_url}/invoice?txnId={invoice['Id']}" if self.app_url else None,
        )

    async def recent_invoices(self, since: date) -> list[InvoiceRef]:
        """Every invoice dated on or after `since` (paged, MAXRESULTS ≤ 1000), oldest Id first."""
        found = await self.query_all("Invoice", f"TxnDate >= '{since.isoformat()}'")
        return [self.invoice_ref(inv) for inv in sorted(found, key=lambda inv: id_key(inv["Id"]))]

    async def invoices_of_customers(self, customer_ids: Sequence[str]) -> list[InvoiceRef]:
        """Every invoice of these customers (`CustomerRef IN (...)` in chunks, every page)."""
        wanted = sorted({c for c in customer_ids if c}, key=id_key)
        out: list[InvoiceRef] = []
        for start in range(0, len(wanted), CUSTOMER_CHUNK):
            chunk = ", ".join("'" + c.replace("'", "\\'") + "'" for c in wanted[start : start + CUSTOMER_CHUNK])
            out += [self.invoice_ref(inv) for inv in await self.query_all("Invoice", f"CustomerRef IN ({chunk})")]
        return out

    async def deal_ids_carried(self) -> dict[str, int]:
        """Deal ID -> how many invoices carry it, from the index (brought up to date first: CDC, or a full scan)."""
        await self.sync_index()
        return await self.store.indexed_deal_ids(self.realm_id)

    async def invoice_ids_carrying(self, deal_ids: Sequence[str]) -> dict[str, list[str]]:
        """Deal ID -> ids of the indexed invoices carrying it (deal IDs carried by none left out)."""
        return await self.store.invoices_for_many(self.realm_id, deal_ids)

    async def put_deal_id_on_invoice(self, invoice_id: str, deal_id: str) -> LinkWrite:
        """Write `deal_id` into the invoice's deal field (sparse update); nothing when it carries it already."""
        invoice_id, deal_id = str(invoice_id).strip(), deal_id.strip()
        for attempt in range(STALE_RETRIES + 1):
            invoice = await self._read_invoice(invoice_id)
            if deal_of(invoice, self.deal_field) == deal_id:
                await self.store.upsert_invoices(self.realm_id, [self._entry(invoice)])
                return LinkWrite(invoice_id, written=False, detail="carried it already")
            definition = self._definition_on(invoice) or await self._deal_definition()
            body = {
                "Id": invoice_id,
                "SyncToken": str(invoice.get("SyncToken", "")),
                "sparse": True,
                "CustomField": [{"DefinitionId": definition, "Type": "StringType", "StringValue": deal_id}],
            }
            try:
                data = await self._call("update_object", "Invoice", json.dumps(body))
            except StaleObject:
                log.info("QuickBooks invoice %s changed meanwhile (5010, try %d); re-reading", invoice_id, attempt + 1)
                continue
            written = (data or {}).get("Invoice") or {}
            if deal_of(written, self.deal_field) != deal_id:  # QBO drops an unknown DefinitionId silently
                raise ConnectorError(
                    SYSTEM,
                    f"QuickBooks accepted the update of invoice {invoice_id} but did not keep the field "
                    f"{self.deal_field!r} (DefinitionId {definition}): check QBO_DEAL_FIELD",
                )
            await self.store.upsert_invoices(self.realm_id, [self._entry(written)])
            return LinkWrite(invoice_id, written=True)
        raise ConnectorError(
            SYSTEM, f"invoice {invoice_id} kept changing in QuickBooks (5010 {STALE_RETRIES + 1} times): try again"
        )

    async def _read_invoice(self, invoice_id: str) -> dict:
        found = await self.by_ids("Invoice", [invoice_id])
        if not found:
            raise NotFoundError(SYSTEM, f"QuickBooks has no invoice {invoice_id}")
        return found[0]

    def _definition_on(self, invoice: dict) -> str | None:
        wanted = self.deal_field.strip().lower()
        for field in invoice.get("CustomField") or ():
            if str(field.get("Name", "")).strip().lower() == wanted and field.get("DefinitionId"):
                return str(field["DefinitionId"])
        return None

    async def _deal_definition(self) -> str:
        """The deal field's DefinitionId: from an invoice that carries it, else Preferences (legacy fields)."""
        carried = await self.store.indexed_deal_ids(self.realm_id)
        for deal in list(carried)[:3]:
            for invoice in await self.by_ids("Invoice", (await self.store.invoices_for(self.realm_id, deal))[:1]):
                if (found := self._definition_on(invoice)) is not None:
                    return found
        data = await self._call("query", "SELECT * FROM Preferences")
        prefs = ((data.get("QueryResponse") or {}).get("Preferences") or [{}])[0]
        wanted = self.deal_field.strip().lower()
        for group in (prefs.get("SalesFormsPrefs") or {}).get("CustomField") or ():
            for item in group.get("CustomField") or ():
                name = str(item.get("Name", ""))
                if name.startswith("SalesFormsPrefs.SalesCustomName") and (
                    str(item.get("StringValue", "")).strip().lower() == wanted
                ):
                    return name.removeprefix("SalesFormsPrefs.SalesCustomName")
        raise ConnectorError(
            SYSTEM,
            f"no invoice carries the field {self.deal_field!r} and Preferences names no such field: "
            "add it to one invoice in QuickBooks (or set QBO_DEAL_FIELD to the field's exact name)",
        )

    async def deal_field_problem(self, *, sync: bool = True) -> str | None:
        """For doctor: the words to show when no invoice carries the deal field at all (None when some do).

        With `sync` the index is brought up to date first; without, only the store is read (/healthz).
        """
        if sync:
            await self._ensure_index()
        total = await self.store.invoice_count(self.realm_id)
        if not total or await self.store.indexed_deal_ids(self.realm_id):
            return None
        return (
            f"QuickBooks: no invoice carries the field {self.deal_field!r}: none of the {total} invoices read has a "
            "custom field of that name with a value, so every card's Money section is empty. Check that "
            f"QBO_DEAL_FIELD is spelled as the field is named in QuickBooks; a field made with QuickBooks' newer "
            "custom fields needs QuickBooks Plus or Advanced. Then put the deal ID on the invoices "
            "(`/account unlinked` suggests which)."
        )
