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
from connectors.runtime import join_first_build, shared_task

if TYPE_CHECKING:
    from connectors.ports import QuickBooksStore

log = logging.getLogger(__name__)
CDC_MAX_AGE = 29 * 86400.0  # QBO's CDC looks back at most 30 days; older cursors mean a full scan
CDC_MAX_OBJECTS = 1000  # CDC answers at most this many objects per entity, without paging
# What an index entry needs of an invoice; a company that refuses the column list gets `SELECT *`.
INDEX_COLUMNS = "Id, CustomField, MetaData.LastUpdatedTime"
# Pages in flight during a full scan. QBO allows 10 per realm: `serve` and `worker` starting together on an
# empty store both scan (8), and 2 stay free for cards.
SCAN_CONCURRENCY = 4


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
        _columns: str
        _fresh_until: float
        first_build_wait: float

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
        self._sync_task = task = shared_task(self._sync(full))
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
        self._fresh_until = time.monotonic() + self.index_max_age

    async def _full_scan(self) -> int:
        """Every invoice, its index fields only: COUNT(*) beside the first page, then the other pages
        concurrently (SCAN_CONCURRENCY in flight); invoices no longer in QBO leave the index. Changes after
        the count come back through CDC."""
        counted, first = await asyncio.gather(self._call("query", "SELECT COUNT(*) FROM Invoice"), self._first_page())
        cursor: str | None = counted.get("time")
        total = int((counted.get("QueryResponse") or {}).get("totalCount") or 0)
        seen: set[str] = set()
        gate = asyncio.Semaphore(SCAN_CONCURRENCY)

        async def keep(page: list[dict]) -> int:
            await self.store.upsert_invoices(self.realm_id, [self._entry(inv) for inv in page])
            seen.update(str(inv["Id"]) for inv in page)
            return len(page)

        async def page_at(position: int) -> int:
            async with gate:
                page = await self._index_page(position)
            return await keep(page)

        sizes = [await keep(first)]
        if sizes[0] == self.page_size:
            positions = list(range(1 + self.page_size, total + 1, self.page_size)) or [1 + self.page_size]
            sizes += await asyncio.gather(*(page_at(p) for p in positions))
            position = positions[-1] + sizes[-1]
            while sizes[-1] == self.page_size:  # the company grew since the count: page on from the last one
                sizes.append(await page_at(position))
                position += sizes[-1]
        gone = await self.store.indexed_invoice_ids(self.realm_id) - seen
        await self.store.delete_invoices(self.realm_id, gone)
        await self._save(cursor, time.time())
        log.info("QuickBooks index: full scan of %d invoices (%d forgotten)", len(seen), len(gone))
        return len(seen)

    async def _first_page(self) -> list[dict]:
        """The first page, checking the column list on it: where no invoice of it carries CustomField, the
        whole invoices are read once to see whether the company dropped the field from the answer."""
        page = await self._index_page(1)
        if self._columns == "*" or not page or any("CustomField" in inv for inv in page):
            return page
        whole = await self._page("*", 1)
        if any(inv.get("CustomField") for inv in whole):
            log.warning("QuickBooks left CustomField out of a column list; reading whole invoices")
            self._columns = "*"
            return whole
        return page

    async def _index_page(self, position: int) -> list[dict]:
        """One page of invoices, only the columns an index entry needs (all of them where refused)."""
        if self._columns != "*":
            try:
                return await self._page(self._columns, position)
            except ConnectorError as exc:
                if type(exc) is not ConnectorError:  # auth, throttling, outage: not the column list
                    raise
                log.warning("QuickBooks refused the column list (%s); reading whole invoices", exc.message)
                self._columns = "*"
        return await self._page("*", position)

    async def _page(self, columns: str, position: int) -> list[dict]:
        data = await self._call(
            "query", f"SELECT {columns} FROM Invoice ORDERBY Id STARTPOSITION {position} MAXRESULTS {self.page_size}"
        )
        return list((data.get("QueryResponse") or {}).get("Invoice", []))

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
        if time.monotonic() < self._fresh_until:  # synced (here, or seen synced) within index_max_age
            return
        age = await self.index_age()
        if age is None:  # never built: a full scan, which a card waits for only so long
            await join_first_build(self.sync_index(), "quickbooks", "invoice", self.first_build_wait)
        elif age > self.index_max_age:
            await self.sync_index()  # CDC, or a full scan when the cursor is too old: _sync decides
        else:
            self._fresh_until = time.monotonic() + self.index_max_age - age

    async def warm_index(self) -> int | None:
        """At start-up: bring the index up to date unless it is fresh; invoices seen, None when it was fresh."""
        age = await self.index_age()
        if age is not None and age <= self.index_max_age:
            return None
        return await self.sync_index()
