"""What the connectors need from a store, as small protocols, and the plain records that cross that boundary.

A connector is handed one object implementing the protocols it names (the bot's `Store`
implements them all); it never sees how or where that object keeps anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from connectors.types import InvoiceRef, LinkWrite, Money, PaymentApplication


@dataclass(frozen=True)
class TokenRecord:
    """A stored OAuth token set; `version` grows by one with every refresh stored."""

    key: str
    refresh_token: str = field(repr=False)
    access_token: str | None = field(repr=False)
    access_expires_at: float
    refresh_expires_at: float | None
    version: int


@dataclass(frozen=True)
class IndexedProject:
    """An Asana project carrying a deal ID in its custom field."""

    project_gid: str
    deal_id: str
    project_name: str
    archived: bool
    indexed_at: float


class TokenStore(Protocol):
    """OAuth token sets shared by every process, and the lease that serialises their refresh."""

    async def get_token(self, key: str) -> TokenRecord | None:
        """The stored token set for `key`, or None."""
        ...

    async def seed_token(self, key: str, refresh_token: str) -> TokenRecord:
        """Store the first refresh token unless one is stored already; the stored set."""
        ...

    async def put_token(
        self,
        key: str,
        *,
        refresh_token: str,
        access_token: str,
        access_expires_at: float,
        refresh_expires_at: float | None,
    ) -> TokenRecord:
        """Store a token set a refresh just obtained, bumping the version."""
        ...

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease `name` for `ttl` seconds; True while `holder` holds it."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up if `holder` holds it."""
        ...


class CursorStore(Protocol):
    """Small named values that must survive a restart: sync cursors, last-seen states."""

    async def get_sync(self, name: str) -> str | None:
        """The stored value, or None."""
        ...

    async def set_sync(self, name: str, value: str) -> None:
        """Store a value (insert or update)."""
        ...


class InvoiceIndex(Protocol):
    """Invoice IDs by deal ID, per QuickBooks company (realm)."""

    async def upsert_invoices(self, realm_id: str, entries: Iterable[tuple[str, str | None, str]]) -> int:
        """Record (invoice_id, deal_id or None, last updated) rows; safe when processes race."""
        ...

    async def delete_invoices(self, realm_id: str, invoice_ids: Iterable[str]) -> None:
        """Forget these invoices."""
        ...

    async def invoices_for(self, realm_id: str, deal_id: str) -> list[str]:
        """Invoice IDs whose deal field equals `deal_id`."""
        ...

    async def invoices_for_many(self, realm_id: str, deal_ids: Iterable[str]) -> dict[str, list[str]]:
        """Invoice IDs of many deals at once (deals without invoices left out)."""
        ...

    async def invoice_count(self, realm_id: str) -> int:
        """How many invoices of the company are indexed."""
        ...

    async def indexed_deal_ids(self, realm_id: str) -> dict[str, int]:
        """Deal ID -> how many indexed invoices carry it."""
        ...

    async def indexed_invoice_ids(self, realm_id: str) -> set[str]:
        """Every invoice ID indexed for the company."""
        ...


class ProjectIndex(Protocol):
    """Asana projects by the deal ID they carry, per workspace."""

    async def add_asana_project(self, workspace_gid: str, project: IndexedProject) -> None:
        """Index one project now (made or linked by the bot), before the next scan."""
        ...

    async def replace_asana_index(self, workspace_gid: str, projects: Iterable[IndexedProject]) -> None:
        """Replace the workspace's index with a full scan's result."""
        ...

    async def asana_projects_for(self, workspace_gid: str, deal_id: str) -> list[IndexedProject]:
        """Indexed projects carrying `deal_id`, unarchived first."""
        ...

    async def asana_index_age(self, workspace_gid: str) -> float | None:
        """Seconds since the last full scan, or None if never."""
        ...

    async def asana_index(self, workspace_gid: str) -> list[IndexedProject]:
        """Every indexed project of the workspace."""
        ...


class AsanaStore(ProjectIndex, CursorStore, Protocol):
    """What the Asana connector needs: the project index and cursors (events, last owner seen)."""


class QuickBooksStore(TokenStore, CursorStore, InvoiceIndex, Protocol):
    """What the QuickBooks connector needs: tokens, the index cursor and the invoice index."""


