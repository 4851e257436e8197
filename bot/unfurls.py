"""Unfurls of pasted links: match through the registry, fetch each deal once, one `chat.unfurl` per event.

A guest or an outsider who pastes a link gets no unfurl at all; in a channel shared with
another organisation a deal unfurls with its name and stage only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from blocks.unfurl import compact_card, public_card, unavailable
from bot.models.views import QueryResult

if TYPE_CHECKING:
    from bot.access import Gatekeeper
    from bot.cards import CardService
    from bot.links import LinkMatch, Links

log = logging.getLogger(__name__)


@dataclass
class UnfurlContext:
    """What a link type's renderer needs: the audience, the time, and the deals fetched once each."""

    cards: CardService
    external: bool
    now: datetime
    _cards: dict[str, asyncio.Task[QueryResult]] = field(default_factory=dict)

    async def card(self, deal_id: str) -> QueryResult:
        """The deal's card, fetched once however many links name it."""
        if deal_id not in self._cards:
            self._cards[deal_id] = asyncio.ensure_future(self._complete_card(deal_id))
        return await self._cards[deal_id]

    async def _complete_card(self, deal_id: str) -> QueryResult:
        """The card; when part of it is still on its way, the card once it landed (an unfurl is posted once)."""
        result = await self.cards.card(deal_id)
        return await self.cards.completed(result) or result


async def unfurl_deal(ctx: UnfurlContext, match: LinkMatch) -> dict[str, Any] | None:
    """A HubSpot deal link: the compact card, name and stage only for an external audience."""
    result = await ctx.card(match.record_id)
    if result.status is None:
        return None if ctx.external else unavailable(match.record_id, "no such deal in HubSpot")
    return public_card(result.status) if ctx.external else compact_card(result.status, ctx.now)


class UnfurlService:
    """From a `link_shared` event to the arguments of one `chat.unfurl` call (or nothing to do)."""

    def __init__(self, links: Links, cards: CardService, gate: Gatekeeper, clock: Callable[[], datetime]) -> None:
        self.links = links
        self.cards = cards
        self.gate = gate
        self.clock = clock

    async def plan(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """`chat.unfurl` arguments for the links of `event` we know and may show, or None."""
        matches = {}
        for link in event.get("links") or []:
            found = self.links.match(link.get("url", ""))
            if found is not None and not found[1].foreign:
                matches[found[1].url] = found
        if not matches:
            return None
        if not (await self.gate.user(event.get("user", ""))).allowed:
            return None  # a guest or an outsider pasting a link sees no account data, not even a name
        ctx = UnfurlContext(self.cards, await self.gate.channel_is_external(event.get("channel", "")), self.clock())
        rendered = await asyncio.gather(
            *(handler.unfurl(ctx, match) for handler, match in matches.values()), return_exceptions=True
        )
        unfurls: dict[str, Any] = {}
        for (url, (_, match)), result in zip(matches.items(), rendered):
            if isinstance(result, BaseException):
                log.warning("unfurl of %s %s failed: %r", match.type.value, match.record_id, result)
            elif result is not None:
                unfurls[url] = result
        if not unfurls:
            return None
        if event.get("unfurl_id") and event.get("source"):
            return {"unfurls": unfurls, "unfurl_id": event["unfurl_id"], "source": event["source"]}
        return {"unfurls": unfurls, "channel": event["channel"], "ts": event["message_ts"]}
