"""A rep's book for App Home: the HubSpot owner behind a Slack email, and the deals they own.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner, the SDK API objects and
the cached pipeline / owner helpers used here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Final, TypeVar

from connectors.hubspot.records import (
    DEAL_PROPERTIES,
    Stage,
    find_stage,
    is_closed,
    is_won,
    match_from,
    person_from,
    to_date,
)
from connectors.types import DealMatch, Person

if TYPE_CHECKING:
    from connectors.runtime import Runner

T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_BOOK_PAGE: Final = 200  # HubSpot's largest search page
PROBABILITY_SLACK: Final = 1e-9  # "0.6" read as a float still counts as past a 0.6 threshold


class BookQuery:
    """`owner_by_email()` and `deals_owned()` (mixed into HubSpotConnector)."""

    book_page_size: int = MAX_BOOK_PAGE  # results per search page for deals_owned (tests make it small)

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        _owners_api: Any
        _search: Any
        _timeout: tuple[float, float]
        _cache: dict[tuple, tuple[float, Any]]

        async def _stages(self, object_type: str, refresh: bool = False) -> dict[str, Stage]: ...

        async def _owners(self) -> dict[str, Person]: ...

        async def _cached(self, key: tuple, load: Callable[[], Awaitable[T]], refresh: bool = False) -> T: ...

    async def owner_by_email(self, email: str) -> Person | None:
        """The active HubSpot owner with this email (case-insensitive), or None; found owners are cached."""
        wanted = (email or "").strip().casefold()
        if not wanted:
            return None

        async def load() -> Person | None:
            page = await self.runner.call(
                self._owners_api.get_page,
                email=email.strip(),
                limit=100,
                archived=False,
                _request_timeout=self._timeout,
            )
            found = [person_from(o) for o in page.results or [] if (o.email or "").casefold() == wanted]
            if found:
                return found[0]
            # The email filter may match case-sensitively: the (cached) list of owners settles it.
            owners = await self._owners()
            return next((p for p in owners.values() if (p.email or "").casefold() == wanted), None)

        key = ("owner_email", wanted)
        person = await self._cached(key, load)
        if person is None:
            self._cache.pop(key, None)  # a rep who fixes their HubSpot email is found on the next try
        return person

    async def deals_owned(
        self, owner_id: str, *, closed_since: date, min_open_probability: float = 0.6, limit: int = 1000
    ) -> list[DealMatch]:
        """The owner's deals won since `closed_since` or open at stage probability ≥ threshold, newest close first."""
        # Won / open come from pipeline stage metadata, never labels: one search with two filter
        # groups, followed across pages of up to 200, at most `limit` results.
        owner_id = str(owner_id).strip()
        if not owner_id or limit <= 0:
            return []
        stages = await self._stages("deals")
        won_ids, open_ids = _stage_ids(stages, min_open_probability)
        owner = {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner_id}
        groups = []
        if won_ids:
            groups.append(
                {
                    "filters": [
                        owner,
                        {"propertyName": "dealstage", "operator": "IN", "values": won_ids},
                        {"propertyName": "closedate", "operator": "GTE", "value": str(_millis(closed_since))},
                    ]
                }
            )
        if open_ids:
            groups.append({"filters": [owner, {"propertyName": "dealstage", "operator": "IN", "values": open_ids}]})
        if not groups:
            return []
        found = await self._search_deals(groups, limit)
        out: list[DealMatch] = []
        for deal in found:
            props = deal.properties or {}
            stage = find_stage(stages, props.get("pipeline"), props.get("dealstage"))
            if not _belongs(stage, to_date(props.get("closedate")), closed_since, min_open_probability):
                continue  # a stage id shared by pipelines that mean different things by it
            out.append(match_from(deal, stage))
        return out

    async def won_deals(self, closed_since: date, *, limit: int = 10000) -> list[DealMatch]:
        """Deals in a won stage (any pipeline) closed on or after `closed_since`, newest close first (paged)."""
        stages = await self._stages("deals")
        won_ids, _ = _stage_ids(stages, 1.0)
        if not won_ids:
            return []
        groups = [
            {
                "filters": [
                    {"propertyName": "dealstage", "operator": "IN", "values": won_ids},
                    {"propertyName": "closedate", "operator": "GTE", "value": str(_millis(closed_since))},
                ]
            }
        ]
        out = []
        for deal in await self._search_deals(groups, limit):
            props = deal.properties or {}
            stage = find_stage(stages, props.get("pipeline"), props.get("dealstage"))
            if stage is None or not is_won(stage):
                continue  # a stage id shared by pipelines that mean different things by it
            out.append(match_from(deal, stage))
        return out

    async def deals_won_since(self, since: datetime, *, limit: int = 500) -> list[str]:
        """Ids of deals that entered a won stage (isClosed, probability 1.0, any pipeline) at or after `since`.

        HubSpot keeps `hs_v2_date_entered_<stage>` per stage: one filter group per won stage,
        five groups per search (HubSpot's limit).
        """
        stages = await self._stages("deals")
        won_ids, _ = _stage_ids(stages, 1.0)
        millis = str(int(since.timestamp() * 1000))
        found: list[str] = []
        for start in range(0, len(won_ids), 5):
            groups = [
                {
                    "filters": [
                        {"propertyName": "dealstage", "operator": "EQ", "value": stage},
                        {"propertyName": f"hs_v2_date_entered_{stage}", "operator": "GTE", "value": millis},
                    ]
                }
                for stage in won_ids[start : start + 5]
            ]
            found += [str(d.id) for d in await self._search_deals(groups, limit)]
        return list(dict.fromkeys(found))

    async def _search_deals(self, groups: list[dict[str, Any]], limit: int) -> list[Any]:
        """Deals matching any filter group, newest close date first, following `after` up to `limit`."""
        size = max(1, min(self.book_page_size, MAX_BOOK_PAGE))
        seen: dict[str, Any] = {}
        after: str | None = None
        while len(seen) < limit:
            body: dict[str, Any] = {
                "filterGroups": groups,
                "properties": DEAL_PROPERTIES,
                "sorts": [{"propertyName": "closedate", "direction": "DESCENDING"}],
                "limit": min(size, limit - len(seen)),
            }
            if after:
                body["after"] = after
            page = await self.runner.call(
                self._search.do_search, "deals", body, limiter="search", _request_timeout=self._timeout
            )
            for deal in page.results or []:
                seen.setdefault(str(deal.id), deal)  # offset paging may repeat a record across pages
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after or not page.results:
                break
        return list(seen.values())[:limit]


