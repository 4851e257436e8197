"""Account facts for many deals at once: the deal, its open escalations and its last communication.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner, the cached pipeline /
owner helpers and the record builders shared with `get_deal`, `open_escalations` and
`last_communication`; the results here equal theirs, in about 15 calls per 100 deals
instead of about 10 per deal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from connectors.errors import NotFoundError
from connectors.hubspot.records import (
    COMM_PROPERTIES,
    COMM_READ_PROPERTIES,
    DEAL_PROPERTIES,
    TICKET_PROPERTIES,
    Stage,
    check_id,
    deal_from,
    gather_all,
    latest_communication,
    primary_company_v4,
)
from connectors.types import AccountFacts, DealBrief, Escalation, Person

if TYPE_CHECKING:
    from connectors.runtime import Runner

BATCH_SIZE: Final = 100  # HubSpot's largest batch read
UNKNOWN: Final = AccountFacts(None, (), None)
LINKED: Final = ("companies", "tickets", *COMM_PROPERTIES)  # what a deal's associations are read for


class AccountBatch:
    """`accounts()` (mixed into HubSpotConnector)."""

    batch_chunk_size: int = BATCH_SIZE  # deals per chunk (at most 100: one batch read of deals)
    batch_concurrency: int = 2  # chunks in flight at once

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner

        async def _stages(self, object_type: str, refresh: bool = False) -> dict[str, Stage]: ...

        async def _owners_or_empty(self) -> dict[str, Person]: ...

        async def _owner(self, owner_id: str | None, owners: dict[str, Person]) -> Person | None: ...

        async def _association_links(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[Any]]: ...

        async def _batch_read(self, object_type: str, ids: Iterable[str], properties: list[str]) -> list[Any]: ...

        async def _deal_stage(self, obj: Any, stages: dict[str, Stage]) -> Stage | None: ...

        async def _open_escalations_of(self, tickets: list[Any], stages: dict[str, Stage]) -> list[Escalation]: ...

        def _record_url(self, object_type_id: str, record_id: str) -> str | None: ...

        def remember_companies(self, names: dict[str, str]) -> None: ...

    async def accounts(self, deal_ids: Sequence[str]) -> dict[str, AccountFacts]:
        """AccountFacts per given deal id, as get_deal / open_escalations / last_communication would say.

        Deals are read in chunks of up to 100 with batch and v4 association calls; unknown or
        malformed ids map to AccountFacts(None, (), None).
        """
        valid: dict[str, str] = {}
        for raw in deal_ids:
            try:
                valid[raw] = check_id(raw)
            except NotFoundError:
                pass
        unique = list(dict.fromkeys(valid.values()))
        size = max(1, min(self.batch_chunk_size, BATCH_SIZE))
        gate = asyncio.Semaphore(max(1, self.batch_concurrency))

        async def run(chunk: list[str]) -> dict[str, AccountFacts]:
            async with gate:
                return await self._account_chunk(chunk)

        found: dict[str, AccountFacts] = {}
        for part in await gather_all(*(run(unique[n : n + size]) for n in range(0, len(unique), size))):
            found.update(part)
        return {raw: found.get(valid[raw], UNKNOWN) if raw in valid else UNKNOWN for raw in deal_ids}

    async def deal_briefs(self, deal_ids: Sequence[str]) -> dict[str, DealBrief]:
        """What an alert needs of each deal (name, owner's email), 100 deals per call; unknown ids left out."""
        ids = []
        for raw in deal_ids:
            try:
                ids.append(check_id(raw))
            except NotFoundError:
                pass
        deals, owners = await gather_all(
            self._batch_read("deals", ids, ["dealname", "hubspot_owner_id"]), self._owners_or_empty()
        )
        briefs = {}
        for deal in deals:
            props = deal.properties or {}
            owner = await self._owner(props.get("hubspot_owner_id"), owners)
            briefs[str(deal.id)] = DealBrief(
                str(deal.id), props.get("dealname") or f"Deal {deal.id}", owner.email if owner else None
            )
        return briefs

    async def company_names(self, deal_ids: Sequence[str]) -> dict[str, str]:
        """Deal id -> its primary company's name (deals without a company left out): 2 calls per 100 deals."""
        ids = list(dict.fromkeys(deal_ids))
        links = await self._association_links("deals", ids, "companies")
        primary = {d: primary_company_v4(links.get(d, [])) for d in ids}
        companies = await self._batch_read("companies", {c for c in primary.values() if c}, ["name"])
        names = {str(c.id): (c.properties or {}).get("name") or "" for c in companies}
        return {d: names[c] for d, c in primary.items() if c and names.get(c)}

    async def _account_chunk(self, deal_ids: list[str]) -> dict[str, AccountFacts]:
        """One chunk of ≤ 100 deals: the deals and their links, then the linked records, then the facts."""
        deals, deal_stages, ticket_stages, owners, *links = await gather_all(
            self._batch_read("deals", deal_ids, DEAL_PROPERTIES),
            self._stages("deals"),
            self._stages("tickets"),
            self._owners_or_empty(),
            *(self._association_links("deals", deal_ids, t) for t in LINKED),
        )
        by_type = dict(zip(LINKED, links))
        asked = set(deal_ids)
        deals = [d for d in deals if str(d.id) in asked]
        companies = {str(d.id): primary_company_v4(by_type["companies"].get(str(d.id), [])) for d in deals}
        wanted = {t: [str(to.to_object_id) for d in deals for to in by_type[t].get(str(d.id), [])] for t in LINKED[1:]}
        company_objs, tickets, *engagements = await gather_all(
            self._batch_read("companies", filter(None, companies.values()), ["name"]),
            self._batch_read("tickets", wanted["tickets"], TICKET_PROPERTIES),
            *(self._batch_read(t, wanted[t], COMM_READ_PROPERTIES[t]) for t in COMM_PROPERTIES),
        )
        names = {str(c.id): (c.properties or {}).get("name") or None for c in company_objs}
        self.remember_companies({i: n for i, n in names.items() if n})
        records = {t: _by_id(objs) for t, objs in zip(("tickets", *COMM_PROPERTIES), (tickets, *engagements))}

        def linked(deal_id: str, object_type: str) -> list[Any]:
            """The deal's records of a type in association order, each once; deleted ones skipped."""
            ids = dict.fromkeys(str(to.to_object_id) for to in by_type[object_type].get(deal_id, []))
            return [records[object_type][i] for i in ids if i in records[object_type]]

        async def facts(deal: Any) -> AccountFacts:
            """One deal's facts from the records already read."""
            deal_id = str(deal.id)
            owner_id = (deal.properties or {}).get("hubspot_owner_id")
            stage, owner = await gather_all(self._deal_stage(deal, deal_stages), self._owner(owner_id, owners))
            return AccountFacts(
                deal=deal_from(
                    deal, stage, owner, names.get(companies[deal_id] or ""), self._record_url("0-3", deal_id)
                ),
                escalations=tuple(await self._open_escalations_of(linked(deal_id, "tickets"), ticket_stages)),
                communication=latest_communication(
                    ((t, o) for t in COMM_PROPERTIES for o in linked(deal_id, t)), owners
                ),
            )

        built: list[Awaitable[AccountFacts]] = [facts(d) for d in deals]
        return {str(d.id): f for d, f in zip(deals, await gather_all(*built))}


def _by_id(objs: Iterable[Any]) -> dict[str, Any]:
    """Records by their id (string)."""
    return {str(o.id): o for o in objs}
