"""What the status service needs from its sources (ports), its timing, and its one error of its own.

The connectors satisfy the protocols structurally; bot.status re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from connectors.errors import AuthError, ConnectorError, MissingScopes, RateLimitedError, UnavailableError
from connectors.types import Communication, Deal, DealMatch, Delivery, Escalation, Money


class HubSpotLike(Protocol):
    portal_id: str | None

    async def resolve(
        self, query: str, limit: int = 10, on_likely: Callable[[str], None] | None = None
    ) -> list[DealMatch]: ...
    async def get_deal(self, deal_id: str) -> Deal: ...
    async def open_escalations(self, deal_id: str) -> list[Escalation]: ...
    async def last_communication(self, deal_id: str) -> Communication | None: ...


class AsanaLike(Protocol):
    async def delivery(self, deal_id: str, *, today: date) -> Delivery | None: ...


class AccountingLike(Protocol):
    system: str  # the money section's source: "quickbooks" or "netsuite"

    async def money(self, deal_id: str, *, today: date) -> Money | None: ...
    async def money_many(self, deal_ids: Sequence[str], *, today: date) -> dict[str, Money | None]: ...
    async def sync_index(self) -> int: ...


class SharedFlights(Protocol):
    """A cache and single flight shared by several replicas (bot.replicas.SharedCache, with REDIS_URL)."""

    async def get(self, kind: str, name: str) -> Any: ...
    async def forget(self, names: list[str]) -> None: ...
    async def once(
        self, name: str, fetch: Callable[[], Awaitable[Any]], fresh_ttl: float, last_good_ttl: float
    ) -> Any: ...


class DealNotFound(Exception):
    """No HubSpot deal has this ID."""

    def __init__(self, deal_id: str) -> None:
        super().__init__(f"No HubSpot deal with ID {deal_id}")
        self.deal_id = deal_id


@dataclass(frozen=True)
class Timing:
    """Deadlines (seconds a card waits for each source) and cache lifetimes."""

    hubspot_deadline: float = 6.0
    asana_deadline: float = 6.0
    accounting_deadline: float = 6.0  # QuickBooks or NetSuite
    fresh_ttl: float = 60.0  # a section this young is served from cache
    last_good_ttl: float = 24 * 3600.0  # how long a last good value may stand in for a failure
    resolve_ttl: float = 60.0
    cache_size: int = 5000
    settle_timeout: float = 120.0  # how long a card that said "on its way" waits to be completed


def describe(exc: ConnectorError) -> str:
    """A source's failure in the words a card shows."""
    if isinstance(exc, MissingScopes):
        scopes = " or ".join(exc.scopes) or "a scope"
        return f"token lacks the scope {scopes}: add it to the HubSpot private app"
    if isinstance(exc, AuthError):
        return "refused our credentials"
    if isinstance(exc, RateLimitedError):
        return "is rate limiting us"
    if isinstance(exc, UnavailableError):
        return "didn't answer"
    return exc.message
