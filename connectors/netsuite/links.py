"""Link repair in NetSuite: invoices with or without the deal field (SuiteQL), and writing the deal ID
onto one (the record API's PATCH), keeping the store's invoice index current.

A mixin of `NetSuiteConnector` (connector.py), which provides the client, `_rows`, `_chunked`,
`currencies`, `_remember`, the store and the settings. The methods are those of the `LinkRepair`
port (connectors/ports.py), which the QuickBooks connector implements too.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from connectors.netsuite import queries
from connectors.netsuite.money import InvoiceRow, id_key
from connectors.netsuite.types import UnlinkedInvoice
from connectors.types import InvoiceRef, LinkWrite

if TYPE_CHECKING:
    from connectors.netsuite.client import NetSuiteClient
    from connectors.ports import NetSuiteStore

log = logging.getLogger(__name__)


class InvoiceLinks:
    """`recent_invoices()`, `invoices_of_customers()`, `deal_ids_carried()`, `invoice_ids_carrying()`,
    `put_deal_id_on_invoice()`, `deal_field_problem()` (and the older `invoices_without_deal()`)."""

    if TYPE_CHECKING:  # provided by NetSuiteConnector
        client: NetSuiteClient
        store: NetSuiteStore | None
        deal_field: str
        app_url: str

        @property
        def company(self) -> str: ...

        async def _rows(self, query: str) -> list[dict[str, Any]]: ...

        async def _chunked(
            self, build: Callable[[Sequence[str]], str], values: Sequence[str]
        ) -> list[dict[str, Any]]: ...

        async def currencies(self, needed: Iterable[str] = ()) -> dict[str, str]: ...

        async def _remember(self, entries: Sequence[tuple[str, str | None]]) -> None: ...

        async def _scan_linked(self) -> list[tuple[str, str | None, str]]: ...

        async def index_age(self) -> float | None: ...

    def invoice_url(self, invoice_id: str) -> str:
        """The invoice in NetSuite's UI."""
        return f"{self.app_url}/app/accounting/transactions/custinvc.nl?id={invoice_id}"

    async def _refs(self, rows: list[dict[str, Any]]) -> list[InvoiceRef]:
        invoices = [InvoiceRow.of(r) for r in rows]
        currencies = await self.currencies(inv.currency_id for inv in invoices) if invoices else {}
        return [
            InvoiceRef(
                id=inv.id,
                doc_number=inv.tranid,
                txn_date=inv.trandate,
                total=inv.total,
                currency=currencies.get(inv.currency_id, inv.currency_id),
                customer_id=inv.entity_id or "",
                customer_name=inv.customer or "",
                deal_id=inv.deal_id,
                url=self.invoice_url(inv.id),
            )
            for inv in sorted(invoices, key=lambda inv: id_key(inv.id))
        ]

    async def recent_invoices(self, since: date) -> list[InvoiceRef]:
        """Every invoice dated on or after `since` (one SuiteQL query, every page), oldest id first."""
        return await self._refs(await self._rows(queries.invoices_since(self.deal_field, since)))

    async def invoices_of_customers(self, customer_ids: Sequence[str]) -> list[InvoiceRef]:
        """Every invoice of these customers (`t.entity IN (...)` in chunks of 500, every page)."""
        wanted = sorted({str(c).strip() for c in customer_ids if str(c).strip().isdigit()}, key=id_key)
        if not wanted:
            return []
        rows = await self._chunked(lambda chunk: queries.invoices_of_customers(self.deal_field, chunk), wanted)
        return await self._refs(rows)

    async def deal_ids_carried(self) -> dict[str, int]:
        """Deal ID -> how many invoices carry it: one scan of the linked invoices, which also refreshes the index."""
        return dict(Counter(deal for _, deal, _ in await self._scan_linked() if deal))

    async def invoice_ids_carrying(self, deal_ids: Sequence[str]) -> dict[str, list[str]]:
        """Deal ID -> ids of the invoices carrying it, asked of NetSuite (the deal field filters directly)."""
        wanted = sorted({d.strip() for d in deal_ids if d and d.strip()})
        if not wanted:
            return {}
        rows = await self._chunked(lambda chunk: queries.invoices_of_deals(self.deal_field, chunk), wanted)
        out: dict[str, list[str]] = {}
        for row in sorted((InvoiceRow.of(r) for r in rows), key=lambda inv: id_key(inv.id)):
            if row.deal_id:
                out.setdefault(row.deal_id, []).append(row.id)
        return out

    async def put_deal_id_on_invoice(self, invoice_id: str, deal_id: str) -> LinkWrite:
        """PATCH `deal_id` into the invoice's deal field (and the index); nothing when it carries it already.

        NotFoundError when there is no such invoice (NetSuite's 404, or a record of another type).
        """
        invoice_id, deal_id = str(invoice_id).strip(), deal_id.strip()
        rows = await self._rows(queries.invoices_by_id(self.deal_field, [invoice_id])) if invoice_id.isdigit() else []
        current = InvoiceRow.of(rows[0]).deal_id if rows else None
        if current == deal_id:
            await self._remember([(invoice_id, deal_id)])
            return LinkWrite(invoice_id, written=False, detail="carried it already")
        await self.set_invoice_deal_id(invoice_id, deal_id)  # no row: the PATCH says why (404, wrong type)
        return LinkWrite(invoice_id, written=True)

    async def set_invoice_deal_id(self, invoice_id: str, deal_id: str | None) -> None:
        """Write (or clear, with None) the invoice's deal field by PATCH; NotFoundError for no such invoice."""
        value = (deal_id or "").strip()  # an empty string clears a text field
        await self.client.patch_invoice(invoice_id, {self.deal_field: value})
        await self._remember([(str(invoice_id).strip(), value or None)])

    async def deal_field_problem(self, *, sync: bool = True) -> str | None:
        """For doctor: the words to show when no invoice carries the deal field at all (None when some do).

        With `sync` NetSuite is asked (two COUNT queries); without, the store's index says it when a
        scan has run and found no linked invoice (the total is not known then).
        """
        if sync:
            linked = await self._rows(queries.linked_invoice_count(self.deal_field))
            if linked and int(linked[0].get("invoices") or 0):
                return None
            every = await self._rows(queries.INVOICE_COUNT)
            total = int(every[0].get("invoices") or 0) if every else 0
            if not total:
                return None
            read = f"none of the {total} invoices has a value in it"
        else:
            if self.store is None or await self.index_age() is None:
                return None
            if await self.store.indexed_deal_ids(self.company):
                return None
            read = "the last scan found no invoice with a value in it"
        return (
            f"NetSuite: no invoice carries the field {self.deal_field!r}: {read}, so every card's Money "
            "section is empty. Check that NETSUITE_DEAL_FIELD is the field's ID (custbody_…) and that the "
            "field applies to Sale transactions and shows on the invoice form; then put the deal ID on the "
            "invoices (`/account unlinked` suggests which)."
        )

    async def invoices_without_deal(self, since: date) -> list[UnlinkedInvoice]:
        """Invoices dated `since` or later whose deal field is empty, every page."""
        rows = [InvoiceRow.of(r) for r in await self._rows(queries.invoices_without_deal(self.deal_field, since))]
        currencies = await self.currencies(r.currency_id for r in rows) if rows else {}
        return [
            UnlinkedInvoice(
                id=r.id,
                doc_number=r.tranid,
                txn_date=r.trandate,
                due_on=r.duedate,
                total=r.total,
                balance=r.unpaid,
                currency=currencies.get(r.currency_id, r.currency_id),
                customer_id=r.entity_id,
                customer_name=r.customer,
                url=self.invoice_url(r.id),
            )
            for r in rows
        ]
