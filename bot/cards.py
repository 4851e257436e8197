"""The card service the Slack surfaces call: a query, a deal or a linked channel → card, picker or suggestions."""

from __future__ import annotations

import asyncio
import difflib
import logging
from dataclasses import replace
from typing import Any

from bot.health import Thresholds, assess
from bot.history import changes_from, merge_changes
from bot.links import Links
from bot.lookup import lookup
from bot.metrics import CARD_SECONDS
from bot.models import AccountStatus
from bot.models.views import QueryResult
from bot.status import DealNotFound, StatusService
from bot.writeback import WriteBack
from connectors.errors import ConnectorError
from connectors.types import DealMatch

log = logging.getLogger(__name__)


class CardService:
    """Lookup, status, history and health for the Slack surfaces and the CLI; no Slack in here."""

    def __init__(
        self,
        status: StatusService,
        hubspot: Any,
        store: Any = None,
        thresholds: Thresholds | None = None,
        links: Links | None = None,
        writeback: WriteBack | None = None,
    ) -> None:
        self.status = status
        self.hubspot = hubspot
        self.store = store
        self.thresholds = thresholds or Thresholds()
        self.links = links or Links(getattr(hubspot, "portal_id", None))
        self.writeback = writeback

    async def for_query(self, query: str) -> QueryResult:
        """The card when one deal is meant; a picker for several; suggestions for none."""
        with CARD_SECONDS.time():
            return await self._for_query(query)

    async def _for_query(self, query: str) -> QueryResult:
        try:
            found = await lookup(self.status, query, self.links)
        except ConnectorError as exc:
            log.warning("lookup of %r failed: %s", query, exc)
            return QueryResult(
                "message",
                query,
                message=f"HubSpot didn't answer, so I couldn't look up “{query}”. Try again in a minute.",
            )
        if found.deal_id is not None:
            try:
                return QueryResult("card", query, status=await self.for_deal(found.deal_id))
            except DealNotFound:
                return QueryResult(
                    "no_match",
                    query,
                    matches=tuple(await self.suggestions(query)),
                    message=f"HubSpot has no deal with ID {found.deal_id}.",
                )
        if found.matches:
            return QueryResult("picker", query, matches=found.matches, message=found.message)
        if found.message and "No deal matches" not in found.message:
            return QueryResult("message", query, message=found.message)
        return QueryResult("no_match", query, matches=tuple(await self.suggestions(query)), message=found.message)

    async def card(self, deal_id: str, *, refresh: bool = False) -> QueryResult:
        """The card of one deal, or "gone" when HubSpot has no such deal."""
        try:
            return QueryResult("card", deal_id, status=await self.for_deal(deal_id, refresh=refresh))
        except DealNotFound:
            return QueryResult("gone", deal_id)

    async def for_channel(self, channel_id: str) -> QueryResult | None:
        """The card of the account this channel is linked to (`/account link`), None if it isn't."""
        linked = await self.store.channel_link(channel_id)
        return None if linked is None else await self.for_query(linked[0])

    async def for_deal(self, deal_id: str, *, refresh: bool = False) -> AccountStatus:
        """The card of one deal, with history merged into "what changed" and health (raises DealNotFound).

        What the card learned goes onto the HubSpot deal too (write-back, in the background).
        """
        status = await self.enrich(await self.status.get_status(deal_id, refresh=refresh))
        if self.writeback is not None:
            self.writeback.learned(status)
        return status

    async def enrich(self, status: AccountStatus) -> AccountStatus:
        """Changes seen in the snapshots beside Asana's stories; the health assessment."""

        delivery = status.delivery
        if self.store is not None and delivery.value is not None and delivery.available:
            since = status.generated_at.timestamp() - 31 * 86400
            try:
                snaps = await self.store.first_and_recent_snapshots(status.deal_id, since)
            except Exception:  # history is a bonus: never fail a card for it
                log.exception("history of %s unavailable", status.deal_id)
                snaps = []
            if snaps:
                history = changes_from(snaps, now=status.generated_at)
                merged = tuple(merge_changes(delivery.value.changes, history))
                delivery = replace(delivery, value=replace(delivery.value, changes=merged))
        status = replace(status, delivery=delivery)
        return replace(status, health=assess(status, status.today, self.thresholds))

    async def suggestions(self, query: str, limit: int = 5) -> list[DealMatch]:
        """Closest deal names to a query that matched nothing (typos, partial words)."""
        words = [w for w in query.replace("–", " ").replace("-", " ").split() if len(w) >= 3 and not w.isdigit()]
        candidates: dict[str, DealMatch] = {}
        prefixes = {w[:n] for w in words for n in (3, 4) if len(w) >= n}
        try:
            results = await asyncio.gather(
                *(self.status.resolve(p) for p in sorted(prefixes)[:6]), return_exceptions=True
            )
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
