"""The card service the Slack handlers call: query → card, picker or suggestions; logging."""
from __future__ import annotations

import asyncio
import difflib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any, Literal

from bot.lookup import lookup
from bot.models import AccountStatus
from bot.status import DealNotFound, StatusService
from connectors.errors import ConnectorError
from connectors.types import Communication, DealMatch

log = logging.getLogger(__name__)

Outcome = Literal["card", "picker", "no_match", "message"]


@dataclass(frozen=True)
class QueryResult:
    """What to show for a query."""

    outcome: Outcome
    query: str
    status: AccountStatus | None = None
    matches: tuple[DealMatch, ...] = field(default=())
    message: str = ""


class CardService:
    """Lookup, status and logging for the Slack surfaces; no Slack in here."""

    def __init__(self, status: StatusService, hubspot: Any) -> None:
        self.status = status
        self.hubspot = hubspot

    async def for_query(self, query: str) -> QueryResult:
        """The card when one deal is meant; a picker for several; suggestions for none."""
        try:
            found = await lookup(self.status, query)
        except ConnectorError as exc:
            log.warning("lookup of %r failed: %s", query, exc)
            return QueryResult("message", query, message=f"HubSpot didn't answer, so I couldn't look up “{query}”. "
                                                          "Try again in a minute.")
        if found.deal_id is not None:
            try:
                return QueryResult("card", query, status=await self.status.get_status(found.deal_id))
            except DealNotFound:
                return QueryResult("no_match", query, matches=tuple(await self.suggestions(query)),
                                   message=f"HubSpot has no deal with ID {found.deal_id}.")
        if found.matches:
            return QueryResult("picker", query, matches=found.matches, message=found.message)
        if found.message and "No deal matches" not in found.message:
            return QueryResult("message", query, message=found.message)
        return QueryResult("no_match", query, matches=tuple(await self.suggestions(query)), message=found.message)

    async def for_deal(self, deal_id: str, *, refresh: bool = False) -> AccountStatus:
        """The card of one deal (raises DealNotFound)."""
        return await self.status.get_status(deal_id, refresh=refresh)

    async def suggestions(self, query: str, limit: int = 5) -> list[DealMatch]:
        """Closest deal names to a query that matched nothing (typos, partial words)."""
        words = [w for w in query.replace("–", " ").replace("-", " ").split() if len(w) >= 3 and not w.isdigit()]
        candidates: dict[str, DealMatch] = {}
        prefixes = {w[:n] for w in words for n in (3, 4) if len(w) >= n}
        try:
            results = await asyncio.gather(*(self.status.resolve(p) for p in sorted(prefixes)[:6]),
                                           return_exceptions=True)
        except ConnectorError:
            return []
        for result in results:
            if isinstance(result, BaseException):
                continue
            for match in result:
                candidates.setdefault(match.deal_id, match)
        wanted = query.lower()

        def closeness(m: DealMatch) -> float:
            names = [m.name.lower()] + ([m.company_name.lower()] if m.company_name else [])
            return max(difflib.SequenceMatcher(None, wanted, n).ratio() for n in names)

        ranked = sorted(candidates.values(), key=closeness, reverse=True)
        return [m for m in ranked if closeness(m) >= 0.3][:limit]

    async def log_communication(self, deal_id: str, kind: str, summary: str, on: date,
                                author: str) -> Communication:
        """Write the engagement to HubSpot and make the next card show it."""
        now = datetime.now(timezone.utc)
        when = now if on >= now.date() else datetime.combine(on, time(12, 0), tzinfo=timezone.utc)
        comm = await self.hubspot.log_communication(deal_id, kind, summary, when, author)
        self.status.invalidate(deal_id, ("communication",))
        return comm