class RateBudget(Protocol):
    """A vendor's request budget: `acquire` waits for a slot; `penalise` holds every caller after a 429.

    In one process it is a sliding window in memory (connectors.runtime.RateLimiter); several
    replicas share one through whatever the host provides (with REDIS_URL, the bot's Redis).
    `limit` and `window` are what it allows (the background pacer takes its share of them).
    """

    limit: int
    window: float

    async def acquire(self) -> float:
        """Wait until one more request fits the budget, and take it; the stamp of the slot taken."""
        ...

    def restamp(self, stamp: float) -> None:
        """The request that took `stamp` leaves only now (it waited for a worker): count it from now."""
        ...

    def penalise(self, seconds: float) -> None:
        """After a 429: nobody spends this budget for `seconds`."""
        ...


class BudgetFactory(Protocol):
    """Makes the budget named `name` of `system`: at most `limit` requests per `window` seconds."""

    def __call__(self, system: str, name: str, limit: int, window: float) -> RateBudget: ...


class NetSuiteStore(CursorStore, InvoiceIndex, Protocol):
    """What the NetSuite connector needs: the invoice index for the book, and when it was scanned."""


class LinkRepair(Protocol):
    """What `/account unlinked` needs from the accounting system (QuickBooks or NetSuite), never more:
    the invoices that may lack the deal field, the deal IDs invoices carry, and writing one onto an invoice.

    `system` names the source ("quickbooks", "netsuite") so that the list can say where an invoice lives.
    """

    system: str

    async def recent_invoices(self, since: date) -> list[InvoiceRef]:
        """Every invoice dated on or after `since`, with or without a deal ID (every page), oldest id first."""
        ...

    async def invoices_of_customers(self, customer_ids: Sequence[str]) -> list[InvoiceRef]:
        """Every invoice of these customers, whatever its date (the evidence for a customer's deal)."""
        ...

    async def deal_ids_carried(self) -> dict[str, int]:
        """Deal ID -> how many invoices carry it, the invoice index brought up to date on the way."""
        ...

    async def invoice_ids_carrying(self, deal_ids: Sequence[str]) -> dict[str, list[str]]:
        """Deal ID -> ids of the invoices carrying it (deal IDs carried by none left out)."""
        ...

    async def put_deal_id_on_invoice(self, invoice_id: str, deal_id: str) -> LinkWrite:
        """Write `deal_id` into the invoice's deal field and the index; written=False when it carried it already."""
        ...

    async def deal_field_problem(self, *, sync: bool = True) -> str | None:
        """For doctor: what to do when no invoice carries the deal field at all (None when some do, or unknown).

        With `sync` the accounting system is asked; without, only what the store knows (/healthz).
        """
        ...


class Accounting(LinkRepair, Protocol):
    """Where the money comes from (QuickBooks or NetSuite): what the status service, the alert
    engine and its poller, write-back, the book, link repair and `/account doctor` call, never more.

    `system` names the source ("quickbooks", "netsuite"): the money section's source, the
    poller's cursor and the signals the engine takes as payments. `company` is the company or
    account the invoices belong to (payment events are keyed by it).
    """

    system: str

    @property
    def company(self) -> str:
        """The company (QuickBooks realm) or account (NetSuite) id."""
        ...

    async def money(self, deal_id: str, *, today: date) -> Money | None:
        """Invoiced, paid, outstanding, overdue and the last payment of the deal; None without invoices."""
        ...

    async def money_many(self, deal_ids: Sequence[str], *, today: date) -> dict[str, Money | None]:
        """money() for many deals at once (the daily round)."""
        ...

    async def payment_applications_many(self, payment_ids: Sequence[str]) -> dict[str, list[PaymentApplication]]:
        """What each payment paid into invoices carrying a deal ID (unknown payments left out)."""
        ...

    async def changed_payments(self, cursor: str | None) -> tuple[list[str], str]:
        """Ids of payments changed since `cursor` and the next cursor; None starts from now (no ids)."""
        ...

    async def sync_index(self) -> int:
        """Bring the deal -> invoices index of the store up to date; how many invoices it holds."""
        ...

    async def index_age(self) -> float | None:
        """Seconds since the index was last brought up to date, or None if never (doctor says so)."""
        ...

    async def probe(self) -> None:
        """One cheap authenticated read (doctor's auth check); raises the connector's error."""
        ...

    def health(self) -> dict[str, object]:
        """For /healthz and doctor: available, last_ok, last_error, calls, retries (and limits)."""
        ...

    async def aclose(self) -> None:
        """Release connections and workers."""
        ...
