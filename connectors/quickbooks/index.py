"""The deal ID -> invoice IDs index: a paged full scan the first time, then CDC (which also reports deletions).

CustomField is not filterable in QBO's query language, so the index lives in the store. A mixin of
`QuickBooksConnector` (connector.py), which provides the store, the settings and `_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError
from connectors.quickbooks.money import deal_of

if TYPE_CHECKING:
    from connectors.ports import QuickBooksStore

log = logging.getLogger(__name__)
CDC_MAX_AGE = 29 * 86400.0  # QBO's CDC looks back at most 30 days; older cursors mean a full scan
CDC_MAX_OBJECTS = 1000  # CDC answers at most this many objects per entity, without paging


class InvoiceIndex:
    """`sync_index()`, `index_age()` and the full scan and CDC behind them (mixed into QuickBooksConnector)."""

    if TYPE_CHECKING:  # provided by QuickBooksConnector
        realm_id: str
        store: QuickBooksStore
        deal_field: str
        index_max_age: float
        page_size: int
        cdc_overlap: float
        _sync_task: asyncio.Future[int] | None
        _sync_full: bool
        _sync_name: str

        async def _call(self, method: str, *args: Any) -> Any: ...

    async def _state(self) -> dict | None:
        raw = await self.store.get_sync(self._sync_name)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    async def index_age(self) -> float | None:
        """Seconds since the index was last synced, or None if never."""
        state = await self._state()
        return None if state is None else max(0.0, time.time() - float(state.get("at", 0)))

    async def sync_index(self, full: bool = False) -> int:
        """Bring the deal index up to date; concurrent calls share one sync. Returns invoices seen."""
        while True:
            task = self._sync_task
            if task is None or task.done():
                break
            if self._sync_full or not full:
                return await asyncio.shield(task)
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        self._sync_full = full
        self._sync_task = task = asyncio.ensure_future(self._sync(full))
        return await asyncio.shield(task)

    async def _sync(self, full: bool) -> int:
        state = await self._state()
        if not full and state and state.get("cursor") and time.time() - float(state.get("at", 0)) < CDC_MAX_AGE:
            try:
                seen = await self._sync_changes(state)
            except ConnectorError as exc:
                if type(exc) is not ConnectorError:  # auth, throttling, outage: not fixed by a full scan
                    raise
                log.warning("QuickBooks CDC refused (%s); rescanning every invoice", exc.message)
                seen = None
            if seen is not None:
                return seen
        return await self._full_scan()

    def _entry(self, invoice: dict) -> tuple[str, str | None, str]:
        return (
            str(invoice["Id"]),
            deal_of(invoice, self.deal_field),
            str((invoice.get("MetaData") or {}).get("LastUpdatedTime") or ""),
        )

    async def _save(self, cursor: str | None, full_at: float | None) -> None:
        await self.store.set_sync(
            self._sync_name, json.dumps({"cursor": cursor, "at": time.time(), "full_at": full_at})
        )

    async def _full_scan(self) -> int:
        """Every invoice, page after page; invoices no longer in QBO leave the index."""
        seen: set[str] = set()
        cursor: str | None = None
        position = 1
        while True:
            data = await self._call(
                "query", f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {position} MAXRESULTS {self.page_size}"
            )
            cursor = cursor or data.get("time")  # changes after the first page come back through CDC
            page = (data.get("QueryResponse") or {}).get("Invoice", [])
            await self.store.upsert_invoices(self.realm_id, [self._entry(inv) for inv in page])
            seen.update(str(inv["Id"]) for inv in page)
            if len(page) < self.page_size:
                break
            position += len(page)
        gone = await self.store.indexed_invoice_ids(self.realm_id) - seen
        await self.store.delete_invoices(self.realm_id, gone)
        await self._save(cursor, time.time())
        log.info("QuickBooks index: full scan of %d invoices (%d forgotten)", len(seen), len(gone))
        return len(seen)

    async def _sync_changes(self, state: dict) -> int | None:
        """Invoices changed or deleted since the cursor, by CDC; None when a full scan is needed."""
        since = datetime.fromisoformat(str(state["cursor"]).replace("Z", "+00:00")) - timedelta(
            seconds=self.cdc_overlap
        )
        data = await self._call("change_data_capture", "Invoice", since.isoformat(timespec="seconds"))
        changed = [
            obj
            for block in data.get("CDCResponse") or ()
            for response in block.get("QueryResponse") or ()
            for obj in response.get("Invoice") or ()
        ]
        if len(changed) >= CDC_MAX_OBJECTS:
            log.info("QuickBooks CDC hit its %d-object cap; rescanning every invoice", CDC_MAX_OBJECTS)
            return None
        deleted = [str(obj["Id"]) for obj in changed if str(obj.get("status", "")).lower() == "deleted"]
        await self.store.delete_invoices(self.realm_id, deleted)
        kept = [self._entry(obj) for obj in changed if str(obj.get("status", "")).lower() != "deleted"]
        await self.store.upsert_invoices(self.realm_id, kept)
        await self._save(data.get("time") or state["cursor"], state.get("full_at"))
        return len(changed)

    async def _ensure_index(self) -> None:
        age = await self.index_age()
        if age is None or age > self.index_max_age:
            await self.sync_index()  # a full scan when never synced: _sync decides
