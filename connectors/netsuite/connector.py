"""Money per HubSpot deal from NetSuite: invoices found by their custom body field, payments
through NextTransactionLineLink, and a payment poller on lastmodifieddate with a look-back."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from connectors.errors import ConfigError
from connectors.netsuite import queries
from connectors.netsuite.auth import SYSTEM, default_app_url
from connectors.netsuite.client import NetSuiteClient, gather_all
from connectors.netsuite.errors import NetSuiteError
from connectors.netsuite.links import InvoiceLinks
from connectors.netsuite.money import InvoiceRow, PaymentLink, applications, id_key, summarise
from connectors.ports import NetSuiteStore
from connectors.types import Money, PaymentApplication

log = logging.getLogger(__name__)
DEAL_FIELD = "custbody_hubspot_deal_id"
IN_CHUNK = 500  # values per IN (...) list (Oracle allows 1000)
LOOKBACK = timedelta(minutes=15)  # lastmodifieddate's zone and precision are uncertain: re-read this far back


class NetSuiteConnector(InvoiceLinks):
    """A deal's invoices and payments in one NetSuite account (ACCOUNTING=netsuite)."""

    system = SYSTEM

    def __init__(
        self,
        client: NetSuiteClient,
        *,
        deal_field: str = DEAL_FIELD,
        app_url: str | None = None,
        lookback: timedelta = LOOKBACK,
        store: NetSuiteStore | None = None,
    ) -> None:
        self.client = client
        self.store = store  # the deal -> invoices index the book reads (SuiteQL itself needs none)
        self.deal_field = queries.check_field(deal_field)
        self.app_url = app_url if app_url is not None else default_app_url(client.account_id)
        self.lookback = lookback
        self._currencies: dict[str, str] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> NetSuiteConnector:
        """From the NETSUITE_* variables of DESIGN.md (defaults for the optional ones)."""
        try:
            concurrency = int(env.get("NETSUITE_CONCURRENCY") or 5)
        except ValueError:
            raise ConfigError(
                SYSTEM, f"NETSUITE_CONCURRENCY {env.get('NETSUITE_CONCURRENCY')!r} is not a number"
            ) from None
        client = NetSuiteClient(
            env.get("NETSUITE_ACCOUNT_ID", ""),
            env.get("NETSUITE_CONSUMER_KEY", ""),
            env.get("NETSUITE_CONSUMER_SECRET", ""),
            env.get("NETSUITE_TOKEN_ID", ""),
            env.get("NETSUITE_TOKEN_SECRET", ""),
            base_url=env.get("NETSUITE_BASE_URL") or None,
            concurrency=concurrency,
        )
        return cls(client, deal_field=env.get("NETSUITE_DEAL_FIELD") or DEAL_FIELD, **kwargs)

    def __repr__(self) -> str:
        return f"<NetSuiteConnector {self.client!r} deal_field={self.deal_field}>"

    @property
    def company(self) -> str:
        """`netsuite:{account id}`: payment events and the store's invoice index are keyed by it."""
        return f"{SYSTEM}:{self.client.account_id}"

    def health(self) -> dict[str, object]:
        """The client's health (see NetSuiteClient.health)."""
        return self.client.health()

    async def probe(self) -> None:
        """One cheap query that also proves the deal field exists (doctor's auth check)."""
        await self.linked_invoice_count()

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.client.close()

    async def aclose(self) -> None:
        """close(), for the Accounting interface."""
        await self.close()

    async def sync_index(self) -> int:
        """Every invoice carrying a deal ID into the store's index (a full scan, every page); how many.

        The card needs no index (SuiteQL filters on the deal field); the book and the daily
        round read it to know which deals have invoices. Invoices gone or unlinked since are dropped.
        """
        if self.store is None:
            return 0
        return len(await self._scan_linked())

    async def _scan_linked(self) -> list[tuple[str, str | None, str]]:
        """(invoice id, deal ID, lastmodifieddate) of every invoice carrying a deal ID; the index replaced by them."""
        rows = await self._rows(queries.linked_invoices(self.deal_field))
        entries = [(str(r["id"]), str(r.get("deal") or "").strip() or None, str(r.get("modified") or "")) for r in rows]
        if self.store is not None:
            gone = await self.store.indexed_invoice_ids(self.company) - {invoice_id for invoice_id, _, _ in entries}
            await self.store.delete_invoices(self.company, gone)
            await self.store.upsert_invoices(self.company, entries)
            await self.store.set_sync(self._index_name, str(time.time()))
        return entries

    async def index_age(self) -> float | None:
        """Seconds since the last full scan into the index, or None if never."""
        raw = await self.store.get_sync(self._index_name) if self.store is not None else None
        try:
            return max(0.0, time.time() - float(raw)) if raw else None
        except ValueError:
            return None

    @property
    def _index_name(self) -> str:
        return f"{self.company}:index"

    async def _remember(self, entries: Sequence[tuple[str, str | None]]) -> None:
        """What a read or a link repair saw goes into the index too; the money never waits on a failing store."""
        if self.store is None or not entries:
            return
        try:
            await self.store.upsert_invoices(self.company, [(iid, deal, "") for iid, deal in entries])
        except Exception:  # the store's own error types are not the connector's to know
            log.warning("NetSuite invoices could not be written to the index; the next scan will", exc_info=True)

    # -- queries --------------------------------------------------------------------------

    async def _rows(self, query: str) -> list[dict[str, Any]]:
        """Every row; a deal field NetSuite does not know becomes a ConfigError that names it."""
        try:
            return await self.client.suiteql(query)
        except NetSuiteError as exc:
            if exc.missing_field == self.deal_field:
                raise ConfigError(
                    SYSTEM,
                    f"NETSUITE_DEAL_FIELD {self.deal_field!r} is not a transaction body field "
                    "this role can see: create it (Customization > Transaction Body Fields, "
                    "applied to Sale) or set NETSUITE_DEAL_FIELD",
                ) from exc
            raise

    async def _chunked(self, build: Callable[[Sequence[str]], str], values: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of `build(chunk)` for IN chunks of `values`, the chunks concurrently (client-bounded)."""
        chunks = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]
        pages = await gather_all(self._rows(build(chunk)) for chunk in chunks)
        return [row for page in pages for row in page]

    async def currencies(self, needed: Iterable[str] = ()) -> dict[str, str]:
        """Currency internal id -> ISO code (currency.symbol; BUILTIN.DF gives the name, not the code).

        Read once, and again when a currency id in `needed` is not known yet.
        """
        if not self._currencies or not set(needed) <= set(self._currencies):
            self._currencies = {
                str(r["id"]): str(r.get("symbol") or r["id"]) for r in await self._rows(queries.CURRENCIES)
            }
        return self._currencies

    async def _invoices_of(self, deal_ids: Sequence[str]) -> list[InvoiceRow]:
        rows = await self._chunked(lambda chunk: queries.invoices_of_deals(self.deal_field, chunk), deal_ids)
        return [InvoiceRow.of(r) for r in rows]

    async def _links_into(self, invoice_ids: Sequence[str]) -> list[PaymentLink]:
        rows = await self._chunked(queries.payments_into, invoice_ids)
        return [PaymentLink.of(r) for r in rows]

    # -- money ----------------------------------------------------------------------------

    async def money(self, deal_id: str, *, today: date) -> Money | None:
        """Invoiced, paid, outstanding and overdue for the deal, exact to the cent; None without invoices."""
        deal_id = (deal_id or "").strip()
        return (await self.money_many([deal_id], today=today)).get(deal_id) if deal_id else None

    async def money_many(self, deal_ids: Sequence[str], *, today: date) -> dict[str, Money | None]:
        """money() for many deals in a few queries (IN chunks of 500): for the daily snapshot."""
        wanted = sorted({d.strip() for d in deal_ids if d and d.strip()})
        if not wanted:
            return {}
        invoices = await self._invoices_of(wanted)
        if not invoices:
            return dict.fromkeys(wanted)
        # the payments, the currency codes (read once) and the index write at the same time
        links, currencies, _ = await asyncio.gather(
            self._links_into([inv.id for inv in invoices]),
            self.currencies(inv.currency_id for inv in invoices),
            self._remember([(inv.id, inv.deal_id) for inv in invoices]),
        )
        by_deal: dict[str, list[InvoiceRow]] = {}
        for inv in invoices:
            by_deal.setdefault(inv.deal_id or "", []).append(inv)
        links_by_invoice: dict[str, list[PaymentLink]] = {}
        for link in links:
            links_by_invoice.setdefault(link.invoice_id, []).append(link)
        return {
            deal: summarise(
                by_deal.get(deal, []),
                [link for inv in by_deal.get(deal, []) for link in links_by_invoice.get(inv.id, [])],
                currencies,
                today=today,
                app_url=self.app_url,
            )
            for deal in wanted
        }

    async def linked_invoice_count(self) -> int:
        """How many invoices carry a deal ID at all (for `/account doctor`: 0 means nothing is linked)."""
        rows = await self._rows(queries.linked_invoice_count(self.deal_field))
        return int(rows[0].get("invoices") or 0) if rows else 0

    # -- alert sources --------------------------------------------------------------------

    async def payment_applications_many(self, payment_ids: Sequence[str]) -> dict[str, list[PaymentApplication]]:
        """payment_applications() for many payments in a few `IN (...)` queries; unknown ids left out."""
        wanted = sorted({str(p).strip() for p in payment_ids if str(p).strip().isdigit()}, key=id_key)
        if not wanted:
            return {}
        links = [PaymentLink.of(r) for r in await self._chunked(queries.applications_of_many, wanted)]
        invoice_ids = sorted({link.invoice_id for link in links}, key=id_key)
        invoices = (
            [
                InvoiceRow.of(r)
                for r in await self._chunked(lambda chunk: queries.invoices_by_id(self.deal_field, chunk), invoice_ids)
            ]
            if invoice_ids
            else []
        )
        currencies = await self.currencies(inv.currency_id for inv in invoices) if invoices else {}
        by_payment: dict[str, list[PaymentLink]] = {}
        for link in links:
            by_payment.setdefault(link.payment_id, []).append(link)
        return {pid: applications(mine, invoices, currencies) for pid, mine in by_payment.items()}

    async def payment_applications(self, payment_id: str) -> list[PaymentApplication]:
        """What the payment paid into each invoice carrying a deal ID; [] for an unknown payment."""
        payment_id = str(payment_id).strip()
        if not payment_id.isdigit():
            log.info("NetSuite payment %r is not an internal id; nothing to report", payment_id)
            return []
        links = [PaymentLink.of(r) for r in await self._rows(queries.applications_of(payment_id))]
        if not links:
            return []
        invoice_ids = sorted({link.invoice_id for link in links}, key=id_key)
        invoices = [
            InvoiceRow.of(r)
            for r in await self._chunked(lambda chunk: queries.invoices_by_id(self.deal_field, chunk), invoice_ids)
        ]
        return applications(links, invoices, await self.currencies(inv.currency_id for inv in invoices))

    async def changed_payments(self, cursor: str | None) -> tuple[list[str], str]:
        """Ids of payments created or changed since `cursor`, and the next cursor.

        The cursor holds NetSuite's own newest lastmodifieddate (in NetSuite's zone, so never
        compared with our clock) and the payments seen within the look-back. Each poll re-reads
        `lookback` before it, so a payment that becomes visible late is still found; one already
        reported with the same stamp is not reported again. Delivery is at-least-once all the
        same (a cursor that was not saved, a stamp that moved): callers dedupe on the id. None
        starts from now (the newest payment NetSuite shows) and reports nothing.
        """
        state = _Cursor.load(cursor)
        if state is None:
            if cursor is not None:
                log.warning("NetSuite payment cursor %r is unreadable; starting from now", cursor)
            newest = await self.client.suiteql_first(queries.newest_payment())
            state = _Cursor(str(newest["modified"]) if newest else None, {})
            rows = await self._changed_since(state.at)
            return [], state.advance(rows, self.lookback).dump()
        rows = await self._changed_since(state.at)
        fresh = list(dict.fromkeys(pid for pid, stamp in rows if state.seen.get(pid) != stamp))
        return fresh, state.advance(rows, self.lookback).dump()

    async def _changed_since(self, at: str | None) -> list[tuple[str, str]]:
        since = _shift(at, -self.lookback) if at else None
        return [(str(r["id"]), str(r.get("modified") or "")) for r in await self._rows(queries.payments_changed(since))]


class _Cursor:
    """The payment poller's position: NetSuite's newest stamp and the (id, stamp) pairs near it."""

    def __init__(self, at: str | None, seen: dict[str, str]) -> None:
        self.at = at
        self.seen = seen

    @classmethod
    def load(cls, text: str | None) -> _Cursor | None:
        """A cursor from its text, or None when absent or unreadable."""
        try:
            data = json.loads(text) if text else None
            if not isinstance(data, dict) or not isinstance(data.get("seen"), dict):
                return None
            at = str(data["at"]) if data.get("at") else None
            if at is not None:
                datetime.fromisoformat(at)
            return cls(at, {str(k): str(v) for k, v in data["seen"].items()})
        except ValueError:
            return None

    def advance(self, rows: Sequence[tuple[str, str]], lookback: timedelta) -> _Cursor:
        """The position after `rows`: the newest stamp, and what was seen within `lookback` of it."""
        stamps = [stamp for _, stamp in rows if stamp] + ([self.at] if self.at else [])
        at = max(stamps) if stamps else None  # same-format ISO text sorts in time order
        floor = _shift(at, -lookback) if at else ""
        seen = {pid: stamp for pid, stamp in [*self.seen.items(), *rows] if stamp >= floor}
        return _Cursor(at, seen)

    def dump(self) -> str:
        """The cursor as text for the store."""
        return json.dumps({"at": self.at, "seen": self.seen}, separators=(",", ":"), sort_keys=True)


def _shift(stamp: str, delta: timedelta) -> str:
    """A NetSuite `YYYY-MM-DDTHH:MM:SS` stamp moved by `delta` (zone-less: it stays in NetSuite's zone)."""
    return (datetime.fromisoformat(stamp) + delta).isoformat(timespec="seconds")
