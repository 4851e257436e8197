"""Tickets for the alert pipeline: one ticket by id, and the tickets created since a watermark.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner, the SDK API objects and
the cached pipeline / association helpers used here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from connectors.hubspot.records import (
    TICKET_PROPERTIES,
    Stage,
    check_id,
    escalation_from,
    find_stage,
    gather_all,
    ticket_state,
    to_datetime,
)
from connectors.types import TicketInfo

if TYPE_CHECKING:
    from connectors.runtime import Runner

log = logging.getLogger(__name__)
MAX_SEARCH_PAGE: Final = 200  # HubSpot's largest search page


class TicketFeed:
    """`ticket()` and `tickets_since()` (mixed into HubSpotConnector)."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        search_page_size: int
        _objects: Any
        _search: Any
        _timeout: tuple[float, float]

        async def _stages(self, object_type: str, refresh: bool = False) -> dict[str, Stage]: ...

        async def _associated(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[str]]: ...

        def _record_url(self, object_type_id: str, record_id: str) -> str | None: ...

        async def _batch_read(self, object_type: str, ids: Iterable[str], properties: list[str]) -> list[Any]: ...

    async def ticket(self, ticket_id: str) -> TicketInfo:
        """The ticket, open or not by its stage's ticketState, with its deal ids; NotFoundError if unknown."""
        ticket_id = check_id(ticket_id)
        obj, stages, links = await gather_all(
            self.runner.call(
                self._objects.get_by_id,
                "tickets",
                ticket_id,
                properties=TICKET_PROPERTIES,
                archived=False,
                _request_timeout=self._timeout,
            ),
            self._stages("tickets"),
            self._associated("tickets", [ticket_id], "deals"),
        )
        return (await self._ticket_infos([obj], links, stages))[0]

    async def tickets(self, ticket_ids: Sequence[str]) -> list[TicketInfo]:
        """ticket() for many tickets in a few batch calls (a webhook flood); unknown ids are left out."""
        ids = list(dict.fromkeys(check_id(t) for t in ticket_ids))
        if not ids:
            return []
        found, stages, links = await gather_all(
            self._batch_read("tickets", ids, TICKET_PROPERTIES),
            self._stages("tickets"),
            self._associated("tickets", ids, "deals"),
        )
        return await self._ticket_infos(list(found), links, stages)

    async def tickets_since(self, since: datetime, *, limit: int = 200) -> list[TicketInfo]:
        """Tickets created strictly after `since`, oldest first, at most `limit`, each with its deal ids.

        When `limit` cuts through tickets sharing one createdate, those are left out so that a
        caller keeping the newest createdate seen as its watermark does not skip them next time.
        """
        if limit <= 0:
            return []
        moment = since if since.tzinfo else since.replace(tzinfo=UTC)
        millis = int(moment.timestamp() * 1000)  # GT on the millisecond: HubSpot keeps no finer time
        found = await self._search_created_after(millis, limit + 1)  # one more: is the last createdate complete?
        if len(found) > limit:
            cut = _created(found[limit])
            kept = [t for t in found[:limit] if _created(t) != cut]
            found = kept or found[:limit]  # a full page of one millisecond: nothing better to do
        if not found:
            return []
        links, stages = await gather_all(
            self._associated("tickets", [str(t.id) for t in found], "deals"), self._stages("tickets")
        )
        return await self._ticket_infos(found, links, stages)

    async def _search_created_after(self, millis: int, wanted: int) -> list[Any]:
        """Tickets with createdate > `millis`, ascending by createdate, following `after` pages."""
        results: list[Any] = []
        after: str | None = None
        while len(results) < wanted:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": [{"propertyName": "createdate", "operator": "GT", "value": str(millis)}]}],
                "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
                "properties": TICKET_PROPERTIES,
                "limit": max(1, min(self.search_page_size, MAX_SEARCH_PAGE, wanted - len(results))),
            }
            if after:
                body["after"] = after
            page = await self.runner.call(
                self._search.do_search, "tickets", body, limiter="search", _request_timeout=self._timeout
            )
            results.extend(page.results or [])
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
        return results[:wanted]

    async def _ticket_infos(
        self, tickets: list[Any], links: dict[str, list[str]], stages: dict[str, Stage]
    ) -> list[TicketInfo]:
        """TicketInfo per ticket, in order; an unknown stage reloads the pipelines once."""

        def stage_of(ticket: Any) -> Stage | None:
            props = ticket.properties or {}
            return find_stage(stages, props.get("hs_pipeline"), props.get("hs_pipeline_stage"))

        if any(stage_of(t) is None and (t.properties or {}).get("hs_pipeline_stage") for t in tickets):
            stages = await self._stages("tickets", refresh=True)
        out = []
        for ticket in tickets:
            stage = stage_of(ticket)
            state = ticket_state(stage)
            if state not in ("OPEN", "CLOSED"):
                log.warning(
                    "hubspot ticket %s: stage %r has no ticketState; counted as open",
                    ticket.id,
                    (ticket.properties or {}).get("hs_pipeline_stage"),
                )
            out.append(
                TicketInfo(
                    escalation=escalation_from(ticket, stage, self._record_url("0-5", str(ticket.id))),
                    is_open=state != "CLOSED",
                    deal_ids=tuple(dict.fromkeys(links.get(str(ticket.id), []))),
                )
            )
        return out


def _created(ticket: Any) -> datetime | None:
    """The ticket's createdate (the property, else the record's creation time)."""
    return to_datetime((ticket.properties or {}).get("createdate")) or ticket.created_at
