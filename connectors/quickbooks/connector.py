"""The QuickBooks Online connector: a deal's invoices and payments through python-quickbooks.

CustomField is not filterable in QBO's query language, so the deal ID -> invoice IDs index
lives in the store: a paged full scan the first time, then CDC (which also reports deletions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.errors import AuthError, ConfigError, ConnectorError
from connectors.ports import BudgetFactory, QuickBooksStore
from connectors.quickbooks.index import CDC_MAX_AGE, CDC_MAX_OBJECTS, INDEX_COLUMNS, InvoiceIndex
from connectors.quickbooks.links import InvoiceLinks
from connectors.quickbooks.money import APP_URL, applications, applied_amounts, deal_of, id_key, linked, summarise
from connectors.quickbooks.oauth import STORE_RETRIES, TokenManager
from connectors.quickbooks.sdk import SYSTEM, Client, TokenRejected, build_client, check_url, classify, invoke
from connectors.runtime import FIRST_BUILD_WAIT, Policy, Runner, local_budget
from connectors.types import Money, PaymentApplication

log = logging.getLogger(__name__)

IN_CHUNK = 100  # ids per `Id IN (...)` query


class QuickBooksConnector(InvoiceIndex, InvoiceLinks):
    """Money per HubSpot deal from one QuickBooks Online company (realm)."""

    system = SYSTEM

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        realm_id: str,
        refresh_token: str,
        store: QuickBooksStore,
        base_url: str = "https://quickbooks.api.intuit.com/v3",
        token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        deal_field: str = "Deal ID",
        *,
        max_workers: int = 10,
        index_max_age: float = 300.0,
        page_size: int = 1000,
        requests_per_minute: int = 500,
        policy: Policy | None = None,
        budgets: BudgetFactory = local_budget,  # shared by several replicas when the host says so
        token_margin: float = 60.0,
        refresh_race_wait: float | None = None,
        token_store_retries: tuple[float, ...] = STORE_RETRIES,
        cdc_overlap: float = 120.0,
        http_timeout: float = 10.0,
        app_url: str | None = None,
        first_build_wait: float = FIRST_BUILD_WAIT,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("QBO_CLIENT_ID", client_id),
                ("QBO_CLIENT_SECRET", client_secret),
                ("QBO_REALM_ID", realm_id),
                ("QBO_REFRESH_TOKEN", refresh_token),
            )
            if not value
        ]
        if missing:
            raise ConfigError(SYSTEM, "missing " + ", ".join(missing))
        if not 1 <= page_size <= 1000:
            raise ConfigError(SYSTEM, "page_size must be between 1 and 1000 (QBO's MAXRESULTS limit)")
        self.realm_id = realm_id
        self.store = store
        self.base_url = check_url(base_url, "QBO_BASE_URL")
        self.deal_field = deal_field
        self.app_url = (
            app_url
            if app_url is not None
            else ("https://app.sandbox.qbo.intuit.com/app" if "sandbox" in self.base_url else APP_URL)
        )
        self.index_max_age = index_max_age
        self.page_size = page_size
        self.cdc_overlap = cdc_overlap
        self._timeout = http_timeout
        # QBO allows 500 requests/min and 10 in flight per realm: the executor and its semaphore cap both.
        self.runner = Runner(
            SYSTEM,
            classify,
            max_workers=min(max_workers, 10),
            limiters={"default": budgets(SYSTEM, "default", requests_per_minute, 60.0)},
            policy=policy or Policy(timeout=http_timeout + 5.0),
        )
        self.tokens = TokenManager(
            store,
            realm_id,
            client_id,
            client_secret,
            refresh_token,
            check_url(token_url, "QBO_TOKEN_URL"),
            self.runner,
            margin=token_margin,
            race_wait=refresh_race_wait,
            timeout=http_timeout,
            store_retries=token_store_retries,
        )
        self._qb: Client | None = None
        self._qb_token: str | None = None
        self._retired: list[Client] = []
        self._sync_task: asyncio.Future[int] | None = None
        self._sync_full = False
        self._sync_name = f"quickbooks:{realm_id}:index"
        self._columns = INDEX_COLUMNS
        self.first_build_wait = first_build_wait  # how long a card waits for the index's first build
        self._fresh_until = 0.0  # (monotonic) until then the index is known fresh: no store read per card

    def __repr__(self) -> str:
        return f"<QuickBooksConnector realm={self.realm_id} base_url={self.base_url}>"

    @property
    def refresh_token_expires_at(self) -> datetime | None:
        """When the refresh token stops working for good (for `doctor`), if known."""
        return self.tokens.refresh_token_expires_at

    @property
    def company(self) -> str:
        """The QuickBooks company (realm) id: payment events are keyed by it."""
        return self.realm_id

    def health(self) -> dict[str, object]:
        """The runner's health (available, last success, last error, counters)."""
        return self.runner.health()

    async def probe(self) -> None:
        """One cheap authenticated query (doctor's auth check)."""
        await self.query("SELECT COUNT(*) FROM Invoice")

    async def aclose(self) -> None:
        """close(), for the Accounting interface."""
        self.close()

    def close(self) -> None:
        """Stop the executor and close the HTTP sessions."""
        self.runner.close()
        for qb in [*self._retired, *([self._qb] if self._qb else [])]:
            qb.session.close()
        self._retired.clear()
        self._qb = None

    # -- calls ----------------------------------------------------------------------------

    def _client_for(self, token: str) -> Client:
        """The SDK client for `token`; a new one after every refresh (qb.session keeps the old token)."""
        if self._qb is None or self._qb_token != token:
            if self._qb is not None:
                self._retired.append(self._qb)
                while len(self._retired) > 2:  # calls in flight may still use the last ones
                    self._retired.pop(0).session.close()
            self._qb = build_client(self.base_url, self.realm_id, token, self._timeout)
            self._qb_token = token
        return self._qb

    async def _call(self, method: str, *args: Any) -> Any:
        """One SDK call through the Runner; a 401 refreshes the token once and retries once."""
        for attempt in range(2):
            token = await self.tokens.access_token()
            try:
                return await self.runner.call(invoke, self._client_for(token), method, *args)
            except TokenRejected:
                if attempt:
                    raise AuthError(
                        SYSTEM, "QuickBooks refused a freshly refreshed access token (401): re-authorise the app"
                    ) from None
                log.info("QuickBooks refused the access token (401); refreshing once")
                await self.tokens.refresh(rejected=token)
        raise AssertionError("unreachable")

    async def query(self, statement: str) -> dict:
        """Run one query statement; the QueryResponse object."""
        data = await self._call("query", statement)
        return data.get("QueryResponse") or {}

    async def query_all(self, entity: str, where: str = "") -> list[dict]:
        """Every object of `entity` matching `where`, page after page (ORDERBY Id)."""
        out: list[dict] = []
        position = 1
        while True:
            page = (
                await self.query(
                    f"SELECT * FROM {entity}{' WHERE ' + where if where else ''} ORDERBY Id "
                    f"STARTPOSITION {position} MAXRESULTS {self.page_size}"
                )
            ).get(entity, [])
            out += page
            if len(page) < self.page_size:
                return out
            position += len(page)

    async def by_ids(self, entity: str, ids: Sequence[str]) -> list[dict]:
        """The objects with these Ids (Id IN (...), in chunks, every page)."""
        chunks = [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]
        pages = await asyncio.gather(
            *(
                self.query_all(entity, "Id IN (" + ", ".join("'" + i.replace("'", "\\'") + "'" for i in chunk) + ")")
                for chunk in chunks
            )
        )
        return [obj for page in pages for obj in page]

    # -- money ----------------------------------------------------------------------------

    async def invoices(self, deal_id: str) -> list[dict]:
        """The deal's invoices as QBO returns them (the index is checked against each one)."""
        deal_id = deal_id.strip()
        await self._ensure_index()
        ids = await self.store.invoices_for(self.realm_id, deal_id)
        if not ids:
            return []
        found = await self.by_ids("Invoice", ids)
        gone = set(ids) - {str(inv["Id"]) for inv in found}
        moved = [inv for inv in found if deal_of(inv, self.deal_field) != deal_id]
        if gone or moved:  # the index lagged behind: correct it now
            await self.store.delete_invoices(self.realm_id, gone)
            await self.store.upsert_invoices(self.realm_id, [self._entry(inv) for inv in moved])
        return sorted(
            (inv for inv in found if deal_of(inv, self.deal_field) == deal_id), key=lambda inv: id_key(inv["Id"])
        )

    async def money(self, deal_id: str, *, today: date) -> Money | None:
        """Invoiced, paid, outstanding and overdue for the deal, exact to the cent; None without invoices."""
        found = await self.invoices(deal_id)
        if not found:
            return None
        payment_ids = sorted({pid for inv in found for pid in linked(inv, "Payment")}, key=id_key)
        payments = await self.by_ids("Payment", payment_ids) if payment_ids else []
        return summarise(found, payments, today=today, app_url=self.app_url)

    async def money_many(self, deal_ids: Sequence[str], *, today: date) -> dict[str, Money | None]:
        """money() for many deals in a few queries (Id IN chunks): for the daily snapshot."""
        await self._ensure_index()
        wanted = {d.strip() for d in deal_ids}
        index = await self.store.invoices_for_many(self.realm_id, wanted)
        all_ids = sorted({i for ids in index.values() for i in ids}, key=id_key)
        found = await self.by_ids("Invoice", all_ids) if all_ids else []
        by_deal: dict[str, list[dict]] = {}
        for inv in found:
            deal = deal_of(inv, self.deal_field)
            if deal in wanted:
                by_deal.setdefault(deal, []).append(inv)
        payment_ids = sorted(
            {pid for invs in by_deal.values() for inv in invs for pid in linked(inv, "Payment")}, key=id_key
        )
        payments = await self.by_ids("Payment", payment_ids) if payment_ids else []
        result: dict[str, Money | None] = dict.fromkeys(wanted)
        for deal, invs in by_deal.items():
            invs.sort(key=lambda inv: id_key(inv["Id"]))
            pids = {pid for inv in invs for pid in linked(inv, "Payment")}
            mine = [p for p in payments if str(p["Id"]) in pids]
            result[deal] = summarise(invs, mine, today=today, app_url=self.app_url)
        return result

    # -- alert sources --------------------------------------------------------------------

    async def payment_applications(self, payment_id: str) -> list[PaymentApplication]:
        """What the payment paid into each invoice carrying a deal ID; [] for a deleted or unknown payment."""
        return (await self.payment_applications_many([payment_id])).get(str(payment_id).strip(), [])

    async def payment_applications_many(self, payment_ids: Sequence[str]) -> dict[str, list[PaymentApplication]]:
        """payment_applications() for many payments in a few `Id IN (...)` queries (a webhook flood)."""
        wanted = sorted({str(p).strip() for p in payment_ids if str(p).strip()}, key=id_key)
        payments = await self.by_ids("Payment", wanted) if wanted else []
        for missing in set(wanted) - {str(p["Id"]) for p in payments}:
            log.info("QuickBooks payment %r not found (deleted?); nothing to report", missing)
        invoice_ids = sorted({i for p in payments for i in applied_amounts(p)}, key=id_key)
        invoices = {str(inv["Id"]): inv for inv in await self.by_ids("Invoice", invoice_ids)} if invoice_ids else {}
        return {
            str(p["Id"]): applications(p, [invoices[i] for i in applied_amounts(p) if i in invoices], self.deal_field)
            for p in payments
        }

    async def changed_payments(self, cursor: str | None) -> tuple[list[str], str]:
        """Ids of payments created or updated since `cursor` (deleted ones left out), and the next cursor.

        None starts from now: no ids, just a cursor, so a first poll does not report history. CDC
        reaches back `cdc_overlap` seconds before the cursor, so an id may come again; a cursor
        older than CDC's 30 days is clamped (payments before that are not reported).
        """
        start = _moment(cursor)
        if start is None:
            if cursor is not None:
                log.warning("QuickBooks payment cursor %r is not a timestamp; starting from now", cursor)
            return [], await self._server_time()
        since = start - timedelta(seconds=self.cdc_overlap)
        try:
            data = await self._call("change_data_capture", "Payment", since.isoformat(timespec="seconds"))
        except ConnectorError as exc:
            now = _moment(await self._server_time()) if type(exc) is ConnectorError else None
            if now is None or since > now - timedelta(seconds=CDC_MAX_AGE):
                raise
            since = now - timedelta(seconds=CDC_MAX_AGE)
            log.warning(
                "QuickBooks payment cursor %s is beyond CDC's reach; payments changed before %s are not reported",
                cursor,
                since.isoformat(timespec="seconds"),
            )
            data = await self._call("change_data_capture", "Payment", since.isoformat(timespec="seconds"))
        changed = [
            obj
            for block in data.get("CDCResponse") or ()
            for response in block.get("QueryResponse") or ()
            for obj in response.get("Payment") or ()
        ]
        stamped = [
            (_moment(str((obj.get("MetaData") or {}).get("LastUpdatedTime") or "")) or start, obj) for obj in changed
        ]
        stamped.sort(key=lambda pair: pair[0])
        ids = list(
            dict.fromkeys(str(obj["Id"]) for _, obj in stamped if str(obj.get("status", "")).lower() != "deleted")
        )
        if len(changed) >= CDC_MAX_OBJECTS:  # capped without paging: continue from the newest change seen
            log.warning(
                "QuickBooks CDC hit its %d-object cap for payments; continuing from the newest", CDC_MAX_OBJECTS
            )
            return ids, max(start, stamped[-1][0]).isoformat()
        newest = stamped[-1][0].isoformat() if stamped else None
        return ids, str(data.get("time") or newest or cursor)

    async def _server_time(self) -> str:
        """QuickBooks' clock (the `time` of a cheap query), so cursors never depend on ours."""
        data = await self._call("query", "SELECT COUNT(*) FROM Payment")
        return str(data.get("time") or datetime.now(UTC).isoformat(timespec="milliseconds"))


def _moment(text: str | None) -> datetime | None:
    """An ISO timestamp (naive means UTC); None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
