"""One deal read for a card: the deal with its associations inline, shared by the card's three sections.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner and the SDK API
objects. `get_deal`, `open_escalations` and `last_communication` run concurrently for a card;
they share one `GET /crm/v3/objects/deals/{id}?associations=companies,tickets,emails,...`
in flight instead of one v4 association read each. HubSpot returns at most 100 associations
of a type inline and pages the rest: a paged type is then read through the v4 API. Company
names a search or a batch read already returned are kept for a while and not read again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cachetools import TTLCache

from connectors.errors import MissingScopes
from connectors.hubspot.records import COMM_PROPERTIES, DEAL_PROPERTIES

if TYPE_CHECKING:
    from connectors.runtime import Runner

log = logging.getLogger(__name__)
INLINE: Final = ("companies", "tickets", *COMM_PROPERTIES)  # the deal's associations a card reads


@dataclass(frozen=True)
class DealRecord:
    """The deal as read, and the scope refusal that made it come without some associations."""

    obj: Any
    denied: MissingScopes | None = None


class DealReads:
    """`_deal_record()`, `_linked_ids()` and the company-name memory (mixed into HubSpotConnector)."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        cache_ttl: float
        _timeout: tuple[float, float]
        _objects: Any

        async def _associated(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[str]]: ...

    _record_flights: dict[str, asyncio.Future[DealRecord]]
    _company_names: TTLCache[str, str]

    def _init_deal_reads(self, cache_ttl: float) -> None:
        self._record_flights = {}
        self._company_names = TTLCache(20_000, cache_ttl)

    def remember_companies(self, names: dict[str, str]) -> None:
        """Company names (by id) just read elsewhere: a card of their deals needs no company read."""
        for company_id, name in names.items():
            if name:
                self._company_names[str(company_id)] = name

    def known_company(self, company_id: str) -> str | None:
        """A company name remembered from a recent search or batch read."""
        return self._company_names.get(company_id)

    async def _deal_record(self, deal_id: str) -> DealRecord:
        """The deal with its associations; concurrent callers for one deal share one request."""
        flight = self._record_flights.get(deal_id)
        if flight is None:
            flight = asyncio.ensure_future(self._read_deal_record(deal_id))
            self._record_flights[deal_id] = flight
            flight.add_done_callback(lambda done: self._landed(deal_id, done))
        return await asyncio.shield(flight)

    def _landed(self, deal_id: str, done: asyncio.Future[DealRecord]) -> None:
        if self._record_flights.get(deal_id) is done:
            del self._record_flights[deal_id]
        if not done.cancelled():
            done.exception()  # retrieved: every caller sees it through the shield

    async def _read_deal_record(self, deal_id: str) -> DealRecord:
        try:
            return DealRecord(await self._get_deal_obj(deal_id, list(INLINE)))
        except MissingScopes as exc:
            # One unscoped association type refuses the whole read: read the deal alone; each
            # section then asks for its own associations and the one without a scope says so.
            log.warning("hubspot deal %s read without its associations: %s", deal_id, exc.message)
            return DealRecord(await self._get_deal_obj(deal_id, ["companies"]), denied=exc)

    async def _get_deal_obj(self, deal_id: str, associations: list[str]) -> Any:
        return await self.runner.call(
            self._objects.get_by_id,
            "deals",
            deal_id,
            properties=DEAL_PROPERTIES,
            associations=associations,
            archived=False,
            _request_timeout=self._timeout,
        )

    async def _linked_ids(self, record: DealRecord, to_type: str) -> list[str]:
        """Ids of the deal's associated records of a type: inline, or through v4 when paged or refused."""
        deal_id = str(record.obj.id)
        inline = (record.obj.associations or {}).get(to_type)
        if inline is None and record.denied is None:
            return []  # HubSpot leaves out a type with no associations
        if inline is not None and not (inline.paging and inline.paging.next and inline.paging.next.after):
            return list(dict.fromkeys(str(a.id) for a in inline.results or []))
        return (await self._associated("deals", [deal_id], to_type)).get(deal_id, [])