def _stage_ids(stages: dict[str, Stage], min_open_probability: float) -> tuple[list[str], list[str]]:
    """(won stage ids, open stage ids at or past the probability), each sorted and unique."""
    won: set[str] = set()
    open_: set[str] = set()
    for stage in stages.values():
        if is_won(stage):
            won.add(stage.id)
        elif not is_closed(stage) and _probability(stage) >= min_open_probability - PROBABILITY_SLACK:
            open_.add(stage.id)
    return sorted(won), sorted(open_)


def _belongs(stage: Stage | None, closed: date | None, since: date, min_open_probability: float) -> bool:
    """Whether a deal in `stage` closing on `closed` is part of the book."""
    if stage is None:
        return False
    if is_won(stage):
        return closed is not None and closed >= since
    return not is_closed(stage) and _probability(stage) >= min_open_probability - PROBABILITY_SLACK


def _probability(stage: Stage) -> float:
    """The stage's probability metadata; -1 when missing or unreadable."""
    try:
        return float(stage.metadata.get("probability", ""))
    except ValueError:
        return -1.0


def _millis(day: date) -> int:
    """Epoch milliseconds of midnight UTC starting `day`."""
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=UTC)
    else:
        moment = datetime.combine(day, time.min, UTC)
    return int(moment.timestamp() * 1000)
