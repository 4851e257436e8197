"""The card service the Slack surfaces call: a query, a deal or a linked channel → card, picker or suggestions."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from cachetools import TTLCache

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
from connectors.ports import IndexedProject
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
        projects: Callable[[], Awaitable[list[IndexedProject]]] | None = None,
    ) -> None:
        self.status = status
        self.hubspot = hubspot
        self.store = store
        self.thresholds = thresholds or Thresholds()
        self.links = links or Links(getattr(hubspot, "portal_id", None))
        self.writeback = writeback
        self.projects = projects  # the Asana project index, a source of suggestions
        # snapshots read for a delivery section, by (deal, when that section was fetched): a warm
        # card reuses them (no store read before it can answer); a refetched section reads anew
        self._snapshots: TTLCache[tuple[str, datetime | None], list[Any]] = TTLCache(5000, 600.0)

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
            return QueryResult("picker", query, matches=found.matches, message=found.message, more=found.more)
        if found.message and "No deal matches" not in found.message:
            return QueryResult("message", query, message=found.message)
        return QueryResult("no_match", query, matches=tuple(await self.suggestions(query)), message=found.message)

    async def card(self, deal_id: str, *, refresh: bool = False) -> QueryResult:
        """The card of one deal, or "gone" when HubSpot has no such deal."""
        try:
            return QueryResult("card", deal_id, status=await self.for_deal(deal_id, refresh=refresh))
        except DealNotFound:
            return QueryResult("gone", deal_id)

    async def completed(self, result: QueryResult) -> QueryResult | None:
        """The same card once the sections it said were on their way have landed; None if nothing was pending."""
        if result.status is None or not result.status.pending:
            return None
        settled = await self.status.settle(result.status)
        if settled is None:
            return None
        status = await self.enrich(settled)
        if self.writeback is not None:
            self.writeback.learned(status)
        return replace(result, status=status)

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
            seen = (status.deal_id, delivery.fetched_at)
            snaps = self._snapshots.get(seen) if delivery.fetched_at is not None else None
            if snaps is None:
                try:
                    snaps = await self.store.first_and_recent_snapshots(status.deal_id, since)
                    self._snapshots[seen] = snaps
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
        """Closest deal names to a query that matched nothing (typos, partial words), best first.

        Candidates: what the bot already knows (recent searches, cards it fetched, the Asana
        project index) plus HubSpot's `similar` (two searches and one association read);
        ranked by similarity over the whole name, not by its first letters.
        """
        known = {m.deal_id: m for m in self.status.known_matches()}
        for deal_id, name in await self._project_names():
            known.setdefault(deal_id, DealMatch(deal_id, name, "", None, None))
        similar = getattr(self.hubspot, "similar", None)
        if similar is not None:
            try:
                for match in await similar(query):
                    known[match.deal_id] = match  # HubSpot's own names win over a project's
            except ConnectorError as exc:
                log.warning("suggestions for %r: HubSpot search failed: %s", query, exc)
        scored = sorted(((closeness(query, m), m) for m in known.values()), key=lambda s: (-s[0], s[1].name))
        return [m for score, m in scored if score >= MIN_CLOSENESS][:limit]

    async def _project_names(self) -> list[tuple[str, str]]:
        """(deal ID, project name) from the Asana index the bot keeps; empty when it has none."""
        if self.projects is None:
            return []
        try:
            return [(p.deal_id, p.project_name) for p in await self.projects() if not p.archived]
        except Exception:  # a bonus source: never fail a suggestion for it
            log.exception("the project index is unavailable for suggestions")
            return []


MIN_CLOSENESS: Final = 0.7


def closeness(query: str, match: DealMatch) -> float:
    """How alike a query and a deal are: the best ratio against its name, its company, or a run of their words
    as long as the query (`Glbex` ~ `Globex` in "Globex – Website")."""
    wanted = _norm(query)
    size = max(1, len(wanted.split()))
    best = 0.0
    for name in filter(None, (match.name, match.company_name)):
        words = _norm(name).split()
        runs = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
        for candidate in (" ".join(words), *runs):
            best = max(best, difflib.SequenceMatcher(None, wanted, candidate).ratio())
    return best


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))
